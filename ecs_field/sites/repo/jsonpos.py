"""Where each value of a JSON text starts (line numbers for the HostConfiguration profile).

The standard json module parses but forgets positions, and no allowed dependency keeps
them, so this small scanner walks a text that ``json.loads`` has already accepted and
records the 0-based line of every key and array item. It never decides validity itself.
A regular expression cuts the text into tokens (strings, literals, punctuation, newlines) so
the Python loop runs per token, not per character; the nesting stack is explicit, so depth
cannot exhaust the interpreter's stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

JsonPath = tuple[Any, ...]

MAX_DEPTH = 200  # deeper parts fall back to their ancestor's line
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\],:\n]|[^\s{}\[\],:"]+')


class _Frame:
    __slots__ = ("expecting_key", "first_key_line", "index", "is_obj", "key", "path")

    def __init__(self, path: JsonPath, is_obj: bool) -> None:
        self.path = path
        self.is_obj = is_obj
        self.index = 0
        self.key: Any = None
        self.first_key_line: int | None = None
        self.expecting_key = is_obj


def index_lines(text: str) -> dict[JsonPath, int]:
    """Map each path (object keys and list indexes from the root) to its 0-based line."""
    lines: dict[JsonPath, int] = {}
    stack: list[_Frame] = []
    line = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == "\n":
            line += 1
            continue
        top = stack[-1] if stack else None
        if first == ",":
            if top is not None:
                if top.is_obj:
                    top.expecting_key = True
                else:
                    top.index += 1
            continue
        if first == ":":
            continue
        if first in "}]":
            if stack:
                done = stack.pop()
                if (
                    done.is_obj
                    and done.first_key_line is not None
                    and done.path
                    and isinstance(done.path[-1], int)
                ):
                    # A list item points at its first key ("name": ...), not at a lone "{".
                    lines[done.path] = done.first_key_line
            continue
        if top is not None and top.is_obj and top.expecting_key:
            key = _decode(token)
            top.key = key
            top.expecting_key = False
            if top.first_key_line is None:
                top.first_key_line = line
            if len(stack) <= MAX_DEPTH:
                lines.setdefault((*top.path, key), line)
            continue
        # The start of a value.
        if top is None:
            path: JsonPath = ()
        elif top.is_obj:
            path = (*top.path, top.key)
        else:
            path = (*top.path, top.index)
        if len(stack) <= MAX_DEPTH:
            lines.setdefault(path, line)
        if first == "{":
            stack.append(_Frame(path, True))
        elif first == "[":
            stack.append(_Frame(path, False))
    return lines


def _decode(token: str) -> str:
    if "\\" not in token:
        return token[1:-1] if token.startswith('"') else token
    if token.startswith('"'):
        try:
            value = json.loads(token)
        except ValueError:
            return token.strip('"')
        return value if isinstance(value, str) else token
    return token
