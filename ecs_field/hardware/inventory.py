"""The inventory of one box (schema ``ecs-field/inventory@1``).

Probes and importers produce it, the compatibility verdict and the site linter consume it.
IDs are lower-case hex without ``0x`` ("8086", "15f3"). Unknown values are None or empty,
never guessed.
"""

from __future__ import annotations

import functools
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, TypeVar, get_type_hints

SCHEMA = "ecs-field/inventory@1"
# Limits of an inventory JSON: far above any real machine, low enough that a hostile or broken
# document cannot make the app build millions of objects or print a novel-sized field.
MAX_ITEMS = 4096  # entries in one list (pci, usb, flags, ...)
MAX_STRING = 4096  # characters in one string field
MAX_DEPTH = 32  # nesting of objects/arrays; an inventory needs 4


class InventoryShapeError(ValueError):
    """A field of an inventory document has the wrong type or size. ``field`` is its JSON path."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"field {path}: {message}" if path else message)
        self.field = path
        self.message = message


@dataclass
class InputWarning:
    """Something in an input that was tolerated (skipped, re-decoded, joined) rather than refused.

    ``file`` is the file's name as given, ``line`` 1-based in the original file (None: whole file).
    kind: "noise" | "encoding" | "truncated" | "split" | "duplicate".
    """

    file: str
    line: int | None
    message: str
    kind: str = "noise"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message, "kind": self.kind}


@dataclass
class Platform:
    vendor: str = ""  # DMI sys_vendor, e.g. "Intel(R) Client Systems"
    product: str = ""  # DMI product_name, e.g. "NUC11TNHi5" (may be empty in some dumps)
    board: str = ""  # DMI board_name, e.g. "NUC11TNBi5"
    board_vendor: str = ""
    family: str = ""  # DMI product_family
    version: str = ""  # DMI product_version (Lenovo puts the model name here)
    bios_vendor: str = ""
    bios_version: str = ""
    bios_date: str = ""
    sku: str = ""  # DMI System "SKU Number" ("LENOVO_MT_11MY_BU_Think_FM_ThinkCentre M70q Gen 2")
    chassis: str = ""  # DMI Chassis "Type" ("Mini PC", "Desktop", "IoT Gateway")


@dataclass
class Cpu:
    model: str = ""
    vendor: str = ""  # "GenuineIntel", "AuthenticAMD"
    cores: int | None = None  # physical cores in total
    threads: int | None = None  # logical CPUs
    sockets: int | None = None
    flags: list[str] = field(default_factory=list)  # /proc/cpuinfo flag names ("vmx", "nx", "xsave")
    p_cores: int | None = None  # hybrid parts: performance cores
    e_cores: int | None = None  # hybrid parts: efficiency cores
    # True only when ``flags`` is the CPU's full flag list (/proc/cpuinfo, the Linux probe). dmidecode
    # lists a few legacy flags, so a flag missing there says nothing about the CPU.
    flags_complete: bool = False

    @property
    def hybrid(self) -> bool | None:
        """True when the CPU mixes P and E cores; None when the source cannot tell."""
        if self.p_cores is not None and self.e_cores is not None:
            return self.p_cores > 0 and self.e_cores > 0
        # Linux names the CPUID bit "hybrid_cpu" (since 5.13); "hybrid" is kept for older documents.
        if "hybrid" in self.flags or "hybrid_cpu" in self.flags:
            return True
        return None


@dataclass
class Disk:
    name: str  # "nvme0n1", "sda"
    size_bytes: int | None = None
    model: str = ""
    bus: str = ""  # "nvme", "sata", "usb", "mmc", ...
    removable: bool = False
    rotational: bool | None = None


@dataclass
class PciDevice:
    address: str  # "0000:00:1f.6" (domain always present)
    vendor_id: str  # "8086"
    device_id: str  # "15f3"
    class_code: str = ""  # "0200" (class + subclass), "020000" allowed
    subsystem_vendor_id: str = ""
    subsystem_device_id: str = ""
    vendor_name: str = ""
    device_name: str = ""
    driver: str = ""  # driver bound on the OS that produced the data (Linux, ESXi)
    revision: str = ""
    interface: str = ""  # OS name bound to it, when the source says ("vmnic0" from esxcli)

    @property
    def id(self) -> str:
        return f"{self.vendor_id}:{self.device_id}"

    @property
    def is_network(self) -> bool:
        return self.class_code.startswith("02")

    @property
    def is_ethernet(self) -> bool:
        return self.class_code.startswith("0200")


@dataclass
class UsbDevice:
    bus: int | None  # USB bus number
    path: str  # topology "1-2.3" when known, else "bus:devnum" like "001:004"
    vendor_id: str
    product_id: str
    manufacturer: str = ""
    product: str = ""
    interface_classes: list[str] = field(default_factory=list)  # "02/06", "ff/ff" (class/subclass hex)
    driver: str = ""  # interface driver on the producing OS ("r8152", "cdc_ncm", ...)
    speed_mbps: int | None = None

    @property
    def id(self) -> str:
        return f"{self.vendor_id}:{self.product_id}"


@dataclass
class NetInterface:
    """A network interface as the producing OS saw it (Linux netdev, ESXi vmnic, Windows adapter).

    ``bus``/``location`` tie it to its device in ``Inventory.pci``/``usb`` (PCI address or USB
    path); the IDs are filled only when the source names them beside the interface.
    """

    name: str  # "enp86s0", "vmnic0", "vusb0", "Ethernet 2", "en7"
    mac: str = ""  # lower-case "aa:bb:cc:dd:ee:ff"
    link: str = "unknown"  # "up" | "down" | "unknown"
    speed_mbps: int | None = None
    driver: str = ""
    bus: str = ""  # "pci" | "usb" | "" when unknown
    location: str = ""  # PCI address "0000:58:00.0" or USB path "2-3"
    description: str = ""
    vendor_id: str = ""
    device_id: str = ""
    wireless: bool = False  # Wi-Fi: never an ESXi uplink, so never a Nic


@dataclass
class Nic:
    """A network port as ESXi will see it. ``esxi_name`` is vmnicN (PCI) or vusbN (USB)."""

    bus: str  # "pci" | "usb"
    vendor_id: str
    device_id: str  # PCI device id or USB product id
    location: str  # PCI address or USB path: the key ESXi orders by
    name: str = ""  # OS interface name where this came from ("enp86s0", "vmnic0", "Ethernet 2")
    esxi_name: str = ""
    chip: str = ""  # human name if the source knew it
    mac: str = ""
    link: str = "unknown"  # "up" | "down" | "unknown"
    speed_mbps: int | None = None
    driver: str = ""
    subsystem_vendor_id: str = ""
    subsystem_device_id: str = ""

    @property
    def id(self) -> str:
        return f"{self.vendor_id}:{self.device_id}"


@dataclass
class Inventory:
    platform: Platform = field(default_factory=Platform)
    cpu: Cpu = field(default_factory=Cpu)
    memory_bytes: int | None = None
    disks: list[Disk] = field(default_factory=list)
    pci: list[PciDevice] = field(default_factory=list)
    usb: list[UsbDevice] = field(default_factory=list)
    nics: list[Nic] = field(default_factory=list)
    interfaces: list[NetInterface] = field(default_factory=list)  # OS-level view, joined into nics
    sources: list[str] = field(default_factory=list)  # "probe:linux", "lspci -nn:report.txt", ...
    notes: list[str] = field(default_factory=list)  # what the sources could not tell
    input_warnings: list[InputWarning] = field(default_factory=list)  # what the importer tolerated
    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cpu"]["hybrid"] = self.cpu.hybrid
        return {"schema": self.schema, **{k: v for k, v in data.items() if k != "schema"}}

    @classmethod
    def from_dict(cls, data: Any) -> Inventory:
        """Build from a dict as written by ``to_dict``, checking every field's type and size.

        Raises InventoryShapeError (a ValueError) naming the field's JSON path ("cpu.cores",
        "pci[3].vendor_id"). Unknown keys are ignored, so newer documents still load.
        """
        if not isinstance(data, dict):
            raise InventoryShapeError("", f"expected an object, got {_kind_of(data)}")
        _check_depth(data)
        if data.get("schema") != SCHEMA:
            raise ValueError(f"schema is {data.get('schema')!r}, expected {SCHEMA!r}")
        sources = _value(data, "sources", list[str], "sources") or []
        cpu_data = _section(data, "cpu")
        cpu = _build(Cpu, cpu_data, "cpu")
        if "flags_complete" not in cpu_data:
            # Documents from before the field: only the Linux probe wrote a full flag list.
            cpu.flags_complete = bool(cpu.flags) and "probe:linux" in sources
        memory = _value(data, "memory_bytes", int | None, "memory_bytes")
        return cls(
            platform=_build(Platform, _section(data, "platform"), "platform"),
            cpu=cpu,
            memory_bytes=memory,
            disks=_build_list(Disk, data, "disks"),
            pci=_build_list(PciDevice, data, "pci"),
            usb=_build_list(UsbDevice, data, "usb"),
            nics=_build_list(Nic, data, "nics"),
            interfaces=_build_list(NetInterface, data, "interfaces"),
            sources=sources,
            notes=_value(data, "notes", list[str], "notes") or [],
            input_warnings=_build_list(InputWarning, data, "input_warnings"),
        )


T = TypeVar("T")


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{shown}"'
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _check_depth(document: Any) -> None:
    # Iterative, so a document nested 100,000 deep cannot exhaust the Python stack here.
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InventoryShapeError("", f"nested deeper than {MAX_DEPTH} levels: not an inventory")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InventoryShapeError(key, f"expected an object, got {_kind_of(value)}")
    return value


def _check(value: Any, hint: Any, path: str) -> Any:
    """``value`` if it fits the type ``hint`` (str, int, bool, X | None, list[X]); else raise."""
    args: tuple[Any, ...] = getattr(hint, "__args__", ())
    if type(None) in args:  # "X | None"
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _check(value, inner[0], path)
    if hint is str:
        if not isinstance(value, str):
            raise InventoryShapeError(path, f"expected a string, got {_kind_of(value)}")
        if len(value) > MAX_STRING:
            raise InventoryShapeError(path, f"longer than {MAX_STRING} characters")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise InventoryShapeError(path, f"expected true or false, got {_kind_of(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InventoryShapeError(path, f"expected an integer, got {_kind_of(value)}")
        return value
    if getattr(hint, "__origin__", None) is list:
        if not isinstance(value, list):
            raise InventoryShapeError(path, f"expected a list, got {_kind_of(value)}")
        if len(value) > MAX_ITEMS:
            raise InventoryShapeError(path, f"{len(value)} entries, more than {MAX_ITEMS}")
        return [_check(item, args[0], f"{path}[{i}]") for i, item in enumerate(value)]
    raise InventoryShapeError(path, f"cannot check type {hint!r}")  # a field type this module lacks


def _value(data: dict[str, Any], key: str, hint: Any, path: str) -> Any:
    return _check(data[key], hint, path) if key in data else None


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    return get_type_hints(kind)


def _build(kind: type[T], data: Any, path: str) -> T:
    if not isinstance(data, dict):
        raise InventoryShapeError(path, f"expected an object, got {_kind_of(data)}")
    hints = _hints(kind)  # type: ignore[arg-type]  # dataclass types are hashable
    values: dict[str, Any] = {}
    for f in fields(kind):  # type: ignore[arg-type]  # T is always a dataclass here
        if f.name in data:
            values[f.name] = _check(data[f.name], hints[f.name], f"{path}.{f.name}")
        elif f.default is MISSING and f.default_factory is MISSING:
            raise InventoryShapeError(f"{path}.{f.name}", "missing")
    return kind(**values)


def _build_list(kind: type[T], data: dict[str, Any], key: str) -> list[T]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InventoryShapeError(key, f"expected a list, got {_kind_of(value)}")
    if len(value) > MAX_ITEMS:
        raise InventoryShapeError(key, f"{len(value)} entries, more than {MAX_ITEMS}")
    return [_build(kind, item, f"{key}[{i}]") for i, item in enumerate(value)]
