"""Property tests: whatever a verdict document carries (text from the box, odd types from an
older or hand-edited JSON), the Hardware page's renderers do not raise and never pass markup
from the input through unescaped.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from ecs_field.gui.widgets.hardware_checks import checks_html, counts_html, shared_lead
from ecs_field.gui.widgets.hardware_style import DARK, LIGHT, STATE_ORDER, count_states
from ecs_field.gui.widgets.hardware_warnings import InputWarningsPanel, summary_text

MARKUP = "<script>x</script>"


@pytest.fixture
def panel(qtbot: QtBot) -> InputWarningsPanel:
    widget = InputWarningsPanel()
    qtbot.addWidget(widget)
    return widget


text = st.one_of(st.none(), st.text(max_size=40), st.just(MARKUP), st.just("`a` <b> & `"))
scalar = st.one_of(text, st.integers(), st.booleans(), st.floats(allow_nan=True))
check = st.fixed_dictionaries(
    {},
    optional={
        "id": text,
        "status": st.one_of(st.sampled_from(["pass", "warn", "fail", "odd"]), scalar),
        "title": text,
        "detail": text,
        "fix": text,
        "seen": text,
        "not_checked": scalar,
        "inputs": st.lists(text, max_size=2),
    },
)
recommendation = st.fixed_dictionaries(
    {},
    optional={
        "bus": text,
        "id": text,
        "chip": text,
        "driver": text,
        "component": text,
        "speed_mbps": scalar,
        "reason": text,
        "confidence": text,
    },
)
warning = st.fixed_dictionaries(
    {},
    optional={
        "file": text,
        "line": scalar,
        "message": text,
        "kind": st.one_of(text, st.sampled_from(["noise", "encoding", "truncated", "split", "duplicate"])),
    },
)
doc = st.fixed_dictionaries(
    {},
    optional={
        "checks": st.one_of(st.none(), st.lists(st.one_of(check, scalar), max_size=6)),
        "recommendations": st.one_of(st.none(), st.lists(st.one_of(recommendation, scalar), max_size=6)),
        "release_name": text,
    },
)


@settings(max_examples=300, deadline=None)
@given(doc, st.booleans(), st.booleans())
def test_checks_list_renders_any_document_escaped(
    data: dict[str, Any], dark: bool, all_adapters: bool
) -> None:
    out = checks_html(data, DARK if dark else LIGHT, all_adapters=all_adapters)
    assert MARKUP not in out
    checks = [c for c in data.get("checks") or [] if isinstance(c, dict)]
    counts = count_states(checks)
    assert sum(counts.values()) == len(checks) and set(counts) == set(STATE_ORDER)
    assert MARKUP not in counts_html(checks, LIGHT)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=5))
def test_shared_lead_is_a_prefix_of_every_reason(texts: list[str]) -> None:
    lead = shared_lead(texts)
    assert all(t.startswith(lead) for t in texts)
    assert lead == "" or lead.endswith((".", ":"))


# one panel for all examples on purpose: set_warnings must also reset what the last list left
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(warning, scalar), max_size=8))
def test_warnings_panel_takes_any_list(qtbot: QtBot, panel: InputWarningsPanel, warnings: list[Any]) -> None:
    panel.set_warnings(warnings)
    listed = [w for w in warnings if isinstance(w, dict)]
    assert panel.isHidden() == (not listed)
    assert MARKUP not in panel.summary.text() and MARKUP not in panel.details.toHtml()
    if listed:
        assert panel.toggle.text() == f"Input &warnings ({len(listed)})"
        assert summary_text(listed)
