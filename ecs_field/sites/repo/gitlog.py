"""The one `git log` record format the app asks for, and its parser.

Shared by the GitPython-based repository layer (gitrepo) and the light reader status uses on its
fast path (status/gitread), so both read commits the same way; importing this pulls in no GitPython.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

FIELD = "\x1f"
RECORD = "\x1e"
LOG_FORMAT = RECORD + FIELD.join(["%H", "%h", "%an", "%aI", "%s"])


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    short: str
    author: str
    time: datetime  # timezone-aware, in the committer's offset
    subject: str
    files: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "short": self.short,
            "author": self.author,
            "time": self.time.isoformat(),
            "subject": self.subject,
            "files": list(self.files),
        }


def parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return datetime.fromtimestamp(0, tz=timezone.utc)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_log(text: str) -> list[CommitInfo]:
    """Commits from `git log --format=LOG_FORMAT [--name-only]` output, newest first."""
    commits = []
    for record in text.split(RECORD):
        if not record.strip():
            continue
        header, _, rest = record.partition("\n")
        parts = header.split(FIELD)
        if len(parts) < 5:
            continue
        sha, short, author, when, subject = parts[:5]
        files = tuple(line for line in rest.splitlines() if line.strip())
        commits.append(CommitInfo(sha, short, author, parse_time(when), subject, files))
    return commits
