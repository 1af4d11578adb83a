"""Lint reports kept per commit in the app's cache folder, so linting an unchanged tree is instant.

The key is a digest of: the tree (its commit and every entry's name, type, size, mtime and inode:
tree.Tree.fingerprint), the site path, the inventory, and the lint code itself (the stamps of
the modules under sites/lint and sites/repo), so editing a file, checking out another commit or
upgrading the app each give a new key. Entries are small JSON files; a corrupt or unreadable entry
is simply a miss. At most MAX_ENTRIES are kept (oldest removed first).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ecs_field.sites.lint.tree import Tree

CACHE_VERSION = "lint-cache@1"
MAX_ENTRIES = 200
_CODE_DIRS = ("lint", "lint/rules", "repo")


def _code_stamp() -> str:
    base = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for folder in _CODE_DIRS:
        try:
            names = sorted(os.listdir(base / folder))
        except OSError:
            continue
        for name in names:
            if name.endswith(".py"):
                try:
                    st = os.stat(base / folder / name)
                except OSError:
                    continue
                h.update(f"{folder}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def key(tree: Tree, site_path: str | None, inventory: Any) -> str:
    h = hashlib.sha256(CACHE_VERSION.encode())
    h.update(tree.fingerprint().encode())
    h.update(f"\0{site_path or ''}\0".encode("utf-8", "surrogateescape"))
    if inventory is not None:
        to_dict = getattr(inventory, "to_dict", None)
        data = to_dict() if callable(to_dict) else inventory
        h.update(json.dumps(data, sort_keys=True, default=str).encode())
    h.update(_code_stamp().encode())
    return h.hexdigest()


def folder() -> Path:
    from ecs_field.paths import cache_dir

    return cache_dir() / "lint"


def load(digest: str) -> dict[str, Any] | None:
    path = folder() / f"{digest}.json"
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("cache") == CACHE_VERSION else None


def load_text(digest: str) -> str | None:
    """The stored ``--json`` output of an entry, without decoding the entry itself."""
    path = folder() / f"{digest}.out"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    # The text is written before its entry; without the entry it may be half of an aborted write.
    return text if (folder() / f"{digest}.json").is_file() and text.endswith("}\n") else None


def store(digest: str, document: dict[str, Any], text: str | None = None) -> None:
    """Write the entry (and the ``--json`` text) atomically; a cache that cannot be written only
    costs speed."""
    with contextlib.suppress(OSError):
        where = folder()
        where.mkdir(parents=True, exist_ok=True)
        if text is not None:
            tmp_text = where / f".{digest}.{os.getpid()}.out.tmp"
            tmp_text.write_text(text, encoding="utf-8")
            os.replace(tmp_text, where / f"{digest}.out")
        tmp = where / f".{digest}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"cache": CACHE_VERSION, **document}), encoding="utf-8")
        os.replace(tmp, where / f"{digest}.json")
        entries = sorted(where.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-MAX_ENTRIES]:
            old.unlink(missing_ok=True)
            old.with_suffix(".out").unlink(missing_ok=True)
