"""A verdict as a standalone HTML page: one file, no scripts, readable when printed.

Status is shown by colour AND word (and a symbol), so the page still reads in black and white.
Every value from the inventory is escaped: DMI strings and interface names come from the box.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import Any

from ecs_field import __version__

VERDICT_WORDS = {
    "supported": ("Supported", "#1a7f37", "✔"),
    "actions-required": ("Supported after actions", "#9a6700", "!"),
    "unsupported": ("Not supported", "#cf222e", "✖"),
}
STATUS_WORDS = {
    "pass": ("PASS", "#1a7f37", "✔"),
    "warn": ("ACTION", "#9a6700", "!"),
    "fail": ("FAIL", "#cf222e", "✖"),
    "not_checked": ("NOT CHECKED", "#57606a", "?"),
}
SUPPORT_WORDS = {
    "inbox": ("inbox", "#1a7f37"),
    "driver-required": ("driver required", "#9a6700"),
    "unsupported": ("unsupported", "#cf222e"),
    "unknown": ("unknown", "#57606a"),
}

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
.meta { color: #57606a; }
.banner { border: 2px solid; border-radius: 8px; padding: .8rem 1rem; margin: 1rem 0; font-size: 1.2rem; }
.banner b { font-size: 1.4rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid #d0d7de; }
th { background: #f6f8fa; }
.status { font-weight: 700; white-space: nowrap; }
.fix { margin-top: .25rem; padding: .3rem .5rem; background: #fff8c5; border-left: 3px solid #9a6700; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
.small { color: #57606a; font-size: .88em; }
@media print { body { margin: 0; max-width: none; } .fix { background: none; }
  tr { page-break-inside: avoid; } }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _size(n: int | None) -> str:
    return "unknown" if n is None else f"{n / 1024**3:.1f} GiB"


def render_html(verdict: dict[str, Any], *, generated: datetime | None = None) -> str:
    """HTML for a verdict document (``Verdict.to_dict()``)."""
    when = (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    word, colour, symbol = VERDICT_WORDS.get(verdict.get("verdict", ""), ("Unknown", "#57606a", "?"))
    platform = verdict.get("platform") or {}
    cpu = verdict.get("cpu") or {}
    release = verdict.get("release_name") or verdict.get("release")
    box = " ".join(x for x in (platform.get("vendor"), platform.get("product") or platform.get("board")) if x)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>ECS hardware check: {_e(box or 'box')} on {_e(release)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>ECS hardware check — {_e(box or 'unidentified box')}</h1>",
        f'<p class="meta">Release {_e(verdict.get("release_name") or verdict.get("release"))} · catalog '
        f"{_e(verdict.get('catalog_version'))} · ecs-field {_e(__version__)} · {_e(when)}</p>",
        f'<div class="banner" style="border-color:{colour};color:{colour}" role="status">'
        f"<b>{symbol} {_e(word)}</b><br>"
        f'<span style="color:#1f2328">{_e(verdict.get("summary"))}</span></div>',
        "<h2>Box</h2><table>",
        _row(
            "Platform",
            (platform.get("family") or "not in catalog")
            + (f" (matched by DMI {platform.get('matched_by')})" if platform.get("matched") else ""),
        ),
        _row(
            "DMI",
            " / ".join(
                str(platform.get(k)) for k in ("vendor", "product", "board", "version") if platform.get(k)
            )
            or "none",
        ),
        _row(
            "CPU",
            f"{cpu.get('model') or 'unknown'} — {cpu.get('cores') or '?'} cores, "
            f"{cpu.get('threads') or '?'} threads, hybrid: " + _yes_no(cpu.get("hybrid")),
        ),
        _row("Memory", _size(verdict.get("memory_bytes"))),
        "</table>",
        "<h2>Checks</h2><table><tr><th>Status</th><th>Check</th><th>Details and fix</th></tr>",
    ]
    for check in verdict.get("checks") or []:
        key = "not_checked" if check.get("not_checked") else check.get("status")
        sword, scolour, ssymbol = STATUS_WORDS.get(key, ("?", "#57606a", "?"))
        label = "How to check" if check.get("not_checked") else "Fix"
        fix = f'<div class="fix"><b>{label}:</b> {_e(check.get("fix"))}</div>' if check.get("fix") else ""
        seen = f'<div class="small">Seen: {_e(check.get("seen"))}</div>' if check.get("seen") else ""
        parts.append(
            f'<tr><td class="status" style="color:{scolour}">{ssymbol} {sword}</td>'
            f"<td>{_e(check.get('title'))}</td><td>{_e(check.get('detail'))}{seen}{fix}</td></tr>"
        )
    parts.append("</table>")
    if any(c.get("not_checked") for c in verdict.get("checks") or []):
        parts.append(
            '<p class="small">NOT CHECKED: no input carries that fact; it is neither a pass nor a fail. '
            "Verify it on the box as described, or add the input named, and check again.</p>"
        )
    parts.append("<h2>Network adapters</h2>")
    nics = verdict.get("nics") or []
    if nics:
        parts.append(
            "<table><tr><th>ESXi name</th><th>Chip</th><th>Bus / ID</th><th>Link</th><th>Driver</th>"
            "<th>Support</th></tr>"
        )
        for nic in nics:
            label, scolour = SUPPORT_WORDS.get(nic.get("support"), ("?", "#57606a"))
            component = f'<div class="small">{_e(nic.get("component"))}</div>' if nic.get("component") else ""
            os_name = f'<div class="small">{_e(nic.get("name"))}</div>' if nic.get("name") else ""
            parts.append(
                f'<tr><td class="mono">{_e(nic.get("esxi_name") or "—")}{os_name}</td>'
                f"<td>{_e(nic.get('chip') or 'unknown device')}</td>"
                f'<td class="mono">{_e(str(nic.get("bus", "")).upper())} {_e(nic.get("id"))}'
                f'<div class="small">{_e(nic.get("location"))}</div></td>'
                f"<td>{_e(nic.get('link') or 'unknown')}</td>"
                f'<td class="mono">{_e(nic.get("driver") or "—")}</td>'
                f'<td class="status" style="color:{scolour}">{_e(label)}{component}</td></tr>'
            )
        parts.append("</table>")
    else:
        parts.append("<p>No network adapter in the input.</p>")
    parts.extend(_recommendations(verdict))
    parts.extend(_input_warnings(verdict))
    sources = verdict.get("sources") or []
    if sources:
        parts.append('<p class="small">Inputs: ' + _e(", ".join(map(str, sources))) + "</p>")
    parts.append(
        '<p class="small">Facts come from the ECS Field Kit hardware catalog; entries marked low '
        "confidence are unconfirmed. Status words: PASS, ACTION (do the fix), NOT CHECKED (verify on the "
        "box), FAIL (blocks install).</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _recommendations(verdict: dict[str, Any]) -> list[str]:
    items = verdict.get("recommendations") or []
    if not items:
        return []
    reason = str(items[0].get("reason") or "")
    rows = [
        "<h2>Recommended network adapters</h2>",
        f"<p>{_e(reason)}</p>",
        "<table><tr><th>Chip</th><th>Bus / ID</th><th>Speed</th><th>Driver</th><th>Add to the image</th>"
        "<th>Confidence</th></tr>",
    ]
    for item in items:
        speed = f"{item.get('speed_mbps')} Mb/s" if item.get("speed_mbps") else "—"
        rows.append(
            f"<tr><td>{_e(item.get('chip'))}</td>"
            f'<td class="mono">{_e(str(item.get("bus", "")).upper())} {_e(item.get("id"))}</td>'
            f'<td>{_e(speed)}</td><td class="mono">{_e(item.get("driver"))}</td>'
            f"<td>{_e(item.get('component') or 'nothing (inbox)')}</td>"
            f"<td>{_e(item.get('confidence'))}</td></tr>"
        )
    rows.append("</table>")
    return rows


def _input_warnings(verdict: dict[str, Any]) -> list[str]:
    warnings = verdict.get("input_warnings") or []
    if not warnings:
        return []
    rows = ["<h2>Input warnings</h2>", '<p class="small">Tolerated while reading the files:</p>', "<ul>"]
    for warning in warnings:
        where = str(warning.get("file") or "") + (f":{warning['line']}" if warning.get("line") else "")
        rows.append(
            f'<li><span class="mono">{_e(where)}</span>: {_e(warning.get("message"))} '
            f'<span class="small">({_e(warning.get("kind"))})</span></li>'
        )
    rows.append("</ul>")
    return rows


def _yes_no(value: Any) -> str:
    return "yes" if value is True else "no" if value is False else "unknown"


def _row(label: str, value: str) -> str:
    return f'<tr><th style="width:9rem">{_e(label)}</th><td>{_e(value)}</td></tr>'
