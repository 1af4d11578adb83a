"""The files of a site repository as lint may read them: a work tree on disk or a bare repo's branch.

Why a layer of its own: lint must never read outside the repository and never block. On disk
every entry is looked at with ``lstat`` only; a symlink is recorded with where it points and
whether that stays inside the repository, and is never opened when it leaves it; FIFOs, sockets
and devices are recorded as "special" and never opened. A bare repository has no files on disk,
so its branch tree is read with ``git ls-tree`` / ``git cat-file`` (symlinks there are blobs of
mode 120000 and are reported the same way, never followed).

Hidden entries (``.git``, ``.github``, ``.sourceignore`` ...) are skipped: Flux's source
controller excludes ``.git`` and kustomize never lists hidden folders as resources.
"""

from __future__ import annotations

import os
import posixpath
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ecs_field.errors import BadInput

if TYPE_CHECKING:  # git and the YAML loader are imported only when needed (a cache hit needs neither)
    import subprocess

    from ecs_field.sites.repo import safe_yaml

EntryKind = Literal["file", "dir", "symlink", "special"]
_MAX_ENTRIES = 200_000  # a repository with more entries is not a site repository


class Entry(NamedTuple):
    # A NamedTuple, not a frozen dataclass: thousands are made per walk and this is 5x cheaper.
    rel: str  # "/" separated, relative to the repository root
    kind: EntryKind
    size: int = 0
    target: str = ""  # symlinks: where the link points, as written
    inside: bool = False  # symlinks: the target resolves inside the repository
    resolved: str = ""  # symlinks inside: the target relative to the root
    # (mtime_ns, size, inode, ctime_ns): the cache fingerprint. ctime because an edit that keeps the
    # size and puts the mtime back (touch -d, rsync -t, some editors) still moves it.
    stamp: tuple[int, int, int, int] = (0, 0, 0, 0)


# A file changed within one timestamp tick before the walk may change again within that tick without
# its stamp changing: its stamp alone does not prove it unchanged, so the fingerprint also covers its
# content (as git does for "racily clean" index entries). Ticks: Linux's file clock moves every 1-10 ms
# (nanosecond stamps), FAT and some network file systems keep whole seconds (2 s on FAT). A stamp in
# whole seconds, or Windows (where ctime is the creation time), gets the long window.
RACY_NS = 3_000_000_000
RACY_FINE_NS = 100_000_000
_COARSE_CLOCK = os.name == "nt"
_MAX_HASHED_BYTES = 8 * 1024 * 1024  # over lint's 5 MB limit: a bigger file is judged by its size only


def new_hash(data: bytes = b"") -> Any:
    """A BLAKE2b hasher; the builtin module when present (hashlib loads OpenSSL: ~2 ms a start)."""
    try:
        from _blake2 import blake2b
    except ImportError:  # another Python implementation
        from hashlib import blake2b
    return blake2b(data, digest_size=32)


