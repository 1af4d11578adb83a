"""Running the ``ecs-field`` command line from tests: in this process, or as the real entry point.

Both return a ``subprocess.CompletedProcess`` (returncode, stdout, stderr), so a test reads
the same whichever way it ran the command.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout

from ecs_field.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``ecs_field.cli.main(args)`` in this process (fast); stdout and stderr captured like a child's."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse errors and --help exit instead of returning
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def run_process(
    *args: str, timeout: float = 120, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m ecs_field ARGS`` in a child process: the real entry point, imports and exit code.

    ``env`` adds to (or overrides) this process's environment. stdin is /dev/null, so a command
    that would ask a question sees no terminal and never waits on the person running the tests.
    """
    return subprocess.run(
        [sys.executable, "-m", "ecs_field", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
