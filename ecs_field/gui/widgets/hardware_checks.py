"""The Hardware page's checks list as rich text: checks by state, the adapters to add, the counts.

Reads the verdict document (schema ecs-field/verdict@1) with ``.get`` defaults so documents from
before ``not_checked`` / ``seen`` / ``recommendations`` existed render too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ecs_field.gui.widgets.hardware_style import (
    COUNT_WORDS,
    STATE_ORDER,
    STATUS_WORDS,
    Tones,
    check_state,
    count_states,
)

EMPTY_TEXT = (
    "No checks yet. <b>Check this machine</b> looks at this computer's hardware; <b>Import report…</b> "
    "or dropping files here reads what another box printed (lspci, lsusb, dmidecode, esxcli, "
    "Windows/macOS adapter lists or an inventory JSON)."
)


SHOWN_RECOMMENDATIONS = 4  # "a short list": the rest behind a "show all" link
SHOW_ALL_LINK = "ecs:show-all-adapters"
_COMMAND = re.compile(r"`([^`]+)`")


def esc(value: object) -> str:
    return html.escape(str(value or ""))


def prose(value: object) -> str:
    """Escaped text whose `backticked` commands are set in a fixed font: things to type on the box."""
    return _COMMAND.sub(_code, esc(value))


def _code(match: re.Match[str]) -> str:
    # No non-breaking hyphen or word joiner to keep "ecs-field" on one line: they would be
    # copied with the command and break it in the shell. Qt ignores nowrap/nobr at a hyphen.
    return f"<code>{match.group(1)}</code>"


def shared_lead(texts: Sequence[str]) -> str:
    """The sentence(s) every text starts with (cut at a sentence end), said once above a list."""
    if len(texts) < 2:
        return ""
    texts = [t + " " for t in texts]  # a text that ends with the shared sentence still shares it
    lead = texts[0]
    for text in texts[1:]:
        n = 0
        while n < min(len(lead), len(text)) and lead[n] == text[n]:
            n += 1
        lead = lead[:n]
    end = max(lead.rfind(". "), lead.rfind(": "))
    return lead[: end + 1].strip() if end > 0 else ""


def speed_text(mbps: object) -> str:
    if not isinstance(mbps, (int, float)) or isinstance(mbps, bool) or mbps <= 0:
        return ""
    if mbps >= 1000:
        gbps = mbps / 1000
        return f"{gbps:g} Gb/s"
    return f"{mbps:g} Mb/s"


def counts_html(checks: Sequence[Mapping[str, Any]], tones: Tones) -> str:
    """ "1 failed · 2 need action · 3 not checked · 5 passed", each in its state's colour and icon."""
    counts = count_states(checks)
    parts = []
    for state in STATE_ORDER:
        icon = STATUS_WORDS[state].split(" ", 1)[0]
        weight = "bold" if counts[state] else "normal"
        parts.append(
            f"<span style='color:{tones.state(state)};font-weight:{weight}'>"
            f"{icon} {counts[state]} {COUNT_WORDS[state]}</span>"
        )
    return " &nbsp;·&nbsp; ".join(parts)


def counts_text(checks: Sequence[Mapping[str, Any]]) -> str:
    counts = count_states(checks)
    return ", ".join(f"{counts[s]} {COUNT_WORDS[s]}" for s in STATE_ORDER)


def _check_row(check: Mapping[str, Any], tones: Tones) -> str:
    state = check_state(check)
    word = STATUS_WORDS[state]
    colour = tones.state(state)
    lines = [f"<b>{esc(check.get('title') or check.get('id'))}</b>"]
    if check.get("detail"):
        lines.append(f"<span style='color:{tones.muted}'>{prose(check['detail'])}</span>")
    if check.get("seen"):
        lines.append(f"<small style='color:{tones.muted}'>Seen: {esc(check['seen'])}</small>")
    box = ""
    if check.get("fix"):
        if state == "not_checked":
            label, bg, fg = "How to check:", tones.howto_bg, tones.howto_fg
        else:
            label, bg, fg = "Fix:", tones.fix_bg, tones.fix_fg
        box = (
            f"<table width='100%' cellspacing='0' cellpadding='5' style='margin-top:3px'>"
            f"<tr><td style='background:{bg};color:{fg}'><b>{label}</b> {prose(check['fix'])}</td></tr>"
            "</table>"
        )
    return (
        "<tr>"
        f"<td style='color:{colour};font-weight:bold;white-space:nowrap;padding:5px 12px 5px 0'>{word}</td>"
        f"<td style='padding:5px 0'>{'<br>'.join(lines)}{box}</td>"
        "</tr>"
    )


