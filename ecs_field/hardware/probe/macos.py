"""macOS: run system_profiler with the data types the parser reads."""

from __future__ import annotations

import subprocess

from ecs_field.errors import EcsFieldError
from ecs_field.hardware.inventory import Inventory
from ecs_field.hardware.parsers.common import ParseError
from ecs_field.hardware.parsers.macos import DATA_TYPES, parse_macos_json

TIMEOUT_S = 120


def probe() -> Inventory:
    try:
        done = subprocess.run(
            ["system_profiler", "-json", *DATA_TYPES], capture_output=True, timeout=TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EcsFieldError(f"system_profiler failed: {exc}", "Run it in Terminal to see why.") from exc
    text = done.stdout.decode("utf-8-sig", errors="replace")
    if not text.strip():
        # system_profiler prints nothing (and exits non-zero) when it cannot run its reporters.
        error = done.stderr.decode("utf-8", errors="replace").strip()[:300]
        raise EcsFieldError(
            f"system_profiler printed nothing (exit {done.returncode}){': ' + error if error else ''}",
            "Run 'system_profiler -json SPHardwareDataType' in Terminal to check it.",
        )
    try:
        inv = parse_macos_json(text)
    except ParseError as exc:
        raise EcsFieldError(
            f"system_profiler returned unreadable output: {exc.message}",
            "Run 'system_profiler -json SPHardwareDataType' in Terminal to check it.",
        ) from exc
    inv.sources = ["probe:macos"]
    return inv
