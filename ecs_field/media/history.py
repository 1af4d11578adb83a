"""Every write leaves a record: what went on which stick, when, how fast, and whether it verified.

Technicians are asked "which stick did you use and was it good?" weeks later; the record answers
with the image's SHA-256, the stick's model and serial, and the verify result. Records live in
one JSON document under the data folder, rewritten atomically for each new record (the file is
small: at most ``MAX_RECORDS``). A corrupt file is set aside and reported, never overwritten.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ecs_field import __version__, paths
from ecs_field.errors import EcsFieldError
from ecs_field.storage import CorruptFile, atomic_write_json, file_lock, load_json_document

log = logging.getLogger(__name__)

SCHEMA = "ecs-field/write-history@1"
FILE_NAME = "write-history.json"
MAX_RECORDS = 1000

# result values
VERIFIED = "verified"
NOT_VERIFIED = "not-verified"  # written, verification skipped on request (--no-verify)
FAILED = "failed"
CANCELLED = "cancelled"
REFUSED = "refused"  # safety rules refused before anything was written

_lock = threading.Lock()  # write_many finishes several writes at once in one process


def utc_iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


@dataclass
class WriteRecord:
    image_name: str
    device_path: str
    result: str  # VERIFIED | NOT_VERIFIED | FAILED | CANCELLED | REFUSED
    started_at: str  # ISO 8601 UTC
    ended_at: str
    mode: str = ""  # "raw" | "uefi-fat32"
    image_path: str = ""
    image_sha256: str | None = None  # of the image file, when known (always for raw writes)
    written_sha256: str | None = None  # of the byte stream written to the stick
    bytes_written: int = 0
    device_vendor: str = ""
    device_model: str = ""
    device_serial: str = ""
    device_size_bytes: int = 0
    phases: list[dict[str, Any]] = field(default_factory=list)  # {phase, bytes, seconds, rate_bps}
    verified: bool = False
    error: str | None = None
    exit_code: int = 0
    kickstart: dict[str, Any] | None = None  # {file, hostname, ip} of the ks.cfg on the stick, never a hash
    app_version: str = __version__
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> WriteRecord:
        known = {f.name for f in fields(cls)}
        record = cls(**{k: v for k, v in document.items() if k in known})
        if not isinstance(record.image_name, str) or not isinstance(record.device_path, str):
            raise TypeError("image_name and device_path must be text")
        if not isinstance(record.phases, list):
            raise TypeError("phases must be a list")
        if record.kickstart is not None and not isinstance(record.kickstart, dict):
            raise TypeError("kickstart must be an object")
        return record

    @property
    def duration_s(self) -> float:
        return sum(float(p.get("seconds", 0.0)) for p in self.phases)

    def rate_bps(self, phase: str) -> float:
        for p in self.phases:
            if p.get("phase") == phase:
                return float(p.get("rate_bps", 0.0))
        return 0.0


def history_path() -> Path:
    return paths.data_dir() / FILE_NAME


def _validate(document: dict[str, Any]) -> None:
    records = document["records"]
    if not isinstance(records, list):
        raise TypeError("records must be a list")
    # Only the records kept are checked one by one: a file grown past MAX_RECORDS by another tool
    # (18 s for 200,000 records) is rotated below, its older records archived unread.
    for item in records[-MAX_RECORDS:]:
        if not isinstance(item, dict):
            raise TypeError("each record must be an object")
        WriteRecord.from_dict(item)


def load_history() -> list[WriteRecord]:
    """The newest MAX_RECORDS records, oldest first. Raises CorruptFile (after setting the file
    aside) if unreadable. A longer file is rotated: kept whole as ``write-history.json.archive-*``
    and rewritten with its newest MAX_RECORDS records, so the next read is quick."""
    target = history_path()
    seen = _identity(target)
    items = _read(target)
    if len(items) > MAX_RECORDS:
        try:
            with _lock, file_lock(target, timeout_s=2.0):
                if _identity(target) != seen:  # another process changed it meanwhile: read again
                    items = _read(target)
                if len(items) > MAX_RECORDS:
                    items = _archive(target, items)
        except (OSError, EcsFieldError) as exc:  # a read-only data folder: answer anyway, rotate later
            log.warning("write history not rotated: %s", getattr(exc, "message", exc))
            items = items[-MAX_RECORDS:]
    return [WriteRecord.from_dict(item) for item in items]


def _identity(target: Path) -> tuple[int, int, int] | None:
    try:
        st = target.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _read(target: Path) -> list[dict[str, Any]]:
    document = load_json_document(target, SCHEMA, validate=_validate)
    return [] if document is None else list(document["records"])


def _archive(target: Path, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the whole file as an archive, rewrite it with the newest records; call under the lock."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    archive = target.with_name(f"{target.name}.archive-{stamp}")
    n = 1
    while archive.exists():
        n += 1
        archive = target.with_name(f"{target.name}.archive-{stamp}-{n}")
    os.replace(target, archive)
    kept = items[-MAX_RECORDS:]
    atomic_write_json(target, {"schema": SCHEMA, "records": kept})
    log.warning(
        "write history had %d records; kept the newest %d, all archived as %s",
        len(items),
        len(kept),
        archive.name,
    )
    return kept


def append_record(record: WriteRecord) -> str | None:
    """Add ``record``; returns a warning to show when an unreadable history was set aside first."""
    target = history_path()
    warning = None
    with _lock, file_lock(target):
        try:
            records = _read(target)
        except CorruptFile as exc:
            warning = exc.message
            log.warning("write history: %s", exc.message)
            records = []
        if len(records) >= MAX_RECORDS:
            records = _archive(target, records) if len(records) > MAX_RECORDS else records
        records.append(record.to_dict())
        atomic_write_json(target, {"schema": SCHEMA, "records": records[-MAX_RECORDS:]})
    return warning
