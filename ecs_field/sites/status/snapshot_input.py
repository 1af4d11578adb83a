"""Reading a snapshot file someone hands us, before anything of it reaches the cache.

``snapshot import`` and ``status --snapshot`` take the app's own snapshot file or kubectl output
(JSON or YAML). Such a file comes from another machine, so it is read as hostile: a size limit
before reading, the bounded YAML loader (no alias bombs, no unbounded nesting, timestamps kept
as text), a depth and node count check for JSON, and a type check of every field the app reads
later, each failure a BadInput (exit 2) naming the file and the field. Nothing is cached until
all of this passed, so the previous snapshot stays.

Secrets: a Secret's ``data``/``stringData`` and its last-applied annotation (which repeats them)
are dropped here, before caching; the key names stay so the status can still say it exists.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ecs_field.errors import BadInput
from ecs_field.sites.repo import safe_yaml

MAX_JSON_BYTES = 64 * 1024 * 1024  # a host with thousands of objects and events stays well under
MAX_YAML_BYTES = 16 * 1024 * 1024  # YAML is built in Python: slower, so a lower limit
MAX_DEPTH = 64  # Kubernetes objects nest ~15 deep; a snapshot adds 2
MAX_NODES = 5_000_000
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
DROPPED = "(dropped by ecs-field)"

_HINT_EXPORT = "Export it again with `kubectl get ... -o json`, or fetch with `ecs-field snapshot fetch`."


def read_documents(file: Path) -> list[Any]:
    """The documents of ``file`` (one for JSON, one per YAML document), size/depth/alias bounded."""
    data = _read_bounded(file)
    if b"\x00" in data[:8192]:
        raise BadInput(f"{file}: a binary file, not JSON or YAML", _HINT_EXPORT)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInput(f"{file}: line {line}: not valid UTF-8 (byte {exc.start})", _HINT_EXPORT) from None
    if not text.strip():
        raise BadInput(f"{file}: the file is empty", "Give kubectl -o json/yaml output or a snapshot file.")
    if text.lstrip().startswith(("{", "[")):
        documents = _json_documents(file, text)
    else:
        documents = _yaml_documents(file, text, len(data))
    for index, document in enumerate(documents):
        _check_shape(file, index, document)
    return documents


def _read_bounded(file: Path) -> bytes:
    try:
        st = file.stat()
    except FileNotFoundError:
        raise BadInput(f"{file}: no such file", "Check the path of the snapshot file.") from None
    except OSError as exc:
        raise BadInput(
            f"{file}: cannot read ({exc.strerror})", "Check the path and its permissions."
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise BadInput(f"{file}: is a folder", "Give the snapshot file, not its folder.")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO would block until someone writes to it; a device may never end.
        raise BadInput(f"{file}: not a regular file (a pipe or a device)", "Save the output to a file first.")
    if st.st_size > MAX_JSON_BYTES:
        raise BadInput(
            f"{file}: {st.st_size / 1048576:.0f} MB, over the {MAX_JSON_BYTES // 1048576} MB limit",
            "A host snapshot is a few MB; export only the Flux, VM and host kinds.",
        )
    try:
        with file.open("rb") as handle:
            data = handle.read(st.st_size + 1)  # not MAX + 1: that would allocate 64 MB first
    except OSError as exc:
        raise BadInput(f"{file}: cannot read ({exc.strerror})", "Check the file's permissions.") from None
    if len(data) > MAX_JSON_BYTES:
        raise BadInput(f"{file}: over the {MAX_JSON_BYTES // 1048576} MB limit", "Export fewer kinds.")
    return data


def _json_documents(file: Path, text: str) -> list[Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{file}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})",
            "The file may be cut short; export it again with kubectl -o json.",
        ) from None
    except RecursionError:
        raise BadInput(f"{file}: nested too deeply to be a Kubernetes object", _HINT_EXPORT) from None
    return document if isinstance(document, list) else [document]


def _yaml_documents(file: Path, text: str, size: int) -> list[Any]:
    if size > MAX_YAML_BYTES:
        raise BadInput(
            f"{file}: {size / 1048576:.0f} MB of YAML, over the {MAX_YAML_BYTES // 1048576} MB limit",
            "Export as JSON (kubectl -o json), which is read faster and may be larger.",
        )
    loaded = safe_yaml.load_text(text)
    errors = [issue for issue in loaded.issues if issue.severity == "error"]
    if errors:
        issue = errors[0]
        where = f"line {issue.line}: " if issue.line else ""
        raise BadInput(f"{file}: {where}{issue.message}", issue.hint or _HINT_EXPORT)
    return [d.value for d in loaded.documents if d.value is not None]


def _check_shape(file: Path, index: int, document: Any) -> None:
    """Depth and size of one document, without recursion (a deep document must not crash us)."""
    nodes = 0
    stack: list[tuple[Any, int, str]] = [(document, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise BadInput(f"{_doc(file, index)}: more than {MAX_NODES:,} values", _HINT_EXPORT)
        if depth > MAX_DEPTH:
            raise BadInput(
                f"{_doc(file, index)}: {where or 'the document'} is nested more than {MAX_DEPTH} levels deep",
                _HINT_EXPORT,
            )
        if isinstance(value, dict):
            for key, child in value.items():
                if not isinstance(key, str):
                    place = where or "the document"
                    raise BadInput(
                        f"{_doc(file, index)}: {place} has a key that is not text ({key!r:.40})",
                        "Kubernetes objects have text keys only; quote the key.",
                    )
                if isinstance(child, dict | list):
                    stack.append((child, depth + 1, f"{where}.{key}" if where else key))
                else:
                    nodes += 1
        elif isinstance(value, list):
            for position, child in enumerate(value):
                if isinstance(child, dict | list):
                    stack.append((child, depth + 1, f"{where}[{position}]"))
                else:
                    nodes += 1


def _doc(file: Path, index: int) -> str:
    return f"{file}: document {index + 1}" if index else str(file)


# -- fields the app reads later ----------------------------------------------------------------------
_TYPE_WORDS = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number"}


def _type_word(value: Any) -> str:
    if value is None:
        return "empty"
    for kind, word in _TYPE_WORDS.items():
        if isinstance(value, kind):
            return word
    return type(value).__name__


def _expect(where: str, value: Any, kind: type | tuple[type, ...], what: str) -> None:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}: expected {what}, got {_type_word(value)}")


def check_item(where: str, item: Any) -> None:
    """The fields status and health read; ValueError naming the field (the caller adds the file)."""
    _expect(where, item, dict, "a Kubernetes object (a mapping)")
    _expect(f"{where}.kind", item.get("kind"), str, "text")
    if not item["kind"]:
        raise ValueError(f"{where}.kind: empty")
    if "apiVersion" in item and item["apiVersion"] is not None:
        _expect(f"{where}.apiVersion", item["apiVersion"], str, "text")
    meta = item.get("metadata")
    if meta is not None:
        _expect(f"{where}.metadata", meta, dict, "a mapping")
        for key in ("name", "namespace", "creationTimestamp", "deletionTimestamp"):
            if meta.get(key) is not None:
                _expect(f"{where}.metadata.{key}", meta[key], str, "text")
        for key in ("annotations", "labels"):
            if meta.get(key) is not None:
                _expect(f"{where}.metadata.{key}", meta[key], dict, "a mapping")
        if meta.get("generation") is not None:
            _expect(f"{where}.metadata.generation", meta["generation"], int, "a number")
    for key in ("spec", "status"):
        if item.get(key) is not None:
            _expect(f"{where}.{key}", item[key], dict, "a mapping")
    status = item.get("status") or {}
    conditions = status.get("conditions")
    if conditions is not None:
        _expect(f"{where}.status.conditions", conditions, list, "a list")
        for i, condition in enumerate(conditions):
            _expect(f"{where}.status.conditions[{i}]", condition, dict, "a mapping")
            for key in ("type", "status", "reason", "message", "lastTransitionTime"):
                if condition.get(key) is not None:
                    _expect(f"{where}.status.conditions[{i}].{key}", condition[key], str, "text")
    for key in ("lastAppliedRevision", "lastAttemptedRevision"):
        if status.get(key) is not None:
            _expect(f"{where}.status.{key}", status[key], str, "text")
    if item["kind"] == "Event":
        for key in ("reason", "message", "type", "lastTimestamp", "firstTimestamp", "eventTime"):
            if item.get(key) is not None:
                _expect(f"{where}.{key}", item[key], str, "text")
        if item.get("count") is not None:
            _expect(f"{where}.count", item["count"], int, "a number")
        if item.get("involvedObject") is not None:
            _expect(f"{where}.involvedObject", item["involvedObject"], dict, "a mapping")


def check_snapshot_document(data: dict[str, Any]) -> None:
    """The app's own snapshot document; ValueError naming the field."""
    for key in ("taken_at", "source", "site"):
        if key in data and data[key] is not None:
            _expect(
                key,
                data[key],
                str,
                "text (a time such as 2026-12-04T10:00:00Z)" if key == "taken_at" else "text",
            )
    for key in ("listed_kinds", "notes"):
        if data.get(key) is not None:
            _expect(key, data[key], list, "a list")
            for i, entry in enumerate(data[key]):
                _expect(f"{key}[{i}]", entry, str, "text")
    _expect("items", data.get("items"), list, "a list")
    for i, item in enumerate(data["items"]):
        check_item(f"items[{i}]", item)


# -- secrets ------------------------------------------------------------------------------------------
def drop_secret_data(items: list[dict[str, Any]]) -> int:
    """Remove Secret values (and their copy in the last-applied annotation); returns how many Secrets."""
    dropped = 0
    for item in _secrets(items):
        touched = False
        for key in ("data", "stringData"):
            value = item.get(key)
            if value is not None:
                item[key] = {str(k): DROPPED for k in value} if isinstance(value, dict) else DROPPED
                touched = True
        annotations = (item.get("metadata") or {}).get("annotations")
        if isinstance(annotations, dict) and LAST_APPLIED in annotations:
            annotations[LAST_APPLIED] = DROPPED
            touched = True
        dropped += touched
    return dropped


def _secrets(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if isinstance(item, dict) and item.get("kind") == "Secret":
            yield item
