"""The wheel ships resources/ (catalog, demo site, icons): `pip install .` must give a working app."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_every_resource_file(tmp_path: Path) -> None:
    # --no-build-isolation: build with the installed setuptools, nothing fetched from the network
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("ecs_field-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"ecs_field/_resources/{p.relative_to(ROOT / 'resources').as_posix()}"
               for p in (ROOT / "resources").rglob("*") if p.is_file()}
    assert "ecs_field/_resources/catalog/catalog.yaml" in shipped
    assert shipped <= names
    assert "ecs_field/cli.py" in names and "ecs_field/gui/pages/sites.py" in names
