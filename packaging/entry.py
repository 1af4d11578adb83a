"""Entry point of the packaged app (PyInstaller starts this script)."""

import sys

if __name__ == "__main__":
    # lint parses big repositories in worker processes; where they are spawned (Windows, macOS, and
    # Linux from the GUI) a frozen app starts itself again as the worker, and freeze_support turns
    # that start into the worker instead of a second ecs-field (PyInstaller's documented rule).
    import multiprocessing

    multiprocessing.freeze_support()
    from ecs_field.cli import run

    sys.exit(run())
