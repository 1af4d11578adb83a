"""Ending a finished command without the interpreter's teardown.

After a big lint (20 MB of manifests) the interpreter spends ~0.15 s freeing the parsed heap at
exit, and after self-test ~90 ms destroying widgets: work nobody waits for. ``end_now`` ends the
process at once, but only when nothing is lost by it: the output streams are flushed, logging's
only exit hook (``logging.shutdown``) is run, and it declines (returning the code for a normal
exit) while another non-daemon thread or a child process is still running (the normal exit would
wait for them) or under coverage (which saves its data in an exit hook). The app writes its files
atomically and closes them itself, so no buffered file is left for the teardown to flush.

Only the command-line entry (``cli.run``: the console script, ``python -m ecs_field``, the
packaged app) marks the process as its own; ``cli.main`` called from a test or another program
never ends the caller's process.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_whole_process = False


def mark_whole_process() -> None:
    global _whole_process
    _whole_process = True


def busy() -> bool:
    """Something the normal exit would wait for, or an exit hook that must run."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if others or "coverage" in sys.modules:
        return True
    if "multiprocessing" in sys.modules:
        import multiprocessing

        if multiprocessing.active_children():
            return True
    return False


def end_now(code: int, *, whole_process_only: bool = True) -> int:
    """End the process with ``code`` when that is safe; else return ``code`` for a normal exit."""
    if (whole_process_only and not _whole_process) or busy():
        return code
    if "logging" in sys.modules:
        import logging

        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or broken pipe: nothing more to say
            stream.flush()
    os._exit(code)
