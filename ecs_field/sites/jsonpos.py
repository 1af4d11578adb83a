"""Where each value of a JSON text starts (line numbers for the HostConfiguration profile).

The standard json module parses but forgets positions, and no allowed dependency keeps
them, so this small scanner walks a text that ``json.loads`` has already accepted and
records the 0-based line of every key and array item. It never decides validity itself.
"""

from __future__ import annotations

import contextlib
from typing import Any

JsonPath = tuple[Any, ...]

MAX_DEPTH = 200  # deeper parts fall back to their ancestor's line
_WS = frozenset(" \t\r\n")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.line = 0
        self.lines: dict[JsonPath, int] = {}

    def ws(self) -> None:
        text, n, pos = self.text, self.n, self.pos
        while pos < n and text[pos] in _WS:
            if text[pos] == "\n":
                self.line += 1
            pos += 1
        self.pos = pos

    def string(self) -> str:
        text, n = self.text, self.n
        j = self.pos + 1
        out: list[str] = []
        while j < n:
            ch = text[j]
            if ch == '"':
                break
            if ch == "\\" and j + 1 < n:
                nxt = text[j + 1]
                if nxt == "u":
                    with contextlib.suppress(ValueError):
                        out.append(chr(int(text[j + 2 : j + 6], 16)))
                    j += 6
                    continue
                out.append(_ESCAPES.get(nxt, nxt))
                j += 2
                continue
            out.append(ch)
            j += 1
        self.pos = j + 1
        return "".join(out)

    def value(self, path: JsonPath, depth: int) -> None:
        self.ws()
        if self.pos >= self.n:
            return
        self.lines.setdefault(path, self.line)
        ch = self.text[self.pos]
        if ch == "{":
            self.pos += 1
            first_key_line = self.members(path, depth)
            if path and isinstance(path[-1], int) and first_key_line is not None:
                # A list item points at its first key ("name": ...), not at a lone "{".
                self.lines[path] = first_key_line
        elif ch == "[":
            self.pos += 1
            self.items(path, depth)
        elif ch == '"':
            self.string()
        else:
            text, n, pos = self.text, self.n, self.pos
            while pos < n and text[pos] not in ",}] \t\r\n":
                pos += 1
            self.pos = pos

    def members(self, path: JsonPath, depth: int) -> int | None:
        first: int | None = None
        while True:
            self.ws()
            if self.pos >= self.n:
                return first
            ch = self.text[self.pos]
            if ch == "}":
                self.pos += 1
                return first
            if ch == ",":
                self.pos += 1
                continue
            if ch != '"':
                self.pos += 1  # not JSON; the caller validated, so just move on
                continue
            key_line = self.line
            if first is None:
                first = key_line
            key = self.string()
            self.ws()
            if self.pos < self.n and self.text[self.pos] == ":":
                self.pos += 1
            child = (*path, key)
            self.lines.setdefault(child, key_line)
            self.descend(child, depth)

    def items(self, path: JsonPath, depth: int) -> None:
        index = 0
        while True:
            self.ws()
            if self.pos >= self.n:
                return
            ch = self.text[self.pos]
            if ch == "]":
                self.pos += 1
                return
            if ch == ",":
                self.pos += 1
                index += 1
                continue
            self.descend((*path, index), depth)

    def descend(self, path: JsonPath, depth: int) -> None:
        if depth < MAX_DEPTH:
            self.value(path, depth + 1)
        else:
            self.skip_value()

    def skip_value(self) -> None:
        """Skip one value without recording, iteratively (for very deep texts)."""
        self.ws()
        nesting = 0
        while self.pos < self.n:
            ch = self.text[self.pos]
            if ch == '"':
                self.string()
            elif ch in "{[":
                nesting += 1
                self.pos += 1
            elif ch in "}]":
                if nesting == 0:
                    return
                nesting -= 1
                self.pos += 1
            elif ch == "," and nesting == 0:
                return
            else:
                if ch == "\n":
                    self.line += 1
                self.pos += 1
            # A finished scalar or container at our level.
            finished = ch in '"}]' or self.pos >= self.n or self.text[self.pos] in ",}] \t\r\n"
            if nesting == 0 and ch not in " \t\r\n" and finished:
                return


def index_lines(text: str) -> dict[JsonPath, int]:
    """Map each path (object keys and list indexes from the root) to its 0-based line."""
    scanner = _Scanner(text)
    scanner.value((), 0)
    return scanner.lines
