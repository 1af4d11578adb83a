"""The pieces of a verdict (schema ``ecs-field/verdict@1``): checks, NICs, recommendations.

Field names are part of the JSON contract (DESIGN.md section 4, notes CONTRACT C): add
fields freely, never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

USABLE_SUPPORT = ("inbox", "driver-required")


@dataclass
class CheckResult:
    """One check. ``not_checked`` marks a fact no input carries: status is then "warn", never
    "fail", and ``fix`` says how to find the fact out on the box."""

    id: str
    status: str  # "pass" | "warn" | "fail"
    title: str
    detail: str = ""
    fix: str = ""
    source: str = ""
    confidence: str = ""
    not_checked: bool = False
    seen: str = ""  # the fact judged and the input it came from: "i5-1135G7 (dmidecode: box.txt)"
    inputs: list[str] = field(default_factory=list)  # source labels that carry the fact

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix or None,
            "not_checked": self.not_checked,
            "seen": self.seen or None,
            "inputs": list(self.inputs),
        }
        if self.source:
            data["source"] = self.source
        if self.confidence:
            data["confidence"] = self.confidence
        return data


@dataclass
class NicResult:
    bus: str
    id: str
    name: str  # OS interface name from the input
    esxi_name: str
    location: str
    chip: str
    driver: str
    support: str
    component: str  # component label ("USB NIC Fling 1.14-7vmw.803") or ""
    component_id: str
    source: str
    confidence: str
    notes: list[str]
    link: str
    speed_mbps: int | None
    mac: str
    role: str
    fix: str

    @property
    def usable(self) -> bool:
        return self.support in USABLE_SUPPORT and self.role != "bmc"

    @property
    def label(self) -> str:
        return self.esxi_name or self.name or f"{self.bus.upper()} {self.id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "bus": self.bus,
            "id": self.id,
            "name": self.name,
            "esxi_name": self.esxi_name,
            "location": self.location,
            "chip": self.chip,
            "driver": self.driver or None,
            "support": self.support,
            "component": self.component or None,
            "component_id": self.component_id or None,
            "source": self.source or None,
            "confidence": self.confidence or None,
            "notes": self.notes,
            "link": self.link,
            "speed_mbps": self.speed_mbps,
            "mac": self.mac or None,
            "role": self.role,
            "fix": self.fix or None,
        }


@dataclass(frozen=True)
class Recommendation:
    """A network adapter the catalog supports on the release, offered when the box lacks one."""

    bus: str  # "pci" | "usb"
    id: str
    chip: str
    driver: str
    component: str  # what to add to the image ("USB NIC Fling 1.14-7vmw.803"); "" when inbox
    speed_mbps: int | None
    confidence: str
    reason: str
    support: str = "inbox"
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "bus": self.bus,
            "id": self.id,
            "chip": self.chip,
            "driver": self.driver,
            "component": self.component or None,
            "speed_mbps": self.speed_mbps,
            "confidence": self.confidence,
            "reason": self.reason,
            "support": self.support,
            "source": self.source or None,
        }
