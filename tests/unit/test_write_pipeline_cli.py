"""`ecs-field write`'s command module: the writer is imported only when a write runs (after the
drive look-up has started), and its --mode choices are the writer's."""

from __future__ import annotations

import subprocess
import sys

from ecs_field.commands import write as write_command
from ecs_field.media.write import writejob


def test_mode_choices_are_the_writers() -> None:
    assert write_command.MODES == writejob.MODES


def test_registering_the_command_imports_no_writer_library_or_yaml() -> None:
    code = (
        "import sys, argparse\n"
        "from ecs_field.commands import write\n"
        "write.register(argparse.ArgumentParser().add_subparsers())\n"
        "heavy = [m for m in ('ecs_field.media.write.writejob', 'ecs_field.media.write.writer',\n"
        "         'ecs_field.media.library.store', 'yaml') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
