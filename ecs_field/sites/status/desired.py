"""The desired side of a status: one small row per object declared in the repository.

Status compares what the repository declares with what the host reports. It needs, per object,
only kind, group, namespace, name, a one-line "desired" summary, file and line; not the parsed
bodies the linter needs. So this module reads the manifests once per commit and keeps the rows
in the app's cache folder (``cache_dir()/status/desired-<commit>-<path hash>.json``): a second
`status` of the same commit reads one small JSON file instead of every manifest.

Reading is fast *and* bounded. A file that is plainly harmless (no anchors or aliases, few
brackets, short lines: so its nesting depth is bounded too) is parsed with PyYAML's C loader; any
other file goes through the bounded loader in repo/safe_yaml (alias bombs, depth, size, huge
numbers), as does any file the C loader rejects. Files are found like repo/manifests finds them
(YAML suffixes, hidden folders skipped, symlinked folders not followed, non-regular files skipped).

Rows are cached only for a clean work tree at a known commit: uncommitted changes are read from
the files every time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecs_field import paths, storage
from ecs_field.errors import BadInput
from ecs_field.sites.repo.subpath import resolve_subpath

log = logging.getLogger(__name__)

CACHE_SCHEMA = "ecs-field/status-desired@3"
YAML_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 5 * 1024 * 1024  # as repo/safe_yaml
KUSTOMIZE_CONFIG_GROUP = "kustomize.config.k8s.io"
# The C loader is used only below these bounds: with no line longer than MAX_FAST_LINE, block
# nesting cannot pass it, and with at most MAX_FAST_BRACKETS brackets neither can flow nesting,
# so libyaml's recursive composer stays shallow (a deep document would crash it).
MAX_FAST_LINE = 256
MAX_FAST_BRACKETS = 256
_CLOADER: Any = getattr(yaml, "CSafeLoader", None)
_ALIAS_OR_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])[&*!<]")  # anchors, aliases, tags, merge keys: slow path


@dataclass(frozen=True)
class DesiredRow:
    kind: str
    group: str
    name: str
    namespace: str | None  # as written; None when the manifest gives none
    desired: str  # "poweredOn, class small, image photon.ova", "2 vCPU, 4Gi memory", "present"
    file: str  # relative to the repository root, "/" separated
    line: int


def desired_rows(root: Path, subpath: str | None, *, commit: str | None = None) -> list[DesiredRow]:
    """Rows of every object under ``root/subpath``; cached per ``commit`` (give it only for a clean tree)."""
    cache_file = _cache_file(root, subpath, commit) if commit else None
    where = _where(root, subpath)
    if cache_file is not None:
        cached = _read_cache(cache_file, commit or "", where)
        if cached is not None:
            return cached
    rows = list(_scan(root, subpath))
    if cache_file is not None:
        _write_cache(cache_file, commit or "", where, rows)
    return rows


def rows_from_manifests(manifests: Any) -> list[DesiredRow]:
    """Rows from an already loaded repo.manifests.ManifestSet (the GUI's detail loads one anyway)."""
    return [
        DesiredRow(o.kind, o.group, o.name, o.namespace, summarize(o.kind, o.body), o.file, o.line)
        for o in manifests.objects
    ]


# -- reading the files ---------------------------------------------------------------------------------
def _scan(root: Path, subpath: str | None) -> Iterator[DesiredRow]:
    root = Path(root)
    if not root.exists():
        raise BadInput(f"{root}: no such folder", "Give the path of a site repository (or clone it first).")
    base = resolve_subpath(root, subpath)
    # Plain strings, not Path objects: 2,000 files make pathlib's overhead visible.
    prefix = os.path.join(str(root), "")
    files = [str(base)] if base.is_file() else sorted(_yaml_files(str(base)))
    yield from _rows_of_files(files, prefix)


def _rows_of_files(files: list[str], prefix: str) -> Iterator[DesiredRow]:
    for path in files:
        rel = path[len(prefix) :] if path.startswith(prefix) else path
        if os.sep != "/":
            rel = rel.replace(os.sep, "/")
        for value, line in _documents(path):
            yield from _rows_of(value, rel, line)


def _yaml_files(base: str) -> Iterator[str]:
    for folder, dirs, names in os.walk(base):  # followlinks=False: a linked folder may leave the repo
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.lower().endswith(YAML_SUFFIXES) and not name.startswith("."):
                yield os.path.join(folder, name)


def _documents(path: str) -> list[tuple[Any, int]]:
    """(value, line) of each document; [] for a file that cannot be read (lint reports those)."""
    data = _read_regular(path)
    if data is None:
        return []
    if b"\x00" in data[:8192]:
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return []
    if _fast_ok(text):
        try:
            return _fast_documents(text)
        except (yaml.YAMLError, ValueError, RecursionError, TypeError, _NeedFullLoad):
            pass  # the bounded loader below reports nothing here; lint reports syntax errors
    from ecs_field.sites.repo import safe_yaml

    loaded = safe_yaml.load_text(text)
    return [(d.value, d.line) for d in loaded.documents]


class _NeedFullLoad(Exception):
    """A document the event reader does not summarise (a List with items): load it whole."""


# The only paths a row reads; everything else in a document is parsed and dropped.
_WANTED = frozenset(
    {
        ("kind",),
        ("apiVersion",),
        ("metadata", "name"),
        ("metadata", "namespace"),
        ("spec", "powerState"),
        ("spec", "className"),
        ("spec", "imageName"),
        ("spec", "profile"),
        ("spec", "hardware", "cpus"),
        ("spec", "hardware", "memory"),
    }
)
_PREFIXES = frozenset(path[:i] for path in _WANTED for i in range(1, len(path)))
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def _fast_documents(text: str) -> list[tuple[Any, int]]:
    """Each document reduced to the few fields a row reads, from libyaml's events (no full tree).

    Only called for files without anchors, aliases or tags (see _fast_ok), so every scalar is
    plain data. A plain null is None; every other scalar stays text, as Kubernetes reads names.
    A frame is [is_map, path or None, key or None]; path is None below the wanted prefixes, where
    nothing is kept and no path is built.
    """
    loader = _CLOADER(text)
    check, get = loader.check_event, loader.get_event
    scalar, map_start, seq_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    doc_start, doc_end = yaml.DocumentStartEvent, yaml.DocumentEndEvent
    wanted, prefixes = _WANTED, _PREFIXES
    documents: list[tuple[Any, int]] = []
    try:
        stack: list[list[Any]] = []
        value: dict[str, Any] | None = None
        line = 1
        while check():
            event = get()
            kind = event.__class__
            if kind is scalar:
                if not stack:  # a document that is a bare scalar: not an object
                    value = None
                    continue
                frame = stack[-1]
                if not frame[0]:
                    continue  # an item of a list: never wanted
                key = frame[2]
                if key is None:
                    frame[2] = event.value
                    continue
                frame[2] = None
                if frame[1] is not None and value is not None:
                    path = (*frame[1], key)
                    if path in wanted:
                        plain_null = event.implicit[0] and event.value in _NULLS
                        _put(value, path, None if plain_null else event.value)
            elif kind is map_start or kind is seq_start:
                is_map = kind is map_start
                if not stack:
                    value = {} if is_map else None
                    line = event.start_mark.line + 1  # the root node's line, as the bounded loader
                    stack.append([is_map, (), None])
                    continue
                frame = stack[-1]
                path = None
                if frame[0]:
                    key = frame[2]
                    if key is None:
                        raise _NeedFullLoad  # a collection as a key: let the full loader judge it
                    frame[2] = None
                    if frame[1] is not None:
                        if key == "items" and not frame[1]:
                            raise _NeedFullLoad  # a List: its items are objects of their own
                        candidate = (*frame[1], key)
                        path = candidate if candidate in prefixes else None
                stack.append([is_map, path, None])
            elif kind is map_end or kind is seq_end:
                stack.pop()
            elif kind is doc_start:
                line = event.start_mark.line + 1
                value, stack = None, []
            elif kind is doc_end:
                documents.append((value, line))
    finally:
        loader.dispose()
    return documents


def _put(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[path[-1]] = value


# O_NOFOLLOW: a link is never followed (it could leave the repository); O_NONBLOCK: opening a FIFO
# returns at once instead of waiting for a writer (fstat then says it is not a regular file).
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read_regular(path: str) -> bytes | None:
    """A regular file's bytes, None for anything else (links, FIFOs, devices, too large, unreadable).
    Raw os calls: for 2,000 small files they cost half of Python's file objects."""
    try:
        if not _NOFOLLOW and not stat.S_ISREG(os.lstat(path).st_mode):
            return None  # no O_NOFOLLOW here (Windows): ask first
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            return None
        chunks = []
        total = 0
        while True:
            wanted = max(st.st_size + 1 - total, 65536)
            chunk = os.read(fd, wanted)
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_FILE_BYTES:  # it grew since the fstat
                return None
            if len(chunk) < wanted:  # a short read of a regular file: the end
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _fast_ok(text: str) -> bool:
    if _CLOADER is None:
        return False
    if text.count("[") + text.count("{") > MAX_FAST_BRACKETS:
        return False
    if _ALIAS_OR_ANCHOR.search(text):
        return False
    return max(map(len, text.splitlines()), default=0) <= MAX_FAST_LINE


def _rows_of(value: Any, rel: str, line: int) -> Iterator[DesiredRow]:
    if not isinstance(value, dict):
        return
    kind, api_version = value.get("kind"), value.get("apiVersion")
    if kind is None and api_version is None:
        return
    if isinstance(api_version, str) and api_version.startswith(KUSTOMIZE_CONFIG_GROUP + "/"):
        return
    if isinstance(kind, str) and kind.endswith("List") and isinstance(value.get("items"), list):
        for item in value["items"]:
            if isinstance(item, dict):
                yield _row(item, rel, line)
        return
    yield _row(value, rel, line)


def _row(body: dict[str, Any], rel: str, line: int) -> DesiredRow:
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    name = metadata.get("name")
    namespace = metadata.get("namespace")
    api_version = body.get("apiVersion") if isinstance(body.get("apiVersion"), str) else ""
    assert isinstance(api_version, str)
    kind = body.get("kind") if isinstance(body.get("kind"), str) else ""
    assert isinstance(kind, str)
    return DesiredRow(
        kind=kind,
        group=api_version.rpartition("/")[0] if "/" in api_version else "",
        name=name if isinstance(name, str) else ("" if name is None else _text(name)),
        namespace=namespace if isinstance(namespace, str) and namespace else None,
        desired=summarize(kind, body),
        file=rel,
        line=line,
    )


def _text(value: Any) -> str:
    # Only scalars become text: str() of a (possibly aliased) collection could be huge.
    if isinstance(value, dt.date):  # the C loader makes YAML dates dates; the bounded loader keeps text
        return value.isoformat()
    return str(value) if isinstance(value, str | int | float | bool) or value is None else "?"


def summarize(kind: str, body: dict[str, Any]) -> str:
    """The one-line "desired" cell of a workload."""
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    if kind == "VirtualMachine":
        parts = [_text(spec.get("powerState") or "poweredOn")]
        if spec.get("className"):
            parts.append(f"class {_text(spec['className'])}")
        if spec.get("imageName"):
            parts.append(f"image {_text(spec['imageName']).rsplit('/', 1)[-1]}")
        return ", ".join(parts)
    if kind == "VirtualMachineClass":
        hardware = spec.get("hardware") or {}
        bits = []
        if isinstance(hardware, dict):
            if hardware.get("cpus") is not None:
                bits.append(f"{_text(hardware['cpus'])} vCPU")
            if hardware.get("memory"):
                bits.append(f"{_text(hardware['memory'])} memory")
        return ", ".join(bits) or "declared"
    if kind == "HostConfiguration":
        return _profile_summary(spec.get("profile"))
    return "present"


def _profile_summary(profile: Any) -> str:
    if not isinstance(profile, str):
        return "profile"
    try:
        document = json.loads(profile)
    except (ValueError, RecursionError):
        return "profile (not valid JSON)"
    esx = document.get("esx") if isinstance(document, dict) else None
    if isinstance(document, dict) and isinstance(document.get("profile"), dict):
        esx = document["profile"].get("esx")
    if not isinstance(esx, dict):
        return "profile"
    return "profile: " + ", ".join(sorted(str(k) for k in esx))


# -- the per-commit cache --------------------------------------------------------------------------------
def cache_folder() -> Path:
    return paths.cache_dir() / "status"


def _where(root: Path, subpath: str | None) -> str:
    return f"{Path(root).resolve()}\0{subpath or ''}"


def _cache_file(root: Path, subpath: str | None, commit: str) -> Path:
    # zlib's checksum only names the file (hashlib costs 7 ms to import); the document itself
    # records the folder and path it is for, and _read_cache checks them.
    where = zlib.crc32(_where(root, subpath).encode())
    return cache_folder() / f"desired-{commit[:40]}-{where:08x}.json"


def _read_cache(path: Path, commit: str, where: str) -> list[DesiredRow] | None:
    try:
        raw = path.read_bytes()
        document = json.loads(raw)
        if (
            document.get("schema") != CACHE_SCHEMA
            or document.get("commit") != commit
            or document.get("where") != where
        ):
            return None
        return [DesiredRow(*row) for row in document["rows"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # a cache: anything wrong means "read the files again"


def _write_cache(path: Path, commit: str, where: str, rows: list[DesiredRow]) -> None:
    try:
        storage.atomic_write_text(
            path,
            json.dumps(
                {
                    "schema": CACHE_SCHEMA,
                    "commit": commit,
                    "where": where,
                    "rows": [[r.kind, r.group, r.name, r.namespace, r.desired, r.file, r.line] for r in rows],
                }
            ),
            durable=False,
        )
        _prune(path.parent)
    except OSError as exc:
        log.info("status cache not written: %s", exc)


CACHE_KEEP = 64


def _prune(folder: Path) -> None:
    try:
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in entries[CACHE_KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()
