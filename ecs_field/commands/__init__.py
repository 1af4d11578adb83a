"""Command-line shells over the core, one module per area (see ecs_field.cli)."""
