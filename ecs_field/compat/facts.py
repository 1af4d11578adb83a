"""Which of the inputs can tell a given fact, so a check says where its fact came from and a
fact no input carries is reported as "not checked" instead of judged.

Inputs are named by ``Inventory.sources`` labels, "<kind>:<file name>" ("dmidecode:box.txt",
"lspci-nn:pci.txt", "probe:linux"). The rule is by exclusion: a kind is assumed to carry a
fact unless it is known not to (dmidecode lists no NICs; lspci/lsusb/esxcli carry no CPU or
memory), so a new importer kind is trusted rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

from ecs_field.hardware.inventory import InputWarning, Inventory

# fact -> prefixes of source kinds that never carry it
_NIC_ONLY = ("lspci", "lsusb", "esxcli", "esxcfg", "esxi-lspci", "windows-wmic", "windows-powershell")
_BLIND: dict[str, tuple[str, ...]] = {
    "platform": (*_NIC_ONLY, "cpuinfo", "proc-cpuinfo", "meminfo"),
    "cpu": (*_NIC_ONLY, "meminfo"),
    "memory": (*_NIC_ONLY, "cpuinfo", "proc-cpuinfo"),
    "disks": (*_NIC_ONLY, "dmidecode", "cpuinfo", "proc-cpuinfo", "meminfo"),
    "pci": ("dmidecode", "lsusb", "cpuinfo", "proc-cpuinfo", "meminfo"),
    "usb": ("dmidecode", "lspci", "esxcli-pci", "esxi-lspci", "cpuinfo", "proc-cpuinfo", "meminfo"),
}
# An inventory JSON re-saved by the app keeps the labels of the dumps it came from, so the
# JSON's own label says nothing by itself; it counts only when it is the sole label.
_CONTAINER = "inventory-json"


def kind_of(label: str) -> str:
    kind, sep, _ = label.partition(":")
    return kind.strip().lower() if sep else label.strip().lower()


def describe(label: str) -> str:
    """ "dmidecode:box.txt" -> "dmidecode: box.txt"; "probe:linux" -> "linux probe"."""
    kind, sep, rest = label.partition(":")
    if not sep:
        return label
    if kind == "probe":
        return f"{rest} probe"
    return f"{kind}: {rest}"


class InputFacts:
    """The inventory's inputs, asked per fact."""

    def __init__(self, inventory: Inventory) -> None:
        self.labels = [s for s in inventory.sources if isinstance(s, str)]
        own = [s for s in self.labels if kind_of(s) != _CONTAINER]
        self._judged = own or self.labels
        self._kinds = [(s, kind_of(s)) for s in self._judged]
        self._carrying: dict[str, list[str]] = {}

    def carrying(self, fact: str) -> list[str]:
        """Labels of the inputs that can carry ``fact`` ("platform", "cpu", "memory", ...)."""
        found = self._carrying.get(fact)
        if found is None:
            blind = _BLIND.get(fact, ())
            found = self._carrying[fact] = [s for s, kind in self._kinds if not kind.startswith(blind)]
        return list(found)

    def where(self, fact: str) -> str:
        """The inputs that carry ``fact``, or else all inputs, for a sentence: "dmidecode: box.txt"."""
        return join_inputs(self.carrying(fact) or self._judged) or "none"

    def seen(self, value: str, fact: str) -> str:
        """ "<value> (<input>)" for the inputs that carry ``fact``."""
        inputs = self.carrying(fact)
        where = ", ".join(describe(s) for s in inputs[:3])
        if value and where:
            return f"{value} ({where})"
        return value or (f"nothing in {where}" if where else "")


def join_inputs(labels: Iterable[str]) -> str:
    return ", ".join(describe(s) for s in labels)


def truncated_warnings(
    inventory: Inventory, facts: InputFacts
) -> tuple[list[InputWarning], list[InputWarning]]:
    """Cut-short inputs: (those that list NICs, the others). A file no source label names counts
    as one that lists NICs: better a needless warning than a fail on missing facts."""
    nic_files = {label.partition(":")[2] for label in [*facts.carrying("pci"), *facts.carrying("usb")]}
    named = {label.partition(":")[2] for label in facts.labels}
    nic_cut, other_cut = [], []
    for warning in inventory.input_warnings:
        if warning.kind != "truncated":
            continue
        if warning.file in nic_files or warning.file not in named:
            nic_cut.append(warning)
        else:
            other_cut.append(warning)
    return nic_cut, other_cut
