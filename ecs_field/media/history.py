"""Every write leaves a record: what went on which stick, when, how fast, and whether it verified.

Technicians are asked "which stick did you use and was it good?" weeks later; the record answers
with the image's SHA-256, the stick's model and serial, and the verify result. Records live in
one JSON document under the data folder, rewritten atomically for each new record (the file is
small: at most ``MAX_RECORDS``). A corrupt file is set aside and reported, never overwritten.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ecs_field import __version__, paths
from ecs_field.storage import CorruptFile, atomic_write_json, load_json_document

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
    for item in records:
        if not isinstance(item, dict):
            raise TypeError("each record must be an object")
        WriteRecord.from_dict(item)


def load_history() -> list[WriteRecord]:
    """Every record, oldest first. Raises CorruptFile (after setting the file aside) if unreadable."""
    document = load_json_document(history_path(), SCHEMA, validate=_validate)
    if document is None:
        return []
    return [WriteRecord.from_dict(item) for item in document["records"]]


@contextlib.contextmanager
def _interprocess_lock(target: Path) -> Iterator[None]:
    """Two CLI writes finishing at the same moment must not lose each other's record."""
    if sys.platform == "win32":
        yield
        return
    import fcntl

    lock_path = target.with_name(target.name + ".lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def append_record(record: WriteRecord) -> str | None:
    """Add ``record``; returns a warning to show when an unreadable history was set aside first."""
    target = history_path()
    warning = None
    with _lock, _interprocess_lock(target):
        try:
            records = [r.to_dict() for r in load_history()]
        except CorruptFile as exc:
            warning = exc.message
            log.warning("write history: %s", exc.message)
            records = []
        records.append(record.to_dict())
        atomic_write_json(target, {"schema": SCHEMA, "records": records[-MAX_RECORDS:]})
    return warning