def _recommendation_item(rec: Mapping[str, Any], lead: str, tones: Tones) -> str:
    chip = esc(rec.get("chip") or "Unnamed adapter")
    bus = str(rec.get("bus") or "").upper()
    where = " ".join(x for x in (bus, str(rec.get("id") or "")) if x)
    facts = " · ".join(x for x in (esc(where), speed_text(rec.get("speed_mbps"))) if x)
    driver = f" (driver {esc(rec['driver'])})" if rec.get("driver") else ""
    if rec.get("component"):
        add = f"add <b>{esc(rec['component'])}</b>{driver}"
    elif rec.get("driver"):
        add = f"driver <b>{esc(rec['driver'])}</b> is in the ESXi image, nothing to add"
    else:
        add = ""
    head = f"<b>{chip}</b>" + (f" <span style='color:{tones.muted}'>{facts}</span>" if facts else "")
    tail = f" — {add}" if add else ""
    reason = str(rec.get("reason") or "")[len(lead) :].strip()
    note = f"<br><small style='color:{tones.muted}'>{prose(reason)}</small>" if reason else ""
    return f"<li style='margin-bottom:3px'>{head}{tail}{note}</li>"


def recommendations_html(
    recs: Sequence[Mapping[str, Any]],
    release_name: str,
    tones: Tones,
    *,
    needed: bool,
    show_all: bool = False,
) -> str:
    """Adapters the catalog supports on the release, chip first; a short list unless ``show_all``."""
    if not recs:
        return ""
    lead = shared_lead([str(r.get("reason") or "") for r in recs])
    shown = recs if show_all else recs[:SHOWN_RECOMMENDATIONS]
    items = "".join(_recommendation_item(r, lead, tones) for r in shown)
    more = len(recs) - len(shown)
    more_link = (
        f"<li style='list-style:none'><a href='{SHOW_ALL_LINK}' style='color:{tones.link}'>"
        f"Show all {len(recs)} adapters</a></li>"
        if more > 0
        else ""
    )
    release = f" on {esc(release_name)}" if release_name else ""
    title = f"Network adapters that work{release}"
    why = f"<br><span style='color:{tones.muted}'>{prose(lead)}</span>" if lead else ""
    # the reason the verdict gives (the lead) says whether it is needed or an option
    word, colour = ("➜ ADD", tones.action) if needed else ("+ ADAPTERS", tones.link)
    cell = "padding:6px 12px 6px 0;white-space:nowrap;font-weight:bold"
    return (
        f"<tr><td style='{cell};color:{colour}'>{word}</td>"
        f"<td style='padding:6px 0'><b>{title}</b>{why}"
        f"<ul style='margin-top:2px;margin-bottom:0'>{items}{more_link}</ul></td></tr>"
    )


def _nic_missing(checks: Sequence[Mapping[str, Any]]) -> bool:
    """A failed NIC check: the box has no usable NIC, so an adapter is needed, not optional."""
    return any(str(c.get("id") or "").startswith("nic") and c.get("status") == "fail" for c in checks)


def checks_html(doc: Mapping[str, Any] | None, tones: Tones, *, all_adapters: bool = False) -> str:
    """Checks sorted fail, action, not checked, pass; the adapters to add follow the failures
    when the box has no usable NIC, else they close the list as an option."""
    if doc is None:
        return f"<p style='color:{tones.muted}'>{EMPTY_TEXT}</p>"
    checks = [c for c in doc.get("checks") or [] if isinstance(c, Mapping)]
    by_state: dict[str, list[Mapping[str, Any]]] = {s: [] for s in STATE_ORDER}
    for check in checks:
        by_state[check_state(check)].append(check)
    recs = [r for r in doc.get("recommendations") or [] if isinstance(r, Mapping)]
    needed = _nic_missing(checks)
    adapters = recommendations_html(
        recs, str(doc.get("release_name") or ""), tones, needed=needed, show_all=all_adapters
    )
    rows = [_check_row(c, tones) for c in by_state["fail"]]
    if needed:
        rows.append(adapters)
    rows += [_check_row(c, tones) for s in ("warn", "not_checked", "pass") for c in by_state[s]]
    if not needed:
        rows.append(adapters)
    return "<table width='100%' cellspacing='0'>" + "".join(rows) + "</table>"
