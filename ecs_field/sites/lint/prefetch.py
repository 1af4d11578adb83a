"""Parse a big repository's YAML files on several CPUs before lint builds its model.

Parsing is most of a cold lint (PyYAML's events and turning them into values with lines: ~60 % of
20 MB of tiny manifests). When the YAML files lint will read add up to ``MIN_BYTES`` or more and the
process may use more than one CPU, the files are split by bytes between this process and
``cpus - 1`` worker processes; each worker loads its files with ``safe_yaml`` and sends back the
documents as ``marshal`` bytes (plain dicts, lists, strings and numbers: 4-5x cheaper to write and
read than pickle). This process parses its own share meanwhile, then rebuilds each worker file's
``FileContent`` with the same code as an in-process parse (``manifests.file_content``), so the
findings and the report do not change.

Anything that goes wrong with the pool (it cannot start, a worker dies or raises, an answer cannot
be read) leaves those files out of the prefetch: the model then parses them in process as before.
Ctrl-C stops the workers at once and is raised again.
"""

from __future__ import annotations

import gc
import marshal
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from ecs_field.sites.repo import safe_yaml
from ecs_field.sites.repo.manifests import FileContent, cached_content, file_content, parse_file

MIN_BYTES = 4_000_000  # below this a pool's start (~10 ms fork, ~150 ms spawn) is not worth it
START_METHOD: str | None = None  # None: fork on Linux, the platform's default elsewhere
MAX_WORKERS: int | None = None  # None: one fewer than the CPUs this process may use
# A worker file costs this process about a fifth of parsing it (marshal.loads, objects): counted
# when splitting so this process's share (its own files + reading the workers') ends with theirs.
_RECEIVE_COST = 0.2

Reader = Callable[[str], "bytes | safe_yaml.LoadIssue"]


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Windows/macOS
        return os.cpu_count() or 1


def prefetch(files: Iterable[tuple[str, int]], read: Reader) -> dict[str, FileContent]:
    """Parsed contents of ``files`` ((rel, size) pairs) when parsing them in parallel pays, else {}.

    The answer may miss files (a worker failed, a file was parsed before): the caller parses or
    finds those itself, as without a prefetch."""
    files = [(rel, size) for rel, size in files if 0 < size <= safe_yaml.MAX_FILE_BYTES]
    if sum(size for _, size in files) < MIN_BYTES or _workers(len(files)) < 1:
        return {}
    datas: dict[str, bytes] = {}
    for rel, _ in files:
        data = read(rel)
        # Unreadable files (their finding) and files parsed before in this process (the GUI lints
        # again) are left to the model's own load.
        if isinstance(data, bytes) and cached_content(rel, data) is None:
            datas[rel] = data
    sized = sorted(((rel, len(data)) for rel, data in datas.items()), key=lambda f: (-f[1], f[0]))
    workers = _workers(len(sized))
    if sum(size for _, size in sized) < MIN_BYTES or workers < 1:
        return {}
    own, shares = split(sized, workers)
    return _run(
        [[(rel, datas[rel]) for rel in share] for share in shares], [(rel, datas[rel]) for rel in own]
    )


def _workers(files: int) -> int:
    # 32 at most: more would each get little (and Windows refuses a pool of over 61)
    workers = min(usable_cpus() - 1, files - 1, 32)
    return workers if MAX_WORKERS is None else min(workers, MAX_WORKERS)


def split(files: list[tuple[str, int]], workers: int) -> tuple[list[str], list[list[str]]]:
    """This process's files and each worker's (files largest first), each file onto the share that
    would end first, counting what reading a worker's answer costs this process."""
    own: list[str] = []
    own_load = 0.0
    shares: list[list[str]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for rel, size in files:
        k = min(range(workers), key=loads.__getitem__)
        if max(loads[k] + size, own_load + _RECEIVE_COST * size) <= own_load + size:
            shares[k].append(rel)
            loads[k] += size
            own_load += _RECEIVE_COST * size
        else:
            own.append(rel)
            own_load += size
    return own, [s for s in shares if s]


def _run(jobs: list[list[tuple[str, bytes]]], own: list[tuple[str, bytes]]) -> dict[str, FileContent]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    out: dict[str, FileContent] = {}
    try:
        pool = ProcessPoolExecutor(max_workers=len(jobs), mp_context=_context())
    except Exception:  # no pool on this system (no semaphores, no fork): parse here
        return out
    try:
        try:
            futures = {pool.submit(parse_files, job): job for job in jobs}
        except Exception:  # a worker could not start: the model parses everything
            _stop(pool)
            return out
        for rel, data in own:
            out[rel] = parse_file(rel, data)
        for future in as_completed(futures):
            try:
                answers = future.result()
            except Exception:  # noqa: S112 -- a dead or failing worker: the model parses its files
                continue
            for (rel, data), answer in zip(futures[future], answers, strict=True):
                loaded = _decode(answer)
                if loaded is not None:
                    out[rel] = file_content(rel, data, loaded)
    except BaseException:  # Ctrl-C or an error here: stop the workers now, do not wait for them
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return out


def _context() -> Any:
    import multiprocessing
    import threading

    method = START_METHOD
    if method is None and sys.platform.startswith("linux"):
        # fork copies this process: nothing imported again (spawn costs ~150 ms a worker). Not from
        # a process with other threads (the GUI lints in one): a lock another thread held at the
        # fork stays locked in the child forever, and this process would wait for it.
        method = "fork" if threading.active_count() == 1 else "spawn"
    return multiprocessing.get_context(method)


def _stop(pool: Any) -> None:
    """End the workers now (Ctrl-C, or an error in this process), without waiting for their files."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


# -- in the worker ---------------------------------------------------------------------------------


def parse_files(job: list[tuple[str, bytes]]) -> list[bytes]:
    """Each file's load result as bytes: marshal when it holds only plain values, else pickle."""
    gc.disable()  # as lint does: the loader makes no cycles (a forked worker inherits it already)
    return [_encode(safe_yaml.load_bytes(data)) for _, data in job]


def _encode(loaded: safe_yaml.LoadResult) -> bytes:
    issues = [(i.rule, i.line, i.message, i.hint, i.severity) for i in loaded.issues]
    docs = [(d.value, d.index, d.line, d.lines, d.block_starts) for d in loaded.documents]
    try:
        return b"m" + marshal.dumps((docs, issues))
    except ValueError:  # a value marshal cannot write (a subclass): pickle keeps it
        import pickle

        return b"p" + pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(answer: bytes) -> safe_yaml.LoadResult | None:
    try:
        if answer[:1] == b"p":
            import pickle

            loaded = pickle.loads(answer[1:])  # noqa: S301 -- written by our own worker just now
            return loaded if isinstance(loaded, safe_yaml.LoadResult) else None
        docs, issues = marshal.loads(answer[1:])  # noqa: S302 -- written by our own worker just now
        return safe_yaml.LoadResult(
            documents=[safe_yaml.Document(*d) for d in docs],
            issues=[safe_yaml.LoadIssue(*i) for i in issues],
        )
    except Exception:  # an answer that cannot be read: the model parses that file itself
        return None
