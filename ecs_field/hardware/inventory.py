"""The inventory of one box (schema ``ecs-field/inventory@1``).

Probes and importers produce it, the compatibility verdict and the site linter consume it.
IDs are lower-case hex without ``0x`` ("8086", "15f3"). Unknown values are None or empty,
never guessed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

SCHEMA = "ecs-field/inventory@1"


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
    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cpu"]["hybrid"] = self.cpu.hybrid
        return {"schema": self.schema, **{k: v for k, v in data.items() if k != "schema"}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Inventory:
        """Build from a dict as written by ``to_dict``. Raises ValueError/TypeError on bad shape."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"schema is {data.get('schema')!r}, expected {SCHEMA!r}")
        return cls(
            platform=_build(Platform, data.get("platform") or {}),
            cpu=_build(Cpu, data.get("cpu") or {}),
            memory_bytes=data.get("memory_bytes"),
            disks=[_build(Disk, d) for d in data.get("disks") or []],
            pci=[_build(PciDevice, d) for d in data.get("pci") or []],
            usb=[_build(UsbDevice, d) for d in data.get("usb") or []],
            nics=[_build(Nic, d) for d in data.get("nics") or []],
            interfaces=[_build(NetInterface, d) for d in data.get("interfaces") or []],
            sources=list(data.get("sources") or []),
            notes=list(data.get("notes") or []),
        )


T = TypeVar("T")


def _build(kind: type[T], data: Any) -> T:
    if not isinstance(data, dict):
        raise TypeError(f"{kind.__name__}: expected an object, got {type(data).__name__}")
    known = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    return kind(**{k: v for k, v in data.items() if k in known})
