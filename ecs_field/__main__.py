import sys

from ecs_field.cli import main

sys.exit(main())
