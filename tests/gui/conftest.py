"""GUI tests: one QApplication configured like the real app, state under ECS_FIELD_HOME."""

from __future__ import annotations

import pytest

from ecs_field.gui.app import create_application


@pytest.fixture(scope="session")
def qapp_cls():  # pytest-qt hook: use our application setup (names, settings format)
    from PySide6.QtWidgets import QApplication

    return QApplication


@pytest.fixture(scope="session")
def qapp(qapp_args, qapp_cls):
    return create_application(["ecs-field-tests"])
