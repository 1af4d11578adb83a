"""Finds the shipped ``resources/`` folder in a source checkout, a wheel or a PyInstaller bundle."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from ecs_field.errors import EcsFieldError


@cache
def resources_dir() -> Path:
    candidates = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    package = Path(__file__).resolve().parent
    candidates.append(package.parent / "resources")  # source checkout / editable install
    candidates.append(package / "_resources")  # wheel
    for candidate in candidates:
        if (candidate / "catalog").is_dir():
            return candidate
    raise EcsFieldError(
        "The app's resources folder is missing (looked in: " + ", ".join(map(str, candidates)) + ").",
        "Reinstall ecs-field; the catalog and the demo site ship in that folder.",
    )


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
