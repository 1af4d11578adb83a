"""The HTML report: standalone, escaped, status in colour and word."""

from __future__ import annotations

from ecs_field.compat.catalog import build_catalog, shipped_catalog_dir
from ecs_field.compat.report import render_html
from ecs_field.compat.verdict import evaluate, fill_template

from . import inventories as boxes


def test_report_is_standalone_and_says_status_in_words() -> None:
    cat = build_catalog(shipped_catalog_dir(), None)
    text = render_html(evaluate(boxes.unknown_nic_only(), cat, "8.0U3").to_dict())
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "Not supported" in text and "FAIL" in text and "#cf222e" in text
    assert "<script" not in text and "http" not in text.split("<body>")[0].split("<style>")[0]
    assert "1969:e0b1" in text and "@media print" in text


def test_report_escapes_box_strings() -> None:
    cat = build_catalog(shipped_catalog_dir(), None)
    inv = boxes.supermicro_supported()
    inv.platform.vendor = 'Evil "Corp" <b>&'
    inv.nics[0].name = "<img src=x onerror=alert(1)>"
    text = render_html(evaluate(inv, cat, "8.0U3").to_dict())
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "Evil &quot;Corp&quot; &lt;b&gt;&amp;" in text


def test_fix_templates_tolerate_stray_braces() -> None:
    assert fill_template("Add {component} on {release}", component="X 1.0", release="ESXi 9.0") == (
        "Add X 1.0 on ESXi 9.0")
    assert fill_template("Keep {unknown} and {", version="1") == "Keep {unknown} and {"
    assert fill_template("Use {0}", version="1") == "Use {0}"