class Tree:
    """All entries below the root, and a way to read a regular file's bytes.

    A plain class (not a dataclass): the cache's fast path imports this module and nothing else.
    """

    def __init__(self, root: Path, label: str, commit: str = "", bare: bool = False) -> None:
        self.root = root
        self.label = label  # how reports name the tree ("/path" or "/path.git@main")
        self.entries: dict[str, Entry] = {}
        self.dirs: set[str] = {""}
        self.commit = commit  # the commit read (bare repos), or HEAD of a work tree when known
        self.bare = bare
        self._blobs: dict[str, bytes] = {}  # bare: rel -> content of the YAML files
        self._children: dict[str, list[str]] | None = None
        self._root_str = os.fspath(root)
        self.walked_at = 0  # time.time_ns() when a work tree walk started (0: bare, no racy files)

    def is_dir(self, rel: str) -> bool:
        return rel in self.dirs

    def files_under(self, folder: str) -> list[str]:
        """Relative paths of every entry that is not a folder below ``folder`` ("" = root)."""
        prefix = folder + "/" if folder else ""
        return sorted(r for r in self.entries if r.startswith(prefix))

    def children(self, folder: str) -> list[str]:
        """Direct children (files, links, folders) of ``folder``, sorted."""
        if self._children is None:
            index: dict[str, list[str]] = {}
            for rel in (*self.entries, *self.dirs):
                if rel:
                    index.setdefault(posixpath.dirname(rel), []).append(rel)
            for names in index.values():
                names.sort()
            self._children = index
        return self._children.get(folder, [])

    def read(self, rel: str) -> bytes | safe_yaml.LoadIssue:
        """Bytes of a regular file (a symlink inside the repo is read at its target)."""
        from ecs_field.sites.repo import safe_yaml

        entry = self.entries.get(rel)
        if entry is None:
            return safe_yaml.LoadIssue("file-unreadable", 0, "no such file")
        if entry.kind == "symlink":
            if not entry.inside:
                return safe_yaml.LoadIssue("symlink-outside", 0, "symlink leaves the repository; not read")
            target = self.entries.get(entry.resolved)
            if target is None or target.kind != "file":
                return safe_yaml.LoadIssue("file-unreadable", 0, "symlink target is not a regular file")
            entry = target
        if entry.kind != "file":
            return safe_yaml.LoadIssue("file-unreadable", 0, "not a regular file; not opened")
        if entry.size > safe_yaml.MAX_FILE_BYTES:
            return safe_yaml.too_large(entry.size)
        if self.bare:
            data = self._blobs.get(entry.rel)
            if data is None:
                return safe_yaml.LoadIssue("file-unreadable", 0, "not read from the repository (not YAML)")
            return data
        got = self._read_file(entry.rel, entry.size, safe_yaml.MAX_FILE_BYTES)
        if isinstance(got, str):
            return safe_yaml.LoadIssue("file-unreadable", 0, got)
        return got

    def _read_file(self, rel: str, size: int, limit: int) -> bytes | str:
        """At most ``limit`` + 1 bytes of a regular file on disk, or why it was not read."""
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            # O_NONBLOCK: if the file was swapped for a FIFO since we looked, open does not block;
            # O_NOFOLLOW: nor is a symlink swapped in followed.
            fd = os.open(os.path.join(self._root_str, rel), flags)
        except OSError as exc:
            return f"cannot read: {exc.strerror}"
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return "not a regular file; not opened"
            # Ask for the size seen in the walk plus one byte: one read (and no 1 MB buffer to shrink)
            # for a file that did not grow; a file that did is read on to the limit.
            chunks = []
            left = limit + 1
            want = min(left, size + 1)
            total = 0
            while left > 0:
                chunk = os.read(fd, want)
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
                total += len(chunk)
                if total == size and len(chunk) < want:
                    break  # exactly the size the walk saw, and the read stopped short: the end
                want = min(left, 1 << 20)
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        except OSError as exc:
            return f"cannot read: {exc.strerror}"
        finally:
            os.close(fd)

    def fingerprint(self) -> str:
        """A digest of every entry's name, type and stamp, the commit and the git config: equal
        digests, equal trees, except for files changed within a clock tick (see racy_files)."""
        entries = self.entries
        # The repository's git config too: lint reads origin's URL there (is a GitRepository this repo?).
        config = os.path.join(self._root_str, "config" if self.bare else os.path.join(".git", "config"))
        try:
            cst = os.stat(config)
            config_stamp = f"{cst.st_size}:{cst.st_mtime_ns}:{cst.st_ctime_ns}:{cst.st_ino}"
        except OSError:
            config_stamp = "-"
        parts = [self.label, self.commit, config_stamp]
        for rel in sorted(entries):
            e = entries[rel]
            st = e.stamp
            parts.append(f"{rel}\0{e.kind}\0{st[0]}\0{st[1]}\0{st[2]}\0{st[3]}\0{e.target}")
        return new_hash("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()

    def racy_files(self) -> list[str]:
        """Regular files changed within one timestamp tick before the walk (RACY_NS): their stamps
        alone do not prove them unchanged later, so a stored report also keeps their content digest."""
        if not self.walked_at:
            return []  # a bare repository: the commit pins every blob
        coarse_after = self.walked_at - RACY_NS
        fine_after = self.walked_at - RACY_FINE_NS
        out = []
        for rel, e in self.entries.items():
            if e.kind == "file":
                st = e.stamp
                after = coarse_after if _COARSE_CLOCK or st[0] % 1_000_000_000 == 0 else fine_after
                if st[0] >= after or st[3] >= after:
                    out.append(rel)
        return sorted(out)

    def content_digest(self, rel: str) -> str:
        """Digest of a file's bytes as they are now (or of why it cannot be read)."""
        entry = self.entries.get(rel)
        data = self._read_file(rel, entry.size if entry else 0, _MAX_HASHED_BYTES)
        return new_hash(data).hexdigest() if isinstance(data, bytes) else "unreadable: " + data


def open_tree(path: Path) -> Tree:
    """The tree of a work tree folder or of a bare repository's HEAD branch.

    Raises BadInput (exit 2) for anything that is not a folder (a FIFO, a device such as
    /dev/null, a plain file) and for a bare repository whose branch cannot be read.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise BadInput(
            f"{path}: {exc.strerror or 'cannot be read'}", "Give a site repository folder."
        ) from exc
    if not stat.S_ISDIR(st.st_mode):
        what = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "a file"
        )
        raise BadInput(
            f"{path} is {what}, not a repository folder; not opened",
            "Give the folder of a site repository (or a registered site's name).",
        )
    if _is_bare_repo(path):
        return _bare_tree(path)
    return _work_tree(path)


# ---------------------------------------------------------------------------------------------- disk


def _work_tree(root: Path) -> Tree:
    tree = Tree(root=root, label=str(root))
    tree.walked_at = time.time_ns()
    real_root = os.path.realpath(root)
    stack = [""]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(root / folder if folder else root) as it:
                items = list(it)
        except OSError:
            continue
        for item in items:
            name = item.name
            if name.startswith("."):
                continue
            rel = f"{folder}/{name}" if folder else name
            if len(tree.entries) + len(tree.dirs) > _MAX_ENTRIES:
                raise BadInput(
                    f"{root}: more than {_MAX_ENTRIES:,} files and folders; not a site repository",
                    "Point lint at the repository of one site.",
                )
            try:
                st = item.stat(follow_symlinks=False)
            except OSError:
                continue
            mode = st.st_mode
            if stat.S_ISLNK(mode):
                tree.entries[rel] = _link_entry(root, real_root, rel, st)
            elif stat.S_ISDIR(mode):
                tree.dirs.add(rel)
                stack.append(rel)
            elif stat.S_ISREG(mode):
                tree.entries[rel] = Entry(
                    rel, "file", st.st_size, stamp=(st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
                )
            else:
                tree.entries[rel] = Entry(
                    rel, "special", stamp=(st.st_mtime_ns, 0, st.st_ino, st.st_ctime_ns)
                )
    tree.commit = _head_of_work_tree(root)
    return tree


def _link_entry(root: Path, real_root: str, rel: str, st: os.stat_result) -> Entry:
    try:
        target = os.readlink(root / rel)
    except OSError:
        target = ""
    # realpath resolves the chain without opening anything; the target is judged by where it ends.
    real = os.path.realpath(root / rel)
    inside = real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)
    resolved = os.path.relpath(real, real_root).replace(os.sep, "/") if inside else ""
    return Entry(
        rel,
        "symlink",
        target=target,
        inside=inside,
        resolved=resolved,
        stamp=(st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns),
    )


def _head_of_work_tree(root: Path) -> str:
    """HEAD's commit id read from .git without running git (cheap; "" when unknown)."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = git.read_text(errors="replace").strip()
            if not text.startswith("gitdir:"):
                return ""
            git = (root / text.partition(":")[2].strip()).resolve()
        head = (git / "HEAD").read_text(errors="replace").strip()
        if not head.startswith("ref:"):
            return head[:64]
        ref = head.partition(":")[2].strip()
        ref_file = git / ref
        if ref_file.is_file():
            return ref_file.read_text(errors="replace").strip()[:64]
        packed = git / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(errors="replace").splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return sha[:64]
    except OSError:
        return ""
    return ""


# ---------------------------------------------------------------------------------------------- bare


def _is_bare_repo(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    import shutil
    import subprocess

    exe = shutil.which("git")
    if exe is None:
        raise BadInput(
            f"{root} is a bare Git repository and git is not installed",
            "Install git, or lint a clone with a work tree.",
        )
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(
        [exe, "--git-dir", str(root), *args], capture_output=True, env=env, timeout=120, check=False
    )


def _bare_tree(root: Path) -> Tree:
    from ecs_field.sites.repo import safe_yaml

    head = _git(root, "symbolic-ref", "-q", "--short", "HEAD")
    branch = head.stdout.decode(errors="replace").strip() if head.returncode == 0 else ""
    rev = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    commit = rev.stdout.decode().strip()
    if rev.returncode != 0 or not commit:
        raise BadInput(
            f"{root} is a bare Git repository whose branch {branch or 'HEAD'} has no commit; nothing to lint",
            "Push a commit to it, or lint a clone with a work tree.",
        )
    listing = _git(root, "ls-tree", "-r", "-t", "-l", "-z", "--full-tree", commit)
    if listing.returncode != 0:
        raise BadInput(
            f"{root}: cannot read the tree of {branch or commit[:12]}: "
            f"{listing.stderr.decode(errors='replace').strip()}",
            "Check the repository with `git fsck`.",
        )
    tree = Tree(root=root, label=f"{root}@{branch or commit[:12]}", commit=commit, bare=True)
    links: list[tuple[str, str]] = []
    wanted: dict[str, str] = {}  # blob id -> rel, the YAML files to read in one batch
    wanted_by_rel: dict[str, str] = {}
    for record in listing.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, name_b = record.partition(b"\t")
        parts = meta.split()
        if len(parts) < 4:
            continue
        mode, otype, oid, size_s = (p.decode() for p in parts[:4])
        rel = name_b.decode("utf-8", "surrogateescape")
        if any(p.startswith(".") for p in rel.split("/")):
            continue
        if otype == "tree":
            tree.dirs.add(rel)
        elif otype == "blob" and mode == "120000":
            links.append((rel, oid))
        elif otype == "blob":
            size = int(size_s) if size_s.isdigit() else 0
            tree.entries[rel] = Entry(rel, "file", size, stamp=(0, size, 0, 0))
            if rel.lower().endswith((".yaml", ".yml")) and size <= safe_yaml.MAX_FILE_BYTES:
                wanted.setdefault(oid, rel)
                tree._blobs[rel] = b""
                wanted_by_rel[rel] = oid
        else:
            tree.entries[rel] = Entry(rel, "special")  # submodules (commit entries)
    contents = _git_blobs(root, [*wanted, *(oid for _, oid in links)])
    for rel, oid in wanted_by_rel.items():
        tree._blobs[rel] = contents.get(oid, b"")
    for rel, oid in links:
        target = contents.get(oid, b"").decode("utf-8", "surrogateescape")
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
        inside = bool(target) and not target.startswith("/") and not joined.startswith("..")
        tree.entries[rel] = Entry(
            rel, "symlink", target=target, inside=inside, resolved=joined if inside else ""
        )
    return tree


def _git_blobs(root: Path, oids: list[str]) -> dict[str, bytes]:
    """Contents of many blobs with one ``git cat-file --batch`` (one process, not one per file)."""
    if not oids:
        return {}
    import shutil
    import subprocess

    exe = shutil.which("git") or "git"
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(
        [exe, "--git-dir", str(root), "cat-file", "--batch"],
        input="".join(f"{o}\n" for o in oids).encode(),
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )
    out: dict[str, bytes] = {}
    data = done.stdout
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            break
        header = data[pos:end].split()
        pos = end + 1
        if len(header) != 3 or not header[2].isdigit():
            continue  # "<oid> missing"
        size = int(header[2])
        out[header[0].decode()] = data[pos : pos + size]
        pos += size + 1
    return out
