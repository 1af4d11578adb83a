"""Tests never read or write the real user's files (config, data, Qt window state)."""

from __future__ import annotations

import os
from pathlib import Path

from ecs_field import paths
from tests.conftest import REAL_HOME


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def test_app_folders_are_not_in_the_real_home() -> None:
    for folder in (paths.config_dir(), paths.data_dir(), paths.cache_dir(), paths.log_dir()):
        assert not _inside(folder, REAL_HOME / ".config"), folder
        assert not _inside(folder, REAL_HOME / ".local"), folder
        assert not _inside(folder, REAL_HOME / ".cache"), folder


def test_xdg_folders_point_away_from_the_real_home() -> None:
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert not _inside(Path(os.environ[name]), REAL_HOME / ".config"), name
        assert os.environ[name] != str(REAL_HOME)


def test_qt_settings_file_is_not_in_the_real_home() -> None:
    from PySide6.QtCore import QCoreApplication, QSettings

    from ecs_field.gui.app import create_application

    if QCoreApplication.instance() is None:  # another test may have made a non-GUI one already
        create_application(["ecs-field-tests"])
    target = Path(QSettings().fileName())
    assert not _inside(target, REAL_HOME / ".config"), target
