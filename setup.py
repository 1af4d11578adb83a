"""Only what pyproject.toml cannot say: ship the top-level resources/ folder inside the package.

resources/ stays at the top of the repository (the catalog, the demo site and icons are data,
not code); in the wheel it becomes the data-only package ``ecs_field._resources``, which
ecs_field/resources.py finds (as it finds the folder in a checkout or a PyInstaller bundle).
"""

from pathlib import Path

from setuptools import find_packages, setup

RESOURCE_FILES = sorted(
    str(path.relative_to("resources")) for path in Path("resources").rglob("*") if path.is_file()
)

setup(
    packages=[*find_packages(include=["ecs_field", "ecs_field.*"]), "ecs_field._resources"],
    package_dir={"ecs_field._resources": "resources"},
    package_data={"ecs_field._resources": RESOURCE_FILES},
)
