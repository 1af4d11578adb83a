"""Windows: run the one PowerShell script (kept beside its parser) and parse its JSON."""

from __future__ import annotations

import base64
import subprocess

from ecs_field.errors import EcsFieldError
from ecs_field.hardware.inventory import Inventory
from ecs_field.hardware.parsers.common import ParseError
from ecs_field.hardware.parsers.windows import POWERSHELL_SCRIPT, parse_windows_json

TIMEOUT_S = 120


def run_script() -> str:
    # -EncodedCommand (UTF-16LE, base64) carries the script without any quoting rules.
    encoded = base64.b64encode(POWERSHELL_SCRIPT.encode("utf-16-le")).decode("ascii")
    command = [
        "powershell.exe",
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-EncodedCommand",
        encoded,
    ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            timeout=TIMEOUT_S,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EcsFieldError(
            f"PowerShell hardware query failed: {exc}",
            "Run 'ecs-field probe' from a normal PowerShell window to see its output.",
        ) from exc
    return done.stdout.decode("utf-8-sig", errors="replace")


def probe() -> Inventory:
    output = run_script()
    try:
        inv = parse_windows_json(output)
    except ParseError as exc:
        raise EcsFieldError(
            f"PowerShell hardware query returned unreadable output: {exc.message}",
            "Check that PowerShell 5.1 or later works on this machine.",
        ) from exc
    inv.sources = ["probe:windows"]
    return inv
