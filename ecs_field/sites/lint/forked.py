"""Run some rule families in a forked copy of this process while this one runs the others.

After a big tree is parsed (prefetch.py) the rule families are ~2 s of 20 MB of tiny manifests,
all in one process. Each family is a function of the lint context alone, so a forked child (which
shares the parsed objects without copying them) can run some of them and send back only the
findings. Linux only, and only from a single-threaded process (a lock another thread holds at the
fork would stay locked in the child). A child that fails or dies in any way is ignored and its
families run here, so the findings are the same; Ctrl-C kills the child and is raised again.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Iterable
from typing import Any

from ecs_field.sites.findings import Finding

Family = Callable[[Any], Iterable[Finding]]


def usable() -> bool:
    import threading

    from ecs_field.sites.lint.prefetch import usable_cpus

    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and usable_cpus() > 1
    )


def run_families(ctx: Any, here: list[Family], there: list[Family]) -> set[Finding]:
    """Findings of all families: ``there`` in a forked child, ``here`` in this process."""
    found: set[Finding] = set()
    child = _start(ctx, there) if there else None
    try:
        for check in here:
            found.update(check(ctx))
        answer = _finish(child) if child is not None else None
    except BaseException:
        if child is not None:
            _kill(child)
        raise
    if answer is None:  # no child, or it failed: run its families here
        for check in there:
            found.update(check(ctx))
    else:
        found.update(answer)
    return found


def _start(ctx: Any, families: list[Family]) -> tuple[int, int] | None:
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: run, send, leave without running any of the parent's exit code
        status = 1
        try:
            os.close(read_end)
            found: list[Finding] = []
            for check in families:
                found.extend(check(ctx))
            data = pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            status = 0
        except BaseException:  # noqa: S110 -- the parent runs these families itself
            pass
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _finish(child: tuple[int, int]) -> list[Finding] | None:
    pid, read_end = child
    try:
        with os.fdopen(read_end, "rb") as answer:
            data = answer.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        found = pickle.loads(data)  # noqa: S301 -- written by our own child just now
    except Exception:  # a damaged answer: the families run here
        return None
    return found if isinstance(found, list) and all(isinstance(f, Finding) for f in found) else None


def _kill(child: tuple[int, int]) -> None:
    import contextlib
    import signal

    pid, read_end = child
    for step in (
        lambda: os.close(read_end),
        lambda: os.kill(pid, signal.SIGKILL),
        lambda: os.waitpid(pid, 0),
    ):
        with contextlib.suppress(OSError):  # already closed, or already reaped by _finish
            step()
