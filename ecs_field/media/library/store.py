"""The image library: ESXi/ECS ISOs kept (or referenced) with their size, mtime and SHA-256.

Files live in ``paths.data_dir()/images`` next to an index document (``index.json``, schema
``ecs-field/image-library@1``) written atomically through ecs_field.storage. A corrupt index is
set aside and reported (CorruptFile), never silently overwritten.

``add(path)`` copies by default: the technician's ISO often sits in Downloads or on a share
that will not be there on site, and the copy is hashed while it is copied, so it costs no
extra pass. ``add(path, copy=False)`` records the file where it is (for a big disk of ISOs
that should not be duplicated); such a reference is never deleted by ``remove``.

``verify(name)`` re-checks an image before it is written: quick = the file is there with the
recorded size and modified time and a recorded SHA-256; full = re-hash and compare. Every
mismatch says exactly what changed.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ecs_field import paths, storage
from ecs_field.errors import BadInput, EcsFieldError, VerifyMismatch
from ecs_field.events import CancelToken, ProgressCallback, ignore_progress
from ecs_field.media.library.hashing import copy_with_sha256, human_bytes, normalize_sha256, sha256_file

log = logging.getLogger(__name__)

SCHEMA = "ecs-field/image-library@1"
INDEX_NAME = "index.json"
LOCK_NAME = ".index.lock"
# Files the library itself keeps in its folder that are not images.
_PRIVATE_SUFFIXES = (".part", ".part.json", ".tmp", ".copying")

# "copy": copied into the library; "download": downloaded into it; both are owned by the
# library and deleted by remove(). "reference": a file elsewhere, recorded in place.
OWNED = ("copy", "download")

Inspector = Callable[[Path], dict[str, Any]]


def _utc_iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class ImageRecord:
    """One library image. ``to_dict()`` is the JSON shape ``images list --json`` prints."""

    name: str
    file_name: str
    path: str
    stored: str  # "copy" | "download" | "reference"
    size_bytes: int
    mtime: str  # ISO 8601 UTC, for people
    mtime_ns: int  # what quick verify compares
    sha256: str | None
    checksum_verified: bool  # True only when a published/given checksum matched
    checksum_source: str | None  # "--sha256", "sidecar <url>", "SHA256SUMS <url>" or None
    source: str  # local path or URL (never with credentials)
    added_at: str
    format: str | None = None
    esxi: dict[str, Any] | None = None
    write_mode: str | None = None
    inspect: dict[str, Any] | None = None
    last_check: dict[str, Any] | None = None

    @property
    def file_path(self) -> Path:
        return Path(self.path)

    @property
    def owned(self) -> bool:
        return self.stored in OWNED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageRecord:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class VerifyReport:
    """Result of ``ImageLibrary.verify``. ``problems`` empty means the image is as recorded."""

    name: str
    mode: str  # "quick" | "full"
    problems: list[str]
    notes: list[str] = field(default_factory=list)
    record: ImageRecord | None = None
    sha256_now: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """The record with a ``verify`` object added (what ``images verify --json`` prints)."""
        document: dict[str, Any] = self.record.to_dict() if self.record else {"name": self.name}
        document["verify"] = {
            "mode": self.mode,
            "ok": self.ok,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "sha256_now": self.sha256_now,
        }
        return document

    def raise_if_bad(self) -> None:
        """For the writer: refuse to write an image that is not what was recorded."""
        if self.problems:
            raise VerifyMismatch(
                f"Image {self.name} is not what the library recorded: " + "; ".join(self.problems),
                "Download or add the image again (ecs-field images remove NAME, then add/download).",
            )


def default_inspector() -> Inspector | None:
    """``ecs_field.media.image.inspect.inspect_image`` as a dict-returning function, if that module exists."""
    try:
        module = importlib.import_module("ecs_field.media.image.inspect")
    except ModuleNotFoundError as exc:
        if exc.name != "ecs_field.media.image.inspect":
            raise
        return None
    inspect_image = getattr(module, "inspect_image", None)
    if inspect_image is None:
        return None

    def inspect(path: Path) -> dict[str, Any]:
        info = inspect_image(path)
        document = info.to_dict() if hasattr(info, "to_dict") else dict(info)
        return dict(document)

    return inspect


_DEFAULT = object()


def _validate_index(document: dict[str, Any]) -> None:
    images = document["images"]
    if not isinstance(images, list):
        raise TypeError("'images' is not a list")
    for n, item in enumerate(images):
        if not isinstance(item, dict):
            raise TypeError(f"images[{n}] is not an object")
        for key in ("name", "path", "size_bytes", "mtime_ns"):
            if key not in item:
                raise KeyError(f"images[{n}] has no {key!r}")


# Aliases: inside ImageLibrary the method list() shadows the builtin in annotations.
_Records = list[ImageRecord]
_Paths = list[Path]


class ImageLibrary:
    """The library folder and its index. Safe to use from several threads and processes."""

    _thread_lock = threading.RLock()

    def __init__(self, root: Path | None = None, *, inspector: Any = _DEFAULT) -> None:
        self.root = root if root is not None else paths.data_dir() / "images"
        self.root.mkdir(parents=True, exist_ok=True)
        self.index_path = self.root / INDEX_NAME
        self._inspector: Inspector | None = default_inspector() if inspector is _DEFAULT else inspector

    # ----- reading

    def _load(self) -> _Records:
        document = storage.load_json_document(self.index_path, SCHEMA, validate=_validate_index)
        if document is None:
            return []
        return [ImageRecord.from_dict(item) for item in document["images"]]

    def _save(self, records: _Records) -> None:
        storage.atomic_write_json(
            self.index_path, {"schema": SCHEMA, "images": [r.to_dict() for r in records]}
        )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time, across threads (RLock) and processes (flock where available)."""
        with self._thread_lock:
            try:
                import fcntl
            except ImportError:  # Windows: the thread lock is all we take
                yield
                return
            with (self.root / LOCK_NAME).open("a") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def list(self) -> _Records:
        return sorted(self._load(), key=lambda r: r.name.lower())

    def find(self, name: str) -> ImageRecord | None:
        return next((r for r in self._load() if r.name == name), None)

    def find_by_path(self, path: Path) -> ImageRecord | None:
        """The record for a file, so the writer can re-check an image picked by path."""
        target = _resolved(path)
        return next((r for r in self._load() if _resolved(Path(r.path)) == target), None)

    def get(self, name: str) -> ImageRecord:
        records = self._load()
        for record in records:
            if record.name == name:
                return record
        names = ", ".join(r.name for r in records) or "none yet"
        raise BadInput(
            f"No image named {name!r} in the library (images: {names}).",
            "See ecs-field images list; add one with ecs-field images add FILE or images download URL.",
        )

    def unindexed_files(self) -> _Paths:
        """Files in the library folder the index does not know (e.g. after a corrupt index)."""
        known = {Path(r.path).name for r in self._load() if r.owned}
        found = []
        for entry in sorted(self.root.iterdir()):
            name = entry.name
            if name.startswith(".") or name == INDEX_NAME or not entry.is_file():
                continue
            if ".corrupt-" in name or name.endswith(_PRIVATE_SUFFIXES) or name in known:
                continue
            found.append(entry)
        return found

    # ----- adding

    def check_name(self, name: str) -> str:
        return check_image_name(name)

    def _refuse_duplicate_name(self, records: _Records, name: str) -> None:
        for record in records:
            if record.name == name:
                raise BadInput(
                    f"An image named {name!r} is already in the library "
                    f"(added {record.added_at}, sha256 {(record.sha256 or '?')[:16]}…).",
                    f"Remove it first (ecs-field images remove {name}) or pick another --name.",
                )

    def inspect(self, path: Path) -> dict[str, Any] | None:
        """The image inspector's findings; BadInput (from it) when the file is not a boot image."""
        if self._inspector is None:
            return None
        return self._inspector(path)

    def add(
        self,
        path: Path,
        *,
        copy: bool = True,
        name: str | None = None,
        sha256: str | None = None,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
    ) -> ImageRecord:
        """Add a local image file: copied into the library (default) or recorded in place.

        A file already inside the library folder (e.g. left unindexed after a corrupt index)
        is taken as it is. ``sha256``, when given, must match or nothing is added.
        """
        source = Path(path).expanduser()
        if not source.is_file():
            what = ("is a folder" if source.is_dir() else
                    "is not a regular file (a pipe or device)" if source.exists() else "does not exist")
            raise BadInput(f"{source}: {what}.", "Give the path of an ISO or disk image file.")
        expected = normalize_sha256(sha256) if sha256 else None
        name = self.check_name(name or source.name)
        inside = _resolved(source.parent) == _resolved(self.root)
        if inside and name != source.name:
            raise BadInput(
                f"{source} is already in the library folder; its name must stay {source.name!r}.",
                "Leave out --name.",
            )
        self._refuse_duplicate_name(self._load(), name)
        info = self.inspect(source)  # before copying 2 GB: refuse a non-image early

        if inside:
            digest = sha256_file(source, progress=progress, cancel=cancel, phase="hash")
            target, stored = source, "copy"
        elif copy:
            target, stored = self.root / name, "copy"
            if target.exists():
                raise BadInput(
                    f"{target} already exists in the library folder but is not indexed.",
                    f"Add it as it is: ecs-field images add {target}",
                )
            staging = self.root / f".{name}.copying"
            staging.unlink(missing_ok=True)
            digest, _ = copy_with_sha256(source, staging, progress=progress, cancel=cancel)
            if expected and digest != expected:
                staging.unlink(missing_ok=True)
                raise _checksum_mismatch(str(source), expected, digest, "--sha256", kept=None)
            # The index write below fsyncs this same folder, which makes the rename durable too.
            os.replace(staging, target)
        else:
            target, stored = source.resolve(), "reference"
            digest = sha256_file(source, progress=progress, cancel=cancel, phase="hash")

        if expected and digest != expected:
            raise _checksum_mismatch(str(source), expected, digest, "--sha256", kept=None)
        return self._record(
            target,
            name=name,
            stored=stored,
            sha256=digest,
            checksum_source="--sha256" if expected else None,
            source=str(source.resolve()),
            info=info,
        )

    def adopt(
        self,
        path: Path,
        *,
        sha256: str,
        source: str,
        checksum_source: str | None,
        info: dict[str, Any] | None = None,
        stored: str = "download",
    ) -> ImageRecord:
        """Index a file the caller already placed in the library folder and hashed (downloads)."""
        return self._record(
            path, name=path.name, stored=stored, sha256=sha256,
            checksum_source=checksum_source, source=source, info=info,
        )

    def _record(
        self,
        target: Path,
        *,
        name: str,
        stored: str,
        sha256: str,
        checksum_source: str | None,
        source: str,
        info: dict[str, Any] | None,
    ) -> ImageRecord:
        stat = target.stat()
        inspected = None
        if info is not None:
            inspected = dict(info)
            inspected["path"] = str(target)
        record = ImageRecord(
            name=name,
            file_name=target.name,
            path=str(target),
            stored=stored,
            size_bytes=stat.st_size,
            mtime=_utc_iso(stat.st_mtime_ns / 1e9),
            mtime_ns=stat.st_mtime_ns,
            sha256=sha256,
            checksum_verified=checksum_source is not None,
            checksum_source=checksum_source,
            source=source,
            added_at=now_iso(),
            format=(inspected or {}).get("format"),
            esxi=(inspected or {}).get("esxi"),
            write_mode=(inspected or {}).get("write_mode"),
            inspect=inspected,
        )
        with self._locked():
            records = self._load()
            self._refuse_duplicate_name(records, name)
            records.append(record)
            self._save(records)
        log.info("library: added %s (%s, %s, sha256 %s)", name, stored, human_bytes(stat.st_size), sha256)
        return record

    # ----- removing

    def remove(self, name: str, *, delete_file: bool = True) -> ImageRecord:
        """Drop an image from the index; its file too when the library owns it (never a reference)."""
        with self._locked():
            records = self._load()
            record = next((r for r in records if r.name == name), None)
            if record is None:
                self.get(name)  # raises the helpful BadInput
                raise AssertionError("unreachable")
            self._save([r for r in records if r.name != name])
        if delete_file and record.owned:
            try:
                Path(record.path).unlink(missing_ok=True)
            except OSError as exc:
                raise EcsFieldError(
                    f"{record.name} was removed from the index but its file {record.path} could not "
                    f"be deleted: {exc.strerror or exc}",
                    "Delete the file by hand.",
                ) from exc
        log.info("library: removed %s", name)
        return record

    # ----- verifying

    def verify(
        self,
        name: str,
        *,
        full: bool = False,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
    ) -> VerifyReport:
        """Re-check an image against its record. Never raises for a mismatch: see ``raise_if_bad``."""
        record = self.get(name)
        report = VerifyReport(name=name, mode="full" if full else "quick", problems=[], record=record)
        path = Path(record.path)
        try:
            stat = path.stat()
        except FileNotFoundError:
            report.problems.append(f"the file is missing: {path}")
            return self._remember(report)
        except OSError as exc:
            report.problems.append(f"the file cannot be read: {path}: {exc.strerror or exc}")
            return self._remember(report)

        size_changed = stat.st_size != record.size_bytes
        mtime_changed = stat.st_mtime_ns != record.mtime_ns
        if size_changed:
            report.problems.append(
                f"size changed: recorded {record.size_bytes} bytes, now {stat.st_size} bytes"
            )
        if not record.sha256:
            report.problems.append("no SHA-256 was recorded for this image; add it again")
        if not full:
            if mtime_changed:
                report.problems.append(
                    f"modified time changed: recorded {record.mtime}, now {_utc_iso(stat.st_mtime_ns / 1e9)} "
                    "(the file was changed or touched since it was added; a full verify compares the content)"
                )
            if not report.problems:
                report.notes.append("size and modified time as recorded; content not re-read (use --full)")
            return self._remember(report)

        digest = sha256_file(path, progress=progress, cancel=cancel, phase="verify")
        report.sha256_now = digest
        if record.sha256 and digest != record.sha256:
            report.problems.append(f"content changed: SHA-256 recorded {record.sha256}, now {digest}")
        elif record.sha256 and mtime_changed and not size_changed:
            report.notes.append(
                f"modified time changed ({record.mtime} -> {_utc_iso(stat.st_mtime_ns / 1e9)}) but the "
                "content is identical; the record was updated"
            )
            updated = replace(record, mtime_ns=stat.st_mtime_ns, mtime=_utc_iso(stat.st_mtime_ns / 1e9))
            report.record = updated
        if not report.problems:
            report.notes.append("SHA-256 re-computed and matches the record")
            if record.inspect is None and self._inspector is not None:
                with contextlib.suppress(BadInput):
                    info = self.inspect(path)
                    if info is not None and report.record is not None:
                        report.record = replace(
                            report.record, inspect=info, format=info.get("format"),
                            esxi=info.get("esxi"), write_mode=info.get("write_mode"),
                        )
        return self._remember(report)

    def recheck_before_write(
        self,
        path: Path,
        *,
        full: bool = False,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
    ) -> VerifyReport | None:
        """For the writer: verify ``path`` if it is a library image (None when it is not one).

        Call ``raise_if_bad()`` on the report to refuse a changed image with VerifyMismatch.
        """
        record = self.find_by_path(path)
        if record is None:
            return None
        return self.verify(record.name, full=full, progress=progress, cancel=cancel)

    def _remember(self, report: VerifyReport) -> VerifyReport:
        """Store the last check (and refreshed fields) so the GUI can show when it was checked."""
        if report.record is None:
            return report
        check = {"at": now_iso(), "mode": report.mode, "ok": report.ok, "problems": list(report.problems)}
        updated = replace(report.record, last_check=check)
        with self._locked():
            records = self._load()
            for n, existing in enumerate(records):
                if existing.name == report.name:
                    records[n] = updated
                    self._save(records)
                    break
        report.record = updated
        return report


