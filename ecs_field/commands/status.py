"""Command-line shell: see ecs_field.cli. Filled in by its issue."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Adds this module's sub-commands."""
