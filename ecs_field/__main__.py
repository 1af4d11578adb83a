import sys

from ecs_field.cli import run

sys.exit(run())
