"""The fleet view: every site's sync, health, snapshot age and last error, from small cached files.

`sites list` and the Sites page's list must answer at once for hundreds of sites, so this module
reads only the head of each cached snapshot (time, source) and the summary the last status
computation left (``status-summary.json``), and imports nothing heavy (no Git, no manifests).
Summaries are written under the file lock; a corrupt one is set aside and the site shows
"unknown" until the next status.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_field import paths, storage
from ecs_field.errors import EcsFieldError
from ecs_field.sites.status.snapshot import SnapshotStore, parse_time, utc_now

log = logging.getLogger(__name__)

SUMMARY_SCHEMA = "ecs-field/status-summary@1"
DEFAULT_STALE_AFTER_S = 3600.0


@dataclass
class SiteOverview:
    name: str
    sync: str  # last computed sync word, "unknown" before the first computation
    commits_behind: int
    counts: dict[str, int]
    snapshot_taken_at: str | None
    snapshot_age_s: float | None
    stale: bool
    computed_at: str | None
    health: str = "unknown"  # healthy | degraded | progressing | unknown
    commits_ahead: int = 0
    last_error: str = ""
    problems: list[str] = field(default_factory=list)  # a summary set aside, an unreadable file

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sync": self.sync,
            "health": self.health,
            "snapshot_age_s": None if self.snapshot_age_s is None else round(self.snapshot_age_s, 1),
            "snapshot_taken_at": self.snapshot_taken_at,
            "stale": self.stale,
            "last_error": self.last_error,
            "commits_behind": self.commits_behind,
            "commits_ahead": self.commits_ahead,
            "counts": self.counts,
            "computed_at": self.computed_at,
            "problems": self.problems,
        }


SUMMARY_FILE = "status-summary.json"


def summary_path(site: str) -> Path:
    return SnapshotStore(site).folder / SUMMARY_FILE


def save_summary(site: str, status: Any) -> None:
    """Remember the result of the last status computation (a sync.Status) for the fleet view."""
    save_summary_doc(site, status.to_dict())


def save_summary_doc(site: str, status: dict[str, Any]) -> None:
    """The same from a status document (what `status --json` prints)."""
    document = summary_document(site, status)
    path = summary_path(site)
    try:
        with storage.file_lock(path, timeout_s=5.0):
            storage.atomic_write_json(path, document, durable=False)  # a cache of the last status
    except (OSError, EcsFieldError) as exc:  # a read-only data folder costs only the cache
        log.warning("could not cache status of %s: %s", site, getattr(exc, "message", exc))


def summary_document(site: str, status: dict[str, Any]) -> dict[str, Any]:
    """What status-summary.json holds for a status document (the warm `status` writes it too)."""
    return {
        "schema": SUMMARY_SCHEMA,
        "site": site,
        "computed_at": utc_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sync": status.get("sync"),
        "health": status.get("health"),
        "commits_behind": status.get("commits_behind") or 0,
        "commits_ahead": status.get("commits_ahead") or 0,
        "counts": status.get("counts") or {},
        "head": (status.get("repo") or {}).get("head"),
        "applied_revision": status.get("applied_revision"),
        "last_error": status.get("last_error") or "",
    }


def _validate_summary(document: dict[str, Any]) -> None:
    for key in ("sync", "health", "last_error", "computed_at"):
        if document.get(key) is not None and not isinstance(document[key], str):
            raise TypeError(f"{key} is not text")
    for key in ("commits_behind", "commits_ahead"):
        value = document.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise TypeError(f"{key} is not a number")
    counts = document.get("counts")
    if counts is not None and (
        not isinstance(counts, dict) or not all(isinstance(v, int) for v in counts.values())
    ):
        raise TypeError("counts is not a mapping of numbers")


def site_overview(
    names: Sequence[str], *, stale_after_s: float = DEFAULT_STALE_AFTER_S
) -> list[SiteOverview]:
    now = utc_now()
    rows = []
    root = paths.data_dir() / "snapshots"  # once: data_dir() creates the folder on every call
    for name in names:
        problems: list[str] = []
        store = SnapshotStore(name, root=root)
        info = store.info()
        taken = info[0] if info else None
        taken_time = parse_time(taken) if taken else None
        age = (now - taken_time).total_seconds() if taken_time else None
        future = age is not None and age < -300
        summary: dict[str, Any] = {}
        try:
            summary = (
                storage.load_json_document(
                    store.folder / SUMMARY_FILE, SUMMARY_SCHEMA, validate=_validate_summary
                )
                or {}
            )
        except EcsFieldError as exc:  # corrupt (set aside) or unusable path: the site shows "unknown"
            log.warning("%s", exc.message)
            problems.append(exc.message)
        if future:
            problems.append(f"the snapshot is dated {taken}, in the future: a clock is wrong")
        rows.append(
            SiteOverview(
                name=name,
                sync=str(summary.get("sync") or "unknown"),
                commits_behind=int(summary.get("commits_behind") or 0),
                counts=dict(summary.get("counts") or {}),
                snapshot_taken_at=taken,
                snapshot_age_s=None if age is None or future else max(0.0, age),
                stale=age is None or future or age > stale_after_s,
                computed_at=summary.get("computed_at"),
                health=str(summary.get("health") or "unknown") if taken else "unknown",
                commits_ahead=int(summary.get("commits_ahead") or 0),
                last_error=str(summary.get("last_error") or ""),
                problems=problems,
            )
        )
    return rows


def fleet_counts(rows: Sequence[SiteOverview]) -> dict[str, dict[str, int]]:
    """How many sites have each sync word and each health word (the fleet's one-line summary)."""
    sync: dict[str, int] = {}
    health: dict[str, int] = {}
    for row in rows:
        sync[row.sync] = sync.get(row.sync, 0) + 1
        health[row.health] = health.get(row.health, 0) + 1
    return {"sync": sync, "health": health}
