"""The command line imports only the module of the command being run (a fast start)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from ecs_field import cli


def _registered_by(module: str) -> set[str]:
    import importlib

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    importlib.import_module(module).register(sub)
    return set(sub.choices)


def test_command_table_matches_what_the_modules_register() -> None:
    for module in cli.COMMAND_MODULES:
        expected = {name for name, owner in cli.COMMANDS.items() if owner == module}
        assert _registered_by(module) == expected, module


def test_help_lists_every_command_with_examples_and_exit_codes(capsys) -> None:
    try:
        cli.main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out
    assert "examples:" in out and "exit codes:" in out and "130 cancelled" in out


def test_verbose_without_a_command_means_the_app() -> None:
    assert cli._command_position(["-v"]) is None
    assert cli._command_position(["--verbose", "check", "x"]) == 1
    assert cli._command_position(["--help"]) == -1
    parser = cli.build_parser(cli.COMMANDS["gui"])
    args = parser.parse_args(["-v", "gui"])
    assert args.command == "gui" and args.verbose


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nprint('\\n'.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_version_imports_no_command_module() -> None:
    loaded = _modules_after("import sys\nfrom ecs_field.cli import main\nmain(['--version'])")
    assert not any(m.startswith("ecs_field.commands") for m in loaded)
    assert "logging.handlers" not in loaded


def test_check_loads_neither_qt_nor_git_nor_other_commands() -> None:
    loaded = _modules_after(
        "import sys\nfrom ecs_field import cli\n"
        "cli.build_parser(cli.COMMANDS['check']).parse_args(['check', 'x.txt'])"
    )
    assert "ecs_field.commands.check" in loaded
    assert not any(m.startswith(("PySide6", "git", "ecs_field.commands.write", "ecs_field.commands.sites"))
                   for m in loaded)
