"""A job's result that arrives after its page closed or was deleted is dropped, not a crash."""

from __future__ import annotations

import shiboken6

from ecs_field.gui.pages.base import Page


def test_guarded_callback_runs_while_the_page_lives_and_not_after(qtbot) -> None:
    page = Page()
    calls: list[int] = []
    callback = page.guarded(calls.append)
    callback(1)
    page.shutdown()
    callback(2)
    assert calls == [1]

    other = Page()
    late = other.guarded(lambda: calls.append(3))
    shiboken6.delete(other)
    late()
    assert calls == [1]
