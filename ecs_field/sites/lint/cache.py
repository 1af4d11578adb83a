"""Lint reports kept per commit in the app's cache folder, so linting an unchanged tree is instant.

The key is a digest of: the tree (its commit, git config and every entry's name, type, size, mtime,
ctime and inode: tree.Tree.fingerprint), the site path, the inventory, and the code and data behind
a report (the stamps of the modules under sites/lint and sites/repo, the report's rendering, the
shipped CRD schemas, PyYAML and kubernetes-validate: _code_stamp). So editing a file, adding one,
changing a symlink, checking out another commit, giving another inventory or upgrading the app or
those packages each give a new key. A file changed within a clock tick before the walk could change
again without its stamps moving: an entry keeps the content digest of such files, and a hit reads
them again (git's "racily clean" entries).

An entry is the finished output, byte for byte, behind a header line and those digests (``--json``
in ``<key>.out``, the text report in ``<key>.txt``, each written when first asked for): a hit reads
one file and writes it out, without decoding JSON or importing the linter, YAML or hashlib. A
truncated, corrupt or unreadable entry is simply a miss. At most MAX_ENTRIES trees are kept
(oldest removed first).

Imports stay minimal on purpose: this module is on the warm path of ``ecs-field lint``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from ecs_field.sites.lint.tree import Tree, new_hash

CACHE_VERSION = "lint-cache@3"
MAX_ENTRIES = 200
_CODE_DIRS = ("lint", "lint/rules", "repo")
_HEADER = CACHE_VERSION.encode() + b" "


def _code_stamp() -> str:
    """Size and mtime of everything a report depends on besides the tree: the lint code, the report's
    rendering, the shipped CRD schemas, and the installed PyYAML and kubernetes-validate (whose
    Kubernetes schemas lint checks against): upgrading any of them gives new keys."""
    base = Path(__file__).resolve().parent.parent  # ecs_field/sites
    files: list[Path | str | None] = [base / "findings.py", base.parent / "commands" / "lint.py"]
    for folder in _CODE_DIRS:
        try:
            names = sorted(os.listdir(base / folder))
        except OSError:
            continue
        files += [base / folder / name for name in names if name.endswith(".py")]
    try:
        from ecs_field.resources import resource_path

        schemas = resource_path("schemas", "vm-operator", "crd-schemas.json")
        files.append(schemas)
    except (OSError, LookupError):
        pass
    files += [_package_file(name) for name in ("yaml", "kubernetes_validate")]
    parts = [CACHE_VERSION]
    for path in files:
        try:
            if path is None:
                raise FileNotFoundError(path)
            st = os.stat(path)
        except OSError:
            parts.append(f"{path}:-")
            continue
        parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


def _package_file(name: str) -> str | None:
    """The ``__init__.py`` of an installed package, found without importing it (None: not there)."""
    from importlib.machinery import PathFinder

    try:
        spec = PathFinder.find_spec(name)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def key(tree: Tree, site_path: str | None, inventory: Any) -> str:
    h = new_hash(CACHE_VERSION.encode())
    h.update(tree.fingerprint().encode())
    h.update(f"\0{site_path or ''}\0".encode("utf-8", "surrogateescape"))
    if inventory is not None:
        import json

        to_dict = getattr(inventory, "to_dict", None)
        data = to_dict() if callable(to_dict) else inventory
        h.update(b"inventory\0" + json.dumps(data, sort_keys=True, default=str).encode())
    h.update(_code_stamp().encode())
    return h.hexdigest()


def folder() -> Path:
    from ecs_field.paths import cache_dir

    return cache_dir() / "lint"


def _read_folder() -> Path:
    """Where load looks: ``folder()`` without creating it (a missing folder is a miss) and, under
    ECS_FIELD_HOME, without importing platformdirs (paths.cache_dir() is ECS_FIELD_HOME/cache then;
    tests/unit/test_lint_speed_cache.py holds the two equal)."""
    home = os.environ.get("ECS_FIELD_HOME")
    if home:
        return Path(home).expanduser() / "cache" / "lint"
    return folder()


def _name(digest: str, as_json: bool) -> str:
    return f"{digest}.out" if as_json else f"{digest}.txt"


def load(digest: str, as_json: bool, tree: Tree) -> tuple[int, bytes] | None:
    """(exit code, output bytes) of a stored report, or None (a miss): also a miss when a file the
    report's run saw as "changed just now" has other content now (Tree.racy_files)."""
    try:
        with open(_read_folder() / _name(digest, as_json), "rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        return None
    entry = parse_entry(data)
    if entry is None:
        return None
    code, body, racy = entry
    for rel, seen in racy.items():
        if tree.content_digest(rel) != seen:
            return None
    return code, body


def parse_entry(data: bytes) -> tuple[int, bytes, dict[str, str]] | None:
    """Header ``lint-cache@3 <exit> <length of the output> <length of the racy block>``, the racy
    block (``<content digest> <hex of the file's name>`` lines), then the output. A half-written
    or foreign file is a miss."""
    if not data.startswith(_HEADER):
        return None
    end = data.find(b"\n")
    fields = data[len(_HEADER) : end].split(b" ") if end > 0 else []
    if (
        len(fields) != 3
        or fields[0] not in (b"0", b"1")
        or not fields[1].isdigit()
        or not fields[2].isdigit()
    ):
        return None
    racy_end = end + 1 + int(fields[2])
    if racy_end > len(data):
        return None
    body = data[racy_end:]
    if len(body) != int(fields[1]):
        return None
    racy: dict[str, str] = {}
    for line in data[end + 1 : racy_end].split(b"\n"):
        if not line:
            continue
        seen, _, name = line.partition(b" ")
        try:
            racy[bytes.fromhex(name.decode("ascii")).decode("utf-8", "surrogateescape")] = seen.decode()
        except (ValueError, UnicodeDecodeError):
            return None
    return int(fields[0]), body, racy


def entry_bytes(exit_code: int, text: str, racy: dict[str, str] | None = None) -> bytes:
    body = text.encode("utf-8", "surrogateescape")
    block = b"".join(
        f"{seen} {rel.encode('utf-8', 'surrogateescape').hex()}\n".encode()
        for rel, seen in sorted((racy or {}).items())
    )
    return _HEADER + f"{exit_code} {len(body)} {len(block)}\n".encode() + block + body


def racy_digests(tree: Tree) -> dict[str, str]:
    """Content digests of the files changed just before the walk; taken before lint reads them."""
    return {rel: tree.content_digest(rel) for rel in tree.racy_files()}


def store(digest: str, as_json: bool, exit_code: int, text: str, racy: dict[str, str]) -> None:
    """Write one output atomically; a cache that cannot be written only costs speed."""
    with contextlib.suppress(OSError):
        where = folder()
        where.mkdir(parents=True, exist_ok=True)
        tmp = where / f".{digest}.{os.getpid()}.tmp"
        tmp.write_bytes(entry_bytes(exit_code, text, racy))
        os.replace(tmp, where / _name(digest, as_json))
        for stale in where.glob("*.json"):  # entries of lint-cache@1 (later versions differ in name)
            stale.unlink(missing_ok=True)
        entries = sorted((*where.glob("*.out"), *where.glob("*.txt")), key=lambda p: p.stat().st_mtime)
        for old in entries[: -2 * MAX_ENTRIES]:
            old.unlink(missing_ok=True)
