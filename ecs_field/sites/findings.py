"""One finding of the site linter or the manifest loader (the ``lint --json`` contract).

The loader and every lint rule speak the same small record, so a YAML syntax error and a
management-network mistake end up in one list with one sort order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str  # e.g. "yaml-syntax", "vm-class-missing"; stable ids scripts may filter on
    file: str  # relative to the linted root, "/" separated; "" when not about one file
    line: int  # 1-based; 0 when the whole file is meant
    object: str  # "Kind/namespace/name" ("Kind/name" for cluster-scoped objects), "" if none
    message: str
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "file": self.file,
            "line": self.line,
            "object": self.object,
            "message": self.message,
            "hint": self.hint,
        }

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        return (self.file, self.line, _RANK[self.severity], self.rule, self.object, self.message)
