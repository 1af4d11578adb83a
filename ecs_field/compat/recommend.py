"""Adapters to add when a box has no usable NIC (or fewer than it needs).

Drawn from the catalog only: every adapter the catalog says works on the release (inbox, or
with a component that exists for it), as an uplink (no BMC NICs), at 1 Gb/s or more. Sorted
by confidence, then speed; one entry per bus, driver and speed so the list shows choices
rather than ten rebadged copies of one chip.
"""

from __future__ import annotations

import re

from ecs_field.compat.catalog import Catalog, Release
from ecs_field.compat.results import USABLE_SUPPORT, Recommendation

CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}
PER_BUS = 4
MIN_SPEED_MBPS = 1000
# Parts that are soldered to a board (Intel "Ethernet Connection" PHYs, SoC backplane ports,
# virtual functions): in the catalog because boxes have them, not something one can add.
_NOT_AN_ADAPTER = re.compile(
    r"ethernet connection|backplane|virtual function|\bVF\b|\bSGMII\b|\bKX4?\b|\bKR\b", re.I
)


def supported_adapters(catalog: Catalog, release: Release) -> list[Recommendation]:
    """Every distinct adapter the catalog supports on ``release``, best first (cached per catalog)."""
    # Kept on the catalog object: a reloaded catalog starts afresh.
    cache: dict[str, list[Recommendation]] = catalog.__dict__.setdefault("_recommend_cache", {})
    cached = cache.get(release.id)
    if cached is not None:
        return cached
    found: list[Recommendation] = []
    seen: set[tuple[str, str, int | None]] = set()
    for bus, section in (("usb", "usb"), ("pci", "pci")):
        for entry_id in sorted(catalog.entries.get(section, {})):
            match = catalog.resolve_nic(bus, entry_id, release)
            entry = match.entry
            if entry is None or match.support not in USABLE_SUPPORT or entry.role == "bmc":
                continue
            if entry.speed_mbps is not None and entry.speed_mbps < MIN_SPEED_MBPS:
                continue
            if bus == "pci" and _NOT_AN_ADAPTER.search(entry.chip):
                continue
            if (
                match.support == "inbox"
                and release.inbox_unconfirmed
                and entry.driver in release.inbox_unconfirmed
            ):
                continue
            found.append(
                Recommendation(
                    bus=bus,
                    id=entry.id,
                    chip=entry.chip,
                    driver=entry.driver,
                    component=match.component.label if match.component else "",
                    speed_mbps=entry.speed_mbps,
                    confidence=entry.confidence,
                    reason="",
                    support=match.support,
                    source=entry.source,
                )
            )
    found.sort(
        key=lambda r: (
            CONFIDENCE_ORDER.get(r.confidence, 3),
            -(r.speed_mbps or 0),
            r.support != "inbox",
            r.chip.lower(),
        )
    )
    result = []
    for item in found:
        family = (item.bus, item.driver, item.speed_mbps)
        if family in seen:
            continue
        seen.add(family)
        result.append(item)
    cache[release.id] = result
    return result


def reason_for(release: Release, usable: int, needed: int = 1) -> str:
    """Why adapters are recommended, the same words in every output."""
    if usable == 0:
        return f"No usable NIC on {release.name}: add one of these."
    if usable < needed:
        return f"The box needs {needed} uplinks and has {usable} usable NIC(s): add one of these."
    return (
        "Optional: a second uplink (management and VM traffic on separate ports, or a fallback "
        "if the onboard NIC fails)."
    )


def recommend(
    catalog: Catalog, release: Release, usable: int, needed: int = 1, *, per_bus: int = PER_BUS
) -> list[Recommendation]:
    """Adapters to suggest for a box with ``usable`` usable NICs that needs ``needed`` uplinks.

    None when the box already has two; an optional second uplink when it has one and needs one.
    """
    if usable >= max(needed, 2):
        return []
    reason = reason_for(release, usable, needed)
    counts: dict[str, int] = {}
    chosen = []
    for item in supported_adapters(catalog, release):
        if counts.get(item.bus, 0) >= per_bus:
            continue
        counts[item.bus] = counts.get(item.bus, 0) + 1
        chosen.append(
            Recommendation(
                bus=item.bus,
                id=item.id,
                chip=item.chip,
                driver=item.driver,
                component=item.component,
                speed_mbps=item.speed_mbps,
                confidence=item.confidence,
                reason=reason,
                support=item.support,
                source=item.source,
            )
        )
    return chosen
