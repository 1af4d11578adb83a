"""Inventories of real-world-shaped boxes, written by the team for the verdict tests.

DMI strings and IDs follow public dumps (linuxhw/DMI, pci.ids); the boxes themselves are
composed for the tests. ``write_fixtures()`` stores them as inventory JSON under fixtures/
(used by the CLI tests and tests/bench/check.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from ecs_field.hardware.inventory import Cpu, Disk, Inventory, Nic, PciDevice, Platform, UsbDevice

FIXTURES = Path(__file__).parent / "fixtures"
GIB = 1024**3
FLAGS = ["fpu", "vme", "pae", "nx", "lm", "vmx", "xsave", "avx", "avx2"]


def pci_nic(
    address: str, vendor: str, device: str, esxi_name: str, name: str = "", **extra: str
) -> tuple[PciDevice, Nic]:
    dev = PciDevice(address, vendor, device, "0200", driver=extra.get("driver", ""))
    nic = Nic(
        "pci",
        vendor,
        device,
        address,
        name=name,
        esxi_name=esxi_name,
        link=extra.get("link", "unknown"),
        mac=extra.get("mac", ""),
    )
    return dev, nic


def usb_nic(
    path: str, vendor: str, product: str, esxi_name: str, classes: list[str] | None = None, mac: str = ""
) -> tuple[UsbDevice, Nic]:
    bus = int(path.split("-", maxsplit=1)[0])
    dev = UsbDevice(bus, path, vendor, product, interface_classes=classes or ["ff/ff"])
    nic = Nic("usb", vendor, product, path, esxi_name=esxi_name, mac=mac, link="up")
    return dev, nic


def box(
    platform: Platform,
    cpu: Cpu,
    memory_gib: float | None,
    disks: list[Disk],
    pci: list[tuple[PciDevice, Nic]],
    usb: list[tuple[UsbDevice, Nic]],
) -> Inventory:
    """A box as the Linux probe sees it: the full CPU flag list, every device listed."""
    cpu.flags_complete = bool(cpu.flags)
    return Inventory(
        platform=platform,
        cpu=cpu,
        memory_bytes=int(memory_gib * GIB) if memory_gib is not None else None,
        disks=disks,
        pci=[d for d, _ in pci],
        usb=[d for d, _ in usb],
        nics=[n for _, n in pci] + [n for _, n in usb],
        sources=["probe:linux"],
    )


def nuc11_with_rtl8156() -> Inventory:
    return box(
        Platform("Intel(R) Client Systems", "", "NUC11TNBi5", family="TN"),
        Cpu("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", "GenuineIntel", 4, 8, 1, FLAGS),
        15.4,
        [Disk("nvme0n1", 512_110_190_592, "Samsung SSD 980 PRO 512GB", "nvme")],
        [pci_nic("0000:58:00.0", "8086", "15f2", "vmnic0", "enp88s0")],
        [usb_nic("2-3", "0bda", "8156", "vusb0", ["ff/ff", "02/06"], mac="00:e0:4c:68:01:02")],
    )


def nuc12_hybrid() -> Inventory:
    return box(
        Platform("Intel(R) Client Systems", "NUC12WSHi7", "NUC12WSBi7", family="WS"),
        Cpu("12th Gen Intel(R) Core(TM) i7-1260P", "GenuineIntel", 12, 16, 1, FLAGS, p_cores=4, e_cores=8),
        32,
        [Disk("nvme0n1", 1_000_204_886_016, "WD Blue SN570 1TB", "nvme")],
        [pci_nic("0000:56:00.0", "8086", "15f3", "vmnic0", "enp86s0")],
        [],
    )


def nuc13_raptor_lake() -> Inventory:
    return box(
        Platform("ASUSTeK COMPUTER INC.", "NUC13ANH-B", "NUC13ANB-M"),
        Cpu("13th Gen Intel(R) Core(TM) i7-1360P", "GenuineIntel", 12, 16, 1, FLAGS, p_cores=4, e_cores=8),
        64,
        [Disk("nvme0n1", 2_000_398_934_016, "", "nvme")],
        [pci_nic("0000:56:00.0", "8086", "125c", "vmnic0")],
        [],
    )


def realtek_box() -> Inventory:
    return box(
        Platform("Default string", "Default string", "Default string"),
        Cpu("Intel(R) Celeron(R) N5105 @ 2.00GHz", "GenuineIntel", 4, 4, 1, FLAGS),
        16,
        [Disk("sda", 256_060_514_304, "KINGSTON SA400", "sata")],
        [
            pci_nic("0000:01:00.0", "10ec", "8125", "vmnic0"),
            pci_nic("0000:02:00.0", "10ec", "8125", "vmnic1"),
        ],
        [],
    )


def supermicro_supported() -> Inventory:
    return box(
        Platform("Supermicro", "SYS-E300-9D-8CN8TP", "X11SDV-8C-TP8F"),
        Cpu("Intel(R) Xeon(R) D-2146NT CPU @ 2.30GHz", "GenuineIntel", 8, 16, 1, FLAGS),
        128,
        [Disk("nvme0n1", 480_103_981_056, "Micron 7300", "nvme")],
        [
            pci_nic("0000:b5:00.0", "8086", "15c8", "vmnic0"),
            pci_nic("0000:b5:00.1", "8086", "15c8", "vmnic1"),
            pci_nic("0000:b7:00.0", "8086", "1533", "vmnic2"),
        ],
        [],
    )


def asrock_rack_ryzen() -> Inventory:
    """A server board no platform family (and so no platform quirk) covers: every check passes."""
    return box(
        Platform("ASRockRack", "X570D4U", "X570D4U"),
        Cpu(
            "AMD Ryzen 9 5900X 12-Core Processor",
            "AuthenticAMD",
            12,
            24,
            1,
            ["fpu", "nx", "lm", "svm", "xsave"],
        ),
        64,
        [Disk("nvme0n1", 1_000_204_886_016, "Samsung SSD 970 EVO Plus 1TB", "nvme")],
        [
            pci_nic("0000:25:00.0", "8086", "1533", "vmnic0"),
            pci_nic("0000:26:00.0", "8086", "1533", "vmnic1"),
        ],
        [],
    )


def unknown_nic_only() -> Inventory:
    return box(
        Platform("Micro-Star International Co., Ltd.", "MS-B0A8", "MS-B0A81"),
        Cpu(
            "AMD Ryzen 7 5800U with Radeon Graphics",
            "AuthenticAMD",
            8,
            16,
            1,
            ["fpu", "nx", "lm", "svm", "xsave", "avx2"],
        ),
        32,
        [Disk("nvme0n1", 512_110_190_592, "", "nvme")],
        [pci_nic("0000:02:00.0", "1969", "e0b1", "vmnic0")],  # Killer E2500: no ESXi driver
        [],
    )


def westmere_no_xsave() -> Inventory:
    """A 2010 Mac Pro: Westmere Xeons predate XSAVE (legacy on 8.0/8.0U1, unsupported from 8.0U2)."""
    return box(
        Platform("Apple Inc.", "MacPro5,1", "Mac-F221BEC8"),
        Cpu(
            "Intel(R) Xeon(R) CPU X5670 @ 2.93GHz",
            "GenuineIntel",
            6,
            12,
            1,
            ["fpu", "vme", "pae", "nx", "lm", "vmx", "sse4_2", "aes", "popcnt"],
        ),
        32,
        [Disk("sda", 500_107_862_016, "", "sata")],
        [pci_nic("0000:07:00.0", "8086", "10d3", "vmnic0")],
        [],
    )


def lenovo_m70q() -> Inventory:
    return box(
        Platform("LENOVO", "11MY003MRU", "3171", version="ThinkCentre M70q Gen 2"),
        Cpu("11th Gen Intel(R) Core(TM) i5-11400T @ 1.30GHz", "GenuineIntel", 6, 12, 1, FLAGS),
        16,
        [Disk("nvme0n1", 256_060_514_304, "", "nvme")],
        [pci_nic("0000:00:1f.6", "8086", "15fb", "vmnic0")],
        [],
    )


def rtl8157_only() -> Inventory:
    return box(
        Platform("Dell Inc.", "OptiPlex Micro 7010", "0NKR6K"),
        Cpu("13th Gen Intel(R) Core(TM) i5-13500T", "GenuineIntel", 14, 20, 1, FLAGS, p_cores=6, e_cores=8),
        32,
        [Disk("nvme0n1", 512_110_190_592, "", "nvme")],
        [],
        [usb_nic("4-1", "0bda", "8157", "vusb0", ["ff/ff"])],
    )


def small_box() -> Inventory:
    return box(
        Platform("HP", "HP EliteDesk 800 G4 DM 65W", "83E0"),
        Cpu("Intel(R) Pentium(R) Gold G5400T CPU @ 3.10GHz", "GenuineIntel", 2, 4, 1, FLAGS),
        4,
        [Disk("sda", 16_013_942_784, "", "sata")],
        [pci_nic("0000:00:1f.6", "8086", "15bb", "vmnic0")],
        [],
    )


def lspci_only() -> Inventory:
    """What an import of a bare `lspci -nn` gives: devices, no CPU/memory/disks."""
    dev, nic = pci_nic("0000:57:00.0", "8086", "15f3", "vmnic0")
    return Inventory(pci=[dev], nics=[nic], sources=["lspci-nn:pci.txt"])


ALL = {
    "nuc11-rtl8156": nuc11_with_rtl8156,
    "nuc12-hybrid": nuc12_hybrid,
    "nuc13-raptor-lake": nuc13_raptor_lake,
    "realtek-box": realtek_box,
    "supermicro-e300": supermicro_supported,
    "asrock-rack-ryzen": asrock_rack_ryzen,
    "unknown-nic-only": unknown_nic_only,
    "westmere-no-xsave": westmere_no_xsave,
    "lenovo-m70q": lenovo_m70q,
    "rtl8157-only": rtl8157_only,
    "small-box": small_box,
    "lspci-only": lspci_only,
}


def write_fixtures() -> None:
    FIXTURES.mkdir(exist_ok=True)
    for name, make in ALL.items():
        (FIXTURES / f"{name}.inventory.json").write_text(json.dumps(make().to_dict(), indent=2) + "\n")


if __name__ == "__main__":
    write_fixtures()
