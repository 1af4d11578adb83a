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
    try:
        inv = parse_macos_json(done.stdout.decode("utf-8", errors="replace"))
    except ParseError as exc:
        raise EcsFieldError(
            f"system_profiler returned unreadable output: {exc.message}",
            "Run 'system_profiler -json SPHardwareDataType' in Terminal to check it.",
        ) from exc
    inv.sources = ["probe:macos"]
    return inv
