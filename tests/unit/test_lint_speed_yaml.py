"""The loader's fast paths (safe_yaml._Builder) give exactly what PyYAML gives: the same values as
``yaml.load_all`` with the C loader and, for every key and list item, the line PyYAML's composer
puts its node on. Random documents (Hypothesis), dumped in block and flow style."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_field.sites.repo import safe_yaml

# Characters that steer PyYAML's resolver and quoting (bool words, numbers, null, timestamps, ':').
TEXT = st.text(alphabet="aynoft YNOT01-9.:~_#'\"|>\n-", max_size=12)
SCALARS = st.one_of(
    TEXT,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=True, width=64),
)
KEYS = st.text(alphabet="abkyn_-01.", min_size=1, max_size=8)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)
DOCUMENTS = st.lists(st.dictionaries(KEYS, VALUES, min_size=1, max_size=5), min_size=1, max_size=3)


def expected_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            out[child] = key_node.start_mark.line + 1
            expected_lines(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            out[child] = item.start_mark.line + 1
            expected_lines(item, child, out)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.sampled_from([False, True, None]), st.booleans())
def test_values_and_lines_match_pyyaml(documents: list[Any], flow: bool | None, start: bool) -> None:
    text = yaml.safe_dump_all(documents, default_flow_style=flow, sort_keys=False, explicit_start=start)
    loaded = safe_yaml.load_text(text)
    assert loaded.issues == []
    assert [d.value for d in loaded.documents] == list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    for document, node in zip(loaded.documents, yaml.compose_all(text, Loader=yaml.CSafeLoader), strict=True):
        lines: dict[tuple[Any, ...], int] = {(): node.start_mark.line + 1}
        expected_lines(node, (), lines)
        assert document.lines == lines
        assert document.line == node.start_mark.line + 1


def test_anchors_merges_and_duplicates_still_take_the_general_path() -> None:
    text = (
        "base: &b {cpu: 2, mem: 4Gi}\n"
        "vm:\n"
        "  <<: *b\n"
        "  cpu: 4\n"
        "list: &l [1, 2]\n"
        "again: *l\n"
        "dup: {a: 1}\n"
        "dup: [x]\n"
    )
    loaded = safe_yaml.load_text(text)
    (document,) = loaded.documents
    assert document.value == {
        "base": {"cpu": 2, "mem": "4Gi"},
        "vm": {"cpu": 4, "mem": "4Gi"},
        "list": [1, 2],
        "again": [1, 2],
        "dup": ["x"],
    }
    assert [(i.rule, i.line) for i in loaded.issues] == [("yaml-duplicate-key", 8)]
    assert document.line_of("vm", "cpu") == 4 and document.line_of("again") == 6
