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
    return decode_output(done.stdout)


def decode_output(data: bytes) -> str:
    """The script's stdout as text.

    It sets UTF-8 output (PowerShell then writes a BOM first); a profile or a wrapper that
    redirects through a file gives UTF-16 LE with a BOM, or without one (a NUL every other byte).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").lstrip("\ufeff")
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:1] != b"\x00":
        return data.decode("utf-16-le", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


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
