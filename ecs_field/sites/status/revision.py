"""Flux revision strings: "main@sha1:<hex>", "sha1:<hex>", legacy "main/<hex>", OCI "tag@sha256:..."."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Revision:
    raw: str
    ref: str  # "main", "v1.2", "refs/heads/main"; "" when not stated
    sha: str  # hex as given (may be short); "" when the revision has no commit (OCI digests)


_HEX = r"[0-9a-fA-F]{7,40}"
_REV_PATTERNS = (
    re.compile(rf"^(?P<ref>.+)@sha1:(?P<sha>{_HEX})$"),  # Flux v2: main@sha1:<hex>, v1@sha1:<hex>
    re.compile(rf"^sha1:(?P<sha>{_HEX})$"),  # a bare commit
    re.compile(r"^(?P<ref>.+)/(?P<sha>[0-9a-fA-F]{40})$"),  # legacy Flux: main/<sha>
    re.compile(r"^(?P<sha>[0-9a-fA-F]{40})$"),
)


def parse_revision(text: str | None) -> Revision | None:
    if not text:
        return None
    text = text.strip()
    for pattern in _REV_PATTERNS:
        match = pattern.match(text)
        if match:
            groups = match.groupdict()
            return Revision(text, groups.get("ref") or "", match.group("sha").lower())
    if "@" in text:  # e.g. "main@sha256:..." (an OCI source): a ref, but no commit to compare
        return Revision(text, text.split("@", 1)[0], "")
    return Revision(text, "", "")
