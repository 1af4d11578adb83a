from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hardware"


@pytest.fixture
def fixture_text() -> object:
    def read(name: str) -> str:
        return (FIXTURES / name).read_text()

    return read
