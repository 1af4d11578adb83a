"""Entry point of the packaged app (PyInstaller starts this script)."""

import sys

from ecs_field.cli import run

if __name__ == "__main__":
    sys.exit(run())
