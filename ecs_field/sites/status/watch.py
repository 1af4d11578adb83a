"""Has anything a cached answer was computed from changed since? Files and folders by identity.

A fingerprint keeps, for each path, ``inode size mtime_ns ctime_ns`` (one line per path, compared
as one string); checking it costs one ``lstat`` per path, no process, no Git library. A file that
is edited, replaced (new inode), touched, chmod-ed (ctime) or removed, and a folder that gains or
loses an entry (its mtime), no longer matches. A path that did not exist is recorded as absent and
must still be absent.

Timestamps are coarse (a few ms on Linux, 2 s on FAT): a file changed twice within one tick,
keeping its size, could keep its stat. As Git does for its index ("racy git"), an entry whose
mtime or ctime lies within ``RACY_MARGIN_NS`` of the moment the fingerprint was taken also keeps
a digest of its content (a folder: of its sorted names), recomputed on every check.

Take the fingerprint BEFORE reading what it guards: a change after that moment then shows up as
a difference, whichever of the two reads saw it.
"""

from __future__ import annotations

import functools
import os
import stat as st
import time
from collections.abc import Iterable
from typing import Any

try:  # the C module alone: hashlib would also load OpenSSL (~2 ms of every warm start)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

RACY_MARGIN_NS = 3_000_000_000  # > FAT's 2 s timestamp step; ext4/NTFS/APFS are much finer
MAX_ENTRIES = 20_000  # a larger work tree is not fingerprinted: ~2.5 µs per lstat, git status is then cheaper
Fingerprint = dict[str, Any]  # {"root", "paths", "stats", "absent", "digests"}: see take()


def _digest(path: str, mode: int) -> str:
    if st.S_ISDIR(mode):
        data = "\0".join(sorted(os.listdir(path))).encode("utf-8", "surrogateescape")
    elif st.S_ISLNK(mode):
        data = os.readlink(path).encode("utf-8", "surrogateescape")
    else:
        with open(path, "rb") as handle:
            data = handle.read()
    return blake2b(data, digest_size=16).hexdigest()


def _line(info: os.stat_result) -> str:
    return f"{info.st_ino} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns}"


def take(paths: Iterable[str], root: str, now_ns: int | None = None) -> Fingerprint | None:
    """The fingerprint of ``paths`` (absolute) as they are now; paths under ``root`` are kept
    relative to it (shorter to look up). None when a path holds a newline (it could not be kept).

    ``now_ns`` is the moment the fingerprint counts as taken (default: now); tests pass a later
    one to check the stat-only path."""
    moment = time.time_ns() if now_ns is None else now_ns
    root = os.path.abspath(root)
    prefix = root.rstrip(os.sep) + os.sep
    kept: list[str] = []
    lines: list[str] = []
    absent: list[str] = []
    digests: list[list[Any]] = []
    for path in paths:
        if "\n" in path:
            return None
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            absent.append(path)
            continue
        except OSError:
            return None
        if max(info.st_mtime_ns, info.st_ctime_ns) >= moment - RACY_MARGIN_NS:
            try:
                digests.append([len(kept), _digest(path, info.st_mode)])
            except OSError:
                return None
        kept.append(path[len(prefix) :] if path.startswith(prefix) else "." if path == root else path)
        lines.append(_line(info))
    return {
        "root": root,
        "paths": "\n".join(kept),
        "stats": "\n".join(lines),
        "absent": absent,
        "digests": digests,
    }


def unchanged(fingerprint: Fingerprint) -> bool:
    """True when every path is exactly as fingerprinted; any error or damage counts as a change."""
    try:
        root = fingerprint["root"]
        names = fingerprint["paths"].split("\n") if fingerprint["paths"] else []
        folder = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            lstat = functools.partial(os.lstat, dir_fd=folder)
            now = "\n".join([_line(info) for info in map(lstat, names)])
        finally:
            os.close(folder)
        if now != fingerprint["stats"]:
            return False
        if any(os.path.lexists(path) for path in fingerprint["absent"]):
            return False
        for index, digest in fingerprint["digests"]:
            path = os.path.join(root, names[index])
            if _digest(path, os.lstat(path).st_mode) != digest:
                return False
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return False  # a path gone or unreadable now, or a damaged fingerprint
    return True


def tree(root: str, skip: frozenset[str] = frozenset({".git"})) -> list[str] | None:
    """``root`` and every folder and file under it (not descending into ``skip`` names at the top),
    or None when the tree holds a symbolic link or special file (its target could change unseen),
    is larger than MAX_ENTRIES, or cannot be listed."""
    found = [root]
    pending = [root]
    try:
        while pending:
            folder = pending.pop()
            with os.scandir(folder) as listing:
                for item in listing:
                    if folder == root and item.name in skip:
                        continue
                    if item.is_symlink():
                        return None
                    found.append(item.path)
                    if item.is_dir(follow_symlinks=False):
                        pending.append(item.path)
                    elif not item.is_file(follow_symlinks=False):
                        return None
                    if len(found) > MAX_ENTRIES:
                        return None
    except OSError:
        return None
    return found
