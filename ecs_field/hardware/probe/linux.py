"""Linux: this machine's inventory from sysfs and procfs only (no subprocesses, no root needed).

Everything is read under ``root`` so tests hand in a fake tree; sysfs links are relative,
so they resolve inside that tree just as they do under "/".
  DMI      sys/class/dmi/id/{sys_vendor,product_name,board_name,...}
  CPU      proc/cpuinfo (model, flags, topology); hybrid parts expose sys/devices/cpu_core and
           sys/devices/cpu_atom with the CPU lists of each kind
  memory   sys/devices/system/memory (online blocks x block size: the installed size, which
           MemTotal understates by the kernel's reservations); proc/meminfo as fallback
  PCI/USB  sys/bus/pci/devices/*, sys/bus/usb/devices/* (+ interface dirs "1-2:1.0")
  network  sys/class/net/* with device links to their PCI or USB parent
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ecs_field.hardware.inventory import Cpu, Disk, Inventory, NetInterface, PciDevice, Platform, UsbDevice
from ecs_field.hardware.parsers.common import mac_address, pci_sort_key
from ecs_field.hardware.parsers.dmidecode import clean

_PCI_NAME = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
_USB_DEVICE_NAME = re.compile(r"^\d+-[\d.]+$")
_SKIPPED_DISKS = ("loop", "ram", "zram", "dm-", "md", "nbd", "sr", "fd")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:  # missing, permission, or EINVAL (speed of a link that is down)
        return ""


def _link_name(path: Path) -> str:
    try:
        return os.path.basename(os.readlink(path))
    except OSError:
        return ""


def _cpulist(text: str) -> set[int]:
    cpus: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first.isdigit():
            cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def probe(root: Path = Path("/")) -> Inventory:
    inv = Inventory(sources=["probe:linux"])
    inv.platform = _platform(root)
    inv.cpu = _cpu(root)
    inv.memory_bytes = _memory(root)
    inv.disks = _disks(root)
    inv.pci = _pci(root)
    inv.usb = _usb(root)
    inv.interfaces = _interfaces(root)
    if not any((inv.platform.vendor, inv.platform.product, inv.platform.board)):
        inv.notes.append("No DMI data in sysfs (a VM or a board without SMBIOS): the model is unknown.")
    return inv


def _platform(root: Path) -> Platform:
    dmi = root / "sys/class/dmi/id"

    def get(name: str) -> str:
        return clean(_read(dmi / name))

    return Platform(
        vendor=get("sys_vendor"),
        product=get("product_name"),
        board=get("board_name"),
        board_vendor=get("board_vendor"),
        family=get("product_family"),
        version=get("product_version"),
        bios_vendor=get("bios_vendor"),
        bios_version=get("bios_version"),
        bios_date=get("bios_date"),
    )


def _cpu(root: Path) -> Cpu:
    blocks = [b for b in _read(root / "proc/cpuinfo").split("\n\n") if b.strip()]
    processors = []
    for block in blocks:
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
        if "processor" in fields:
            processors.append(fields)
    if not processors:
        return Cpu()
    first = processors[0]
    cpu = Cpu(
        model=first.get("model name", ""),
        vendor=first.get("vendor_id", ""),
        threads=len(processors),
        flags=first.get("flags", "").split(),
        flags_complete=bool(first.get("flags", "").split()),  # the kernel's full list
    )
    core_of = {
        int(p["processor"]): (p.get("physical id", "0"), p.get("core id", p["processor"]))
        for p in processors
        if p["processor"].isdigit()
    }
    sockets = {p.get("physical id", "0") for p in processors}
    cpu.sockets = len(sockets)
    if all("core id" in p for p in processors):
        cpu.cores = len(set(core_of.values()))
    elif first.get("cpu cores", "").isdigit():
        cpu.cores = int(first["cpu cores"]) * len(sockets)
    p_cpus = _cpulist(_read(root / "sys/devices/cpu_core/cpus"))
    e_cpus = _cpulist(_read(root / "sys/devices/cpu_atom/cpus"))
    if p_cpus or e_cpus:
        cpu.p_cores = len({core_of[c] for c in p_cpus if c in core_of}) or len(p_cpus)
        cpu.e_cores = len({core_of[c] for c in e_cpus if c in core_of}) or len(e_cpus)
    elif cpu.cores and (root / "sys/devices/cpu").is_dir() and "hybrid_cpu" not in cpu.flags:
        # A kernel that knows hybrid parts (5.13+, which also prints "hybrid_cpu") shows one
        # uniform core PMU: every core is the same kind.
        cpu.p_cores, cpu.e_cores = cpu.cores, 0
    return cpu


def _memory(root: Path) -> int | None:
    memory = root / "sys/devices/system/memory"
    block = _read(memory / "block_size_bytes")
    if block:
        try:
            blocks = sum(1 for entry in os.scandir(memory) if entry.name.startswith("memory"))
        except OSError:
            blocks = 0
        if blocks:
            return blocks * int(block, 16)
    for line in _read(root / "proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * 1024
    return None


def _disks(root: Path) -> list[Disk]:
    disks = []
    block = root / "sys/block"
    try:
        names = sorted(os.listdir(block))
    except OSError:
        return []
    for name in names:
        if name.startswith(_SKIPPED_DISKS):
            continue
        entry = block / name
        target = os.path.realpath(entry)
        size = _read(entry / "size")
        rotational = _read(entry / "queue/rotational")
        if name.startswith("nvme"):
            bus = "nvme"
        elif name.startswith("mmcblk"):
            bus = "mmc"
        elif "/usb" in target:
            bus = "usb"
        elif "/virtio" in target:
            bus = "virtio"
        elif "/ata" in target:
            bus = "sata"
        else:
            bus = "scsi"
        disks.append(
            Disk(
                name=name,
                size_bytes=int(size) * 512 if size.isdigit() else None,
                model=_read(entry / "device/model"),
                bus=bus,
                removable=_read(entry / "removable") == "1",
                rotational=rotational == "1" if rotational in ("0", "1") else None,
            )
        )
    return disks


def _hex(path: Path, width: int = 4) -> str:
    value = _read(path).lower()
    return value[2:].rjust(width, "0") if value.startswith("0x") else ""


def _pci(root: Path) -> list[PciDevice]:
    base = root / "sys/bus/pci/devices"
    try:
        names = os.listdir(base)
    except OSError:
        return []
    devices = []
    for name in names:
        entry = base / name
        devices.append(
            PciDevice(
                address=name,
                vendor_id=_hex(entry / "vendor"),
                device_id=_hex(entry / "device"),
                class_code=_hex(entry / "class", 6)[:4],
                subsystem_vendor_id=_hex(entry / "subsystem_vendor"),
                subsystem_device_id=_hex(entry / "subsystem_device"),
                driver=_link_name(entry / "driver"),
                revision=_hex(entry / "revision", 2),
            )
        )
    devices.sort(key=lambda d: pci_sort_key(d.address))
    return devices


def _usb(root: Path) -> list[UsbDevice]:
    base = root / "sys/bus/usb/devices"
    try:
        names = os.listdir(base)
    except OSError:
        return []
    devices: dict[str, UsbDevice] = {}
    for name in sorted(names):
        if not _USB_DEVICE_NAME.match(name):
            continue  # root hubs ("usb1") and interfaces ("1-2:1.0")
        entry = base / name
        speed = _read(entry / "speed")
        busnum = _read(entry / "busnum")
        devices[name] = UsbDevice(
            bus=int(busnum) if busnum.isdigit() else int(name.split("-")[0]),
            path=name,
            vendor_id=_read(entry / "idVendor").lower(),
            product_id=_read(entry / "idProduct").lower(),
            manufacturer=_read(entry / "manufacturer"),
            product=_read(entry / "product"),
            speed_mbps=int(float(speed)) if speed.replace(".", "", 1).isdigit() else None,
        )
    for name in sorted(names):
        device_name, colon, _ = name.partition(":")
        if not colon or device_name not in devices:
            continue
        entry, device = base / name, devices[device_name]
        pair = f"{_read(entry / 'bInterfaceClass').lower()}/{_read(entry / 'bInterfaceSubClass').lower()}"
        if len(pair) == 5 and pair not in device.interface_classes:
            device.interface_classes.append(pair)
        driver = _link_name(entry / "driver")
        if driver and not device.driver and driver != "usbfs":
            device.driver = driver
    return list(devices.values())


def _parent(root: Path, device_link: Path) -> tuple[str, str]:
    """("pci", "0000:58:00.0") or ("usb", "2-3") for a netdev's device link; ("", "") if virtual."""
    try:
        path = Path(os.path.realpath(device_link))
    except OSError:
        return "", ""
    top = Path(os.path.realpath(root))
    while path not in (top, path.parent):
        name = path.name
        if _USB_DEVICE_NAME.match(name):
            return "usb", name
        if _PCI_NAME.match(name):
            return "pci", name
        path = path.parent
    return "", ""


def _interfaces(root: Path) -> list[NetInterface]:
    base = root / "sys/class/net"
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    interfaces = []
    for name in names:
        entry = base / name
        if not (entry / "device").exists():
            continue  # lo, bridges, veth, tunnels: no hardware behind them
        bus, location = _parent(root, entry / "device")
        speed = _read(entry / "speed")
        state = _read(entry / "operstate")
        interfaces.append(
            NetInterface(
                name=name,
                mac=mac_address(_read(entry / "address")),
                link=state if state in ("up", "down") else "unknown",
                speed_mbps=int(speed) if speed.isdigit() and int(speed) > 0 else None,
                driver=_link_name(entry / "device/driver"),
                bus=bus,
                location=location,
                wireless=(entry / "wireless").exists() or (entry / "phy80211").exists(),
            )
        )
    return interfaces
