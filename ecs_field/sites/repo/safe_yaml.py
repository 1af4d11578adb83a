"""YAML loading that a hostile or broken repository cannot turn into a crash or a hang.

Why not ``yaml.safe_load_all``: it drops line numbers, and its C composer recurses without a
limit (a deeply nested document crashes the interpreter with a segfault) while alias
expansion is only bounded by memory. So we take *events* from PyYAML's parser (libyaml's C
parser when present: it is an explicit state machine, fast, and builds no tree) and build
plain Python values here with an explicit stack, recording the line of every key and item,
and counting nesting depth and alias expansion as we go. Only the standard YAML scalar tags
are understood (like SafeLoader); any other tag is reported and ignored, never constructed.

Limits (a finding each, never an exception): file size, undecodable or binary content,
nesting depth, alias expansion, total node count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 100  # Kubernetes manifests rarely pass 20; CRD schemas reach ~40.
MAX_NODES = 1_000_000  # per file, aliases counted with their full expanded size
MAX_ALIAS_EXPANSION = 100_000  # nodes brought in through aliases, per file
# libyaml's parser gets quadratic on deep *flow* nesting ("[[[[..."), so we refuse that
# before handing the text over; block nesting costs it nothing.
MAX_FLOW_NESTING = 256
_MAX_INT_BITS = 64

Path_ = tuple[Any, ...]

# libyaml's parser alone (CSafeLoader would also set up a constructor and resolver per file); without
# libyaml, PyYAML's pure-Python parser gives the same events, slowly.
_EVENT_LOADER: type[Any] = getattr(getattr(yaml, "_yaml", None), "CParser", None) or yaml.SafeLoader
_PY_LOADER: type[Any] = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"
# Kept as text: Kubernetes reads these as strings, and text stays JSON-serialisable.
_AS_TEXT = {_STR, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:value"}
# First characters that can start a non-string plain scalar (bool, int, float, null,
# timestamp, merge, value) in PyYAML's resolver.
_IMPLICIT_FIRST = frozenset("yYnNtTfFoO-+0123456789.~<=")
# Plain words PyYAML's resolver reads as bool or null (its bool regex does not take y/n alone):
# a plain scalar starting with one of these letters is text unless it is one of these words.
_WORD_FIRST = frozenset("yYnNtTfFoO")
_IMPLICIT_WORDS = frozenset(
    w
    for base in ("yes", "no", "true", "false", "on", "off", "null")
    for w in (base, base.capitalize(), base.upper())
)
_STANDARD_COLLECTION_TAGS = {
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:omap",
    "tag:yaml.org,2002:pairs",
    "tag:yaml.org,2002:set",
}


@dataclass
class LoadIssue:
    """A problem found while loading; manifests.py turns it into a Finding."""

    rule: str
    line: int  # 1-based, 0 = whole file
    message: str
    hint: str = ""
    severity: str = "error"


@dataclass
class Document:
    """One YAML document: its value, and the 1-based line of each path inside it."""

    value: Any
    index: int  # position in the file, from 0
    line: int  # line of the document's root node
    lines: dict[Path_, int] = field(default_factory=dict)
    # Literal block scalars ("|") keep their lines, so line i of the text is file line
    # start + i: used to point into the JSON profile embedded in a manifest.
    block_starts: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, *path: Any) -> int:
        """Line of ``path``, or of its nearest ancestor the loader saw."""
        p: Path_ = tuple(path)
        while p:
            found = self.lines.get(p)
            if found is not None:
                return found
            p = p[:-1]
        return self.line


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    issues: list[LoadIssue] = field(default_factory=list)


class _Abandon(Exception):
    """The current document broke a limit; skip the rest of it."""

    def __init__(self, issue: LoadIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def decode(data: bytes) -> tuple[str | None, LoadIssue | None]:
    """Bytes to text, or the reason the bytes are not a text file."""
    if data.find(b"\x00", 0, 8192) >= 0:
        return None, LoadIssue(
            "file-binary",
            0,
            "binary file (NUL bytes): not YAML",
            "Move binary files out of the manifests folder or rename them.",
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, LoadIssue(
            "file-encoding", line, f"not valid UTF-8 (byte {exc.start})", "Save the file as UTF-8."
        )


def too_large(size: int) -> LoadIssue:
    return LoadIssue(
        "file-too-large",
        0,
        f"file is {size / 1048576:.1f} MB, over the {MAX_FILE_BYTES // 1048576} MB limit; not read",
        "Manifests this large are almost certainly not meant to be here; split or remove it.",
    )


def load_bytes(data: bytes) -> LoadResult:
    if len(data) > MAX_FILE_BYTES:
        return LoadResult(issues=[too_large(len(data))])
    text, issue = decode(data)
    if text is None:
        assert issue is not None
        return LoadResult(issues=[issue])
    return load_text(text)


def load_text(text: str) -> LoadResult:
    result = LoadResult()
    deep = _flow_nesting_problem(text)
    if deep is not None:
        result.issues.append(deep)
        return result
    loader = _EVENT_LOADER(text)
    try:
        _Builder(loader, result).run()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        result.issues.append(
            LoadIssue(
                "yaml-syntax", line, message, "Fix the YAML at that line; `yamllint` shows the same place."
            )
        )
    finally:
        loader.dispose()
    return result


_BRACKETS = re.compile(r"[\[\]{}]")


def _flow_nesting_problem(text: str) -> LoadIssue | None:
    """Refuse text whose flow collections nest deeper than MAX_FLOW_NESTING.

    Counting brackets overestimates (brackets in strings count too), so only a text that
    passes the cheap bound is checked exactly with the Python scanner.
    """
    if text.count("[") + text.count("{") <= MAX_FLOW_NESTING:
        return None
    depth = worst = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        depth = max(depth, 0)
        worst = max(worst, depth)
        if worst > MAX_FLOW_NESTING:
            break
    if worst <= MAX_FLOW_NESTING:
        return None
    loader = _PY_LOADER(text)
    depth = 0
    try:
        while loader.check_token():
            token = loader.get_token()
            if isinstance(token, yaml.FlowSequenceStartToken | yaml.FlowMappingStartToken):
                depth += 1
                if depth > MAX_FLOW_NESTING:
                    return LoadIssue(
                        "yaml-too-deep",
                        token.start_mark.line + 1,
                        f"flow collections nested deeper than {MAX_FLOW_NESTING} levels; not read",
                        "No manifest needs this; the file is probably generated wrongly or hostile.",
                    )
            elif isinstance(token, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken):
                depth -= 1
    except yaml.YAMLError:
        return None  # the real load reports the syntax error with its line
    finally:
        loader.dispose()
    return None


class _Frame:
    __slots__ = ("anchor", "is_map", "key", "key_line", "line", "merges", "path", "size", "value")

    def __init__(self, value: Any, path: Path_, anchor: str | None, line: int) -> None:
        self.value = value
        self.is_map = isinstance(value, dict)
        self.path = path
        self.anchor = anchor
        self.line = line
        self.size = 1
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.merges: list[dict[Any, Any]] = _NO_MERGES  # replaced by a list of its own on the first <<


_NO_KEY = object()
# Shared: only their stateless parts are used (resolve, construct_yaml_int/float, bool_values).
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_RESOLVED: dict[tuple[str, Any], str] = {}  # (text, implicit) -> the tag PyYAML's resolver gives it
_NO_MERGES: list[dict[Any, Any]] = []  # shared and never appended to


class _Builder:
    def __init__(self, loader: Any, result: LoadResult) -> None:
        self.loader = loader
        self.result = result
        self.resolver = _RESOLVER
        self.constructor = _CONSTRUCTOR
        self.nodes = 0
        self.expanded = 0

    def run(self) -> None:
        loader = self.loader
        index = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, DocumentStartEvent):
                try:
                    document = self._document(index)
                except _Abandon as abandon:
                    self.result.issues.append(abandon.issue)
                    try:
                        self._skip_to_document_end()
                    except yaml.YAMLError:
                        # The parser cannot get past what we refused (libyaml >= 0.2.5 as shipped
                        # with PyYAML 6.0.4 has its own nesting limit): the finding above says why,
                        # a second "syntax error" for the same spot would only confuse.
                        return
                    document = None
                if document is not None:
                    self.result.documents.append(document)
                index += 1

    def _skip_to_document_end(self) -> None:
        while self.loader.check_event():
            if isinstance(self.loader.get_event(), DocumentEndEvent):
                return

    def _document(self, index: int) -> Document | None:
        anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, expanded size)
        lines: dict[Path_, int] = {}
        block_starts: dict[Path_, int] = {}
        stack: list[_Frame] = []
        root: list[Any] = []
        root_line = 0
        loader = self.loader
        get_event = loader.get_event
        while True:
            event = get_event()
            # Fast path (most events of a manifest): an untagged, unanchored plain or quoted text
            # scalar inside a collection, as key or value. Same result as the general code below.
            if event.__class__ is ScalarEvent and stack and event.anchor is None and event.tag is None:
                text = event.value
                plain, quoted = event.implicit
                if (quoted and not plain) or (
                    plain
                    and text
                    and (
                        text[0] not in _IMPLICIT_FIRST
                        or (text[0] in _WORD_FIRST and text not in _IMPLICIT_WORDS)
                    )
                ):
                    top = stack[-1]
                    at = event.start_mark.line + 1  # type: ignore[union-attr]
                    if top.is_map:
                        key = top.key
                        if key is _NO_KEY:
                            top.key = text
                            top.key_line = at
                            continue
                        if key != _MERGE and key not in top.value and len(stack) < MAX_DEPTH:
                            self.nodes += 1
                            if self.nodes > MAX_NODES:
                                self._count(0, at)
                            fast_path = (*top.path, key)
                            lines[fast_path] = top.key_line
                            if event.style == "|":
                                block_starts[fast_path] = at + 1
                            top.value[key] = text
                            top.size += 1
                            top.key = _NO_KEY
                            continue
                    elif len(stack) < MAX_DEPTH:
                        self.nodes += 1
                        if self.nodes > MAX_NODES:
                            self._count(0, at)
                        fast_path = (*top.path, len(top.value))
                        lines[fast_path] = at
                        if event.style == "|":
                            block_starts[fast_path] = at + 1
                        top.value.append(text)
                        top.size += 1
                        continue
            cls = event.__class__
            # Fast paths for the other common events: a collection starting as a mapping value or a
            # list item (no anchor, no tag), and a collection ending. Same result as the general code.
            if (cls is MappingStartEvent or cls is SequenceStartEvent) and stack:
                top = stack[-1]
                key = top.key
                if (
                    event.anchor is None
                    and event.tag is None
                    and len(stack) < MAX_DEPTH
                    and (not top.is_map or key is not _NO_KEY)
                ):
                    self.nodes += 1
                    line = event.start_mark.line + 1
                    if self.nodes > MAX_NODES:
                        self._count(0, line)
                    if top.is_map:
                        child = (*top.path, key)
                        lines[child] = top.key_line
                    else:
                        child = (*top.path, len(top.value))
                        lines[child] = line
                    stack.append(_Frame({} if cls is MappingStartEvent else [], child, None, line))
                    continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                if frame.merges:
                    for merged in frame.merges:
                        for k, v in merged.items():
                            frame.value.setdefault(k, v)
                if frame.anchor:
                    anchors[frame.anchor] = (frame.value, frame.size)
                if stack:
                    top = stack[-1]
                    key = top.key
                    if not top.is_map:
                        top.size += frame.size
                        top.value.append(frame.value)
                    elif key != _MERGE and key is not _NO_KEY and key not in top.value:
                        top.size += frame.size
                        top.key = _NO_KEY
                        top.value[key] = frame.value
                    else:
                        self._attach(top, frame.value, frame.size, frame.line)
                else:
                    root.append(frame.value)
                continue
            if cls is DocumentEndEvent:
                break
            line = event.start_mark.line + 1
            if isinstance(event, ScalarEvent | AliasEvent | MappingStartEvent | SequenceStartEvent):
                parent = stack[-1] if stack else None
                if parent is not None and parent.is_map and parent.key is _NO_KEY:
                    # A mapping key.
                    if not isinstance(event, ScalarEvent | AliasEvent):
                        raise _Abandon(
                            LoadIssue(
                                "yaml-complex-key",
                                line,
                                "a mapping key that is itself a mapping or list",
                                "Kubernetes manifests only use plain text keys.",
                            )
                        )
                    if isinstance(event, AliasEvent):
                        key, _size = self._alias(anchors, event.anchor or "", line)
                    else:
                        key, tag = self._scalar(event, line)
                        if tag == _MERGE:
                            key = _MERGE
                    if isinstance(key, list | dict):
                        raise _Abandon(
                            LoadIssue(
                                "yaml-complex-key",
                                line,
                                "a mapping key that is a list or mapping",
                                "Kubernetes manifests only use plain text keys.",
                            )
                        )
                    parent.key = key
                    parent.key_line = line
                    continue
                path: Path_ = (
                    ()
                    if parent is None
                    else parent.path + ((parent.key,) if parent.is_map else (len(parent.value),))
                )
                self.nodes += 1
                if self.nodes > MAX_NODES:
                    self._count(0, line)
                if len(stack) >= MAX_DEPTH:
                    raise _Abandon(
                        LoadIssue(
                            "yaml-too-deep",
                            line,
                            f"nested deeper than {MAX_DEPTH} levels; document skipped",
                            "No manifest needs this; the file is probably broken or hostile.",
                        )
                    )
                node_line = parent.key_line if parent is not None and parent.is_map else line
                if isinstance(event, ScalarEvent):
                    value, _tag = self._scalar(event, line)
                    size = 1
                    if event.style == "|":
                        block_starts[path] = line + 1
                    if event.anchor:
                        anchors[event.anchor] = (value, 1)
                elif isinstance(event, AliasEvent):
                    value, size = self._alias(anchors, event.anchor or "", line)
                else:
                    self._check_collection_tag(event, line)
                    container: Any = {} if isinstance(event, MappingStartEvent) else []
                    frame = _Frame(container, path, event.anchor, line)
                    stack.append(frame)
                    lines[path] = node_line
                    if parent is None:
                        root_line = line
                    continue
                lines[path] = node_line
                if parent is None:
                    root.append(value)
                    root_line = line
                else:
                    self._attach(parent, value, size, line)
        if not root:
            return None
        return Document(root[0], index, root_line or 1, lines, block_starts)

    def _attach(self, parent: _Frame, value: Any, size: int, line: int) -> None:
        parent.size += size
        if not parent.is_map:
            parent.value.append(value)
            return
        key = parent.key
        parent.key = _NO_KEY
        if key == _MERGE:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    raise _Abandon(
                        LoadIssue(
                            "yaml-merge",
                            line,
                            "a merge key (<<) needs a mapping",
                            "Use `<<: *anchor` with an anchored mapping.",
                        )
                    )
                if parent.merges is _NO_MERGES:
                    parent.merges = []
                parent.merges.append(source)
            return
        if key in parent.value:
            self.result.issues.append(
                LoadIssue(
                    "yaml-duplicate-key",
                    parent.key_line,
                    f"duplicate key {key!r} (the later value wins here; Kubernetes tools reject it)",
                    "Remove one of the two entries.",
                )
            )
        try:
            parent.value[key] = value
        except TypeError as exc:
            raise _Abandon(LoadIssue("yaml-complex-key", line, f"unusable mapping key: {exc}")) from exc

    def _alias(self, anchors: dict[str, tuple[Any, int]], name: str, line: int) -> tuple[Any, int]:
        if name not in anchors:
            raise _Abandon(LoadIssue("yaml-syntax", line, f"alias *{name} used before its anchor &{name}"))
        value, size = anchors[name]
        self.expanded += size
        self._count(size, line)
        if self.expanded > MAX_ALIAS_EXPANSION:
            raise _Abandon(
                LoadIssue(
                    "yaml-alias-bomb",
                    line,
                    f"aliases expand to over {MAX_ALIAS_EXPANSION:,} nodes (alias bomb?); document skipped",
                    "Expand the anchors by hand or remove them; manifests do not need this.",
                )
            )
        # The value is shared, not copied: the expansion count above bounds every later walk.
        return value, size

    def _count(self, n: int, line: int) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise _Abandon(
                LoadIssue(
                    "yaml-too-large",
                    line,
                    f"more than {MAX_NODES:,} YAML nodes in one file; document skipped",
                    "Split the file.",
                )
            )

    def _check_collection_tag(self, event: Any, line: int) -> None:
        tag = event.tag
        if tag and tag != "!" and tag not in _STANDARD_COLLECTION_TAGS:
            self.result.issues.append(
                LoadIssue(
                    "yaml-tag", line, f"unsupported YAML tag {tag}; ignored", "Remove the tag.", "warning"
                )
            )

    def _scalar(self, event: ScalarEvent, line: int) -> tuple[Any, str]:
        value = event.value
        tag = event.tag
        if tag is None:
            plain, quoted = event.implicit
            # Fast path (most keys and values): quoted text, or plain text whose first character
            # starts none of YAML 1.1's implicit types; the resolver would say "str" anyway.
            if not plain and quoted:
                return value, _STR
            if plain and value and value[0] not in _IMPLICIT_FIRST:
                return value, _STR
        if tag is None or tag == "!":
            # The resolver tries its regular expressions one by one; values repeat (ports, sizes,
            # counts), and the answer depends only on the text and whether it was plain.
            memo_key = (value, event.implicit)
            tag = _RESOLVED.get(memo_key)
            if tag is None:
                tag = self.resolver.resolve(ScalarNode, value, event.implicit)
                if len(_RESOLVED) > 20_000:
                    _RESOLVED.clear()
                _RESOLVED[memo_key] = tag
        if tag in _AS_TEXT:
            return value, tag
        if tag == _NULL:
            return None, tag
        if tag == _BOOL:
            return self.constructor.bool_values[value.lower()], tag
        if tag in (_INT, _FLOAT):
            node = ScalarNode(tag, value)
            construct = (
                self.constructor.construct_yaml_int if tag == _INT else self.constructor.construct_yaml_float
            )
            try:
                number = construct(node)
            except (ValueError, yaml.YAMLError):
                return value, _STR  # e.g. over Python's 4,300-digit limit: kept as text
            if isinstance(number, int) and number.bit_length() > _MAX_INT_BITS:
                # Kubernetes integers are 64-bit; a bigger one (0xffff... has no digit limit in
                # Python) would only be slow to print. Keep the text the author wrote.
                self.result.issues.append(
                    LoadIssue(
                        "yaml-number",
                        line,
                        f"number {value[:20]}... ({len(value)} characters) does not fit a 64-bit integer; "
                        "read as text",
                        "Kubernetes refuses it; fix the value.",
                        "warning",
                    )
                )
                return value, _STR
            return number, tag
        if tag == _MERGE:
            return value, tag
        self.result.issues.append(
            LoadIssue(
                "yaml-tag", line, f"unsupported YAML tag {tag}; read as text", "Remove the tag.", "warning"
            )
        )
        return value, _STR