def check_image_name(name: str) -> str:
    """A library name doubles as the file name of a copy, so it must be a plain file name."""
    bad = (
        not name
        or name != name.strip()
        or any(c in name for c in '/\\:*?"<>|')
        or any(ord(c) < 32 for c in name)
        or name.startswith(".")
        or name == INDEX_NAME
        or name.endswith(_PRIVATE_SUFFIXES)
        or len(name) > 200
    )
    if bad:
        raise BadInput(
            f"{name!r} cannot be an image name: use a plain file name (no folders, no leading dot, "
            f"not ending in {', '.join(_PRIVATE_SUFFIXES)}).",
            "Pick another name with --name, e.g. ECS-8.0U3.iso.",
        )
    return name


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _checksum_mismatch(
    what: str, expected: str, actual: str, source: str, kept: Path | None
) -> VerifyMismatch:
    kept_text = f" It was kept as {kept}." if kept else " Nothing was kept."
    return VerifyMismatch(
        f"{what}: SHA-256 does not match {source}: expected {expected}, got {actual}.{kept_text}",
        "Check that the checksum belongs to this exact file; if it does, the file is damaged: "
        "get it again.",
    )


def recheck_image_for_write(path: Path) -> None:
    """Refuse (VerifyMismatch, exit 6) a library image that changed since it was added.

    Images outside the library are not checked here; the writer hashes what it writes anyway.
    """
    report = ImageLibrary().recheck_before_write(path)
    if report is not None:
        report.raise_if_bad()
