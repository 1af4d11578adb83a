"""The Linux probe against a fake sysfs/procfs tree built like the real one (relative symlinks),
and once against this machine."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from ecs_field.hardware.nics import derive_nics
from ecs_field.hardware.probe import linux, null_probe, probe_local


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def link(path: Path, target: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def cpuinfo() -> str:
    blocks = []
    # i7-1260P: cpus 0-7 are 4 P-cores with two threads each, cpus 8-15 are 8 E-cores.
    core_ids = [0, 0, 4, 4, 8, 8, 12, 12, *range(16, 24)]
    for cpu, core in enumerate(core_ids):
        blocks.append(
            f"processor\t: {cpu}\nvendor_id\t: GenuineIntel\n"
            "model name\t: 12th Gen Intel(R) Core(TM) i7-1260P\n"
            f"physical id\t: 0\nsiblings\t: 16\ncore id\t\t: {core}\ncpu cores\t: 12\n"
            "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep nx lm vmx ept xsave hybrid_cpu\n"
        )
    return "\n".join(blocks)


def pci_device(
    root: Path, parent: str, address: str, vendor: str, device: str, cls: str, driver: str
) -> Path:
    where = root / "sys/devices" / parent / address
    for name, value in (
        ("vendor", vendor),
        ("device", device),
        ("class", cls),
        ("subsystem_vendor", "0x8086"),
        ("subsystem_device", "0x3004"),
        ("revision", "0x03"),
    ):
        write(where / name, value)
    (root / "sys/bus/pci/drivers" / driver).mkdir(parents=True, exist_ok=True)
    depth = len(Path(parent, address).parts) + 1
    link(where / "driver", "../" * depth + f"bus/pci/drivers/{driver}")
    link(root / "sys/bus/pci/devices" / address, f"../../../devices/{parent}/{address}")
    return where


def netdev(root: Path, device_dir: Path, name: str, mac: str, state: str, speed: str | None) -> Path:
    where = device_dir / "net" / name
    write(where / "address", mac)
    write(where / "operstate", state)
    if speed is None:
        (where / "speed").mkdir(parents=True)  # reading fails, like EINVAL on a link that is down
    else:
        write(where / "speed", speed)
    link(where / "device", f"../../../{device_dir.name}")
    relative = where.relative_to(root / "sys")
    link(root / "sys/class/net" / name, f"../../{relative}")
    return where


def build_tree(root: Path) -> None:
    for name, value in (
        ("sys_vendor", "Intel(R) Client Systems"),
        ("product_name", "NUC12WSHi7"),
        ("board_name", "NUC12WSBi7"),
        ("board_vendor", "Intel Corporation"),
        ("product_family", "WS"),
        ("product_version", "M46425-302"),
        ("bios_vendor", "Intel Corp."),
        ("bios_version", "WSADL357.0088.2023.0505.1623"),
        ("bios_date", "05/05/2023"),
    ):
        write(root / "sys/class/dmi/id" / name, value)
    write(root / "proc/cpuinfo", cpuinfo())
    write(root / "sys/devices/cpu_core/cpus", "0-7")
    write(root / "sys/devices/cpu_atom/cpus", "8-15")
    write(root / "proc/meminfo", "MemTotal:       65536000 kB\nMemFree:        60000000 kB")
    write(root / "sys/devices/system/memory/block_size_bytes", "8000000")
    for block in range(512):  # 512 x 128 MiB = 64 GiB
        (root / f"sys/devices/system/memory/memory{block}").mkdir()
    nic = pci_device(root, "pci0000:00/0000:00:1c.0", "0000:56:00.0", "0x8086", "0x15f3", "0x020000", "igc")
    netdev(root, nic, "enp86s0", "48:21:0b:3c:4d:5e", "up", "2500")
    wifi = pci_device(root, "pci0000:00", "0000:00:14.3", "0x8086", "0x51f0", "0x028000", "iwlwifi")
    (netdev(root, wifi, "wlp0s20f3", "f4:26:79:aa:bb:cc", "down", None) / "wireless").mkdir()
    xhci = pci_device(root, "pci0000:00", "0000:00:14.0", "0x8086", "0x51ed", "0x0c0330", "xhci_hcd")
    usb2 = xhci / "usb2"
    write(usb2 / "idVendor", "1d6b")
    link(root / "sys/bus/usb/devices/usb2", "../../../devices/pci0000:00/0000:00:14.0/usb2")
    adapter = usb2 / "2-3"
    for name, value in (
        ("idVendor", "0bda"),
        ("idProduct", "8156"),
        ("manufacturer", "Realtek"),
        ("product", "USB 10/100/1G/2.5G LAN"),
        ("busnum", "2"),
        ("devnum", "3"),
        ("speed", "5000"),
    ):
        write(adapter / name, value)
    interface = adapter / "2-3:1.0"
    write(interface / "bInterfaceClass", "ff")
    write(interface / "bInterfaceSubClass", "ff")
    (root / "sys/bus/usb/drivers/r8152").mkdir(parents=True)
    link(interface / "driver", "../../../../../../bus/usb/drivers/r8152")
    for name in ("2-3", "2-3:1.0"):
        link(
            root / "sys/bus/usb/devices" / name,
            f"../../../devices/pci0000:00/0000:00:14.0/usb2/{'2-3/' if ':' in name else ''}{name}",
        )
    netdev(root, interface, "enx00e04c680076", "00:e0:4c:68:00:76", "down", None)
    loopback = root / "sys/devices/virtual/net/lo"
    write(loopback / "address", "00:00:00:00:00:00")
    link(root / "sys/class/net/lo", "../../devices/virtual/net/lo")
    nvme = root / "sys/devices/pci0000:00/0000:00:06.0/0000:01:00.0/nvme/nvme0/nvme0n1"
    write(nvme / "size", str(500107862016 // 512))
    write(nvme / "removable", "0")
    write(nvme / "queue/rotational", "0")
    write(nvme / "device/model", "WD PC SN740 SDDPNQD-512G")
    link(root / "sys/block/nvme0n1", "../devices/pci0000:00/0000:00:06.0/0000:01:00.0/nvme/nvme0/nvme0n1")
    stick = root / "sys/devices/pci0000:00/0000:00:14.0/usb2/2-4/2-4:1.0/host0/target0:0:0/0:0:0:0/block/sda"
    write(stick / "size", "120127488")
    write(stick / "removable", "1")
    link(
        root / "sys/block/sda",
        "../devices/pci0000:00/0000:00:14.0/usb2/2-4/2-4:1.0/host0/target0:0:0/0:0:0:0/block/sda",
    )
    write(root / "sys/devices/virtual/block/loop0/size", "0")
    link(root / "sys/block/loop0", "../devices/virtual/block/loop0")


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    build_tree(tmp_path)
    return tmp_path


def test_platform_cpu_memory(fake_root: Path) -> None:
    inv = linux.probe(fake_root)
    assert (inv.platform.vendor, inv.platform.product, inv.platform.board) == (
        "Intel(R) Client Systems",
        "NUC12WSHi7",
        "NUC12WSBi7",
    )
    assert inv.platform.family == "WS" and inv.platform.version == "M46425-302"
    cpu = inv.cpu
    assert (cpu.threads, cpu.cores, cpu.p_cores, cpu.e_cores, cpu.hybrid) == (16, 12, 4, 8, True)
    assert {"vmx", "nx", "xsave"} <= set(cpu.flags)
    assert inv.memory_bytes == 64 << 30  # memory blocks, not MemTotal
    assert inv.notes == []


def test_devices_and_interfaces(fake_root: Path) -> None:
    inv = linux.probe(fake_root)
    nic = next(d for d in inv.pci if d.address == "0000:56:00.0")
    assert (nic.id, nic.class_code, nic.subsystem_device_id, nic.driver, nic.revision) == (
        "8086:15f3",
        "0200",
        "3004",
        "igc",
        "03",
    )
    assert [d.address for d in inv.pci] == ["0000:00:14.0", "0000:00:14.3", "0000:56:00.0"]
    (adapter,) = inv.usb  # the root hub is left out
    assert (adapter.path, adapter.bus, adapter.id, adapter.driver, adapter.speed_mbps) == (
        "2-3",
        2,
        "0bda:8156",
        "r8152",
        5000,
    )
    assert adapter.interface_classes == ["ff/ff"]
    by_name = {i.name: i for i in inv.interfaces}
    assert set(by_name) == {"enp86s0", "wlp0s20f3", "enx00e04c680076"}  # lo has no device
    assert (by_name["enp86s0"].bus, by_name["enp86s0"].location, by_name["enp86s0"].speed_mbps) == (
        "pci",
        "0000:56:00.0",
        2500,
    )
    usb_if = by_name["enx00e04c680076"]
    assert (usb_if.bus, usb_if.location, usb_if.link, usb_if.speed_mbps, usb_if.driver) == (
        "usb",
        "2-3",
        "down",
        None,
        "r8152",
    )
    assert by_name["wlp0s20f3"].wireless
    disks = {d.name: d for d in inv.disks}
    assert set(disks) == {"nvme0n1", "sda"}
    assert (disks["nvme0n1"].bus, disks["nvme0n1"].size_bytes, disks["nvme0n1"].rotational) == (
        "nvme",
        500107862016,
        False,
    )
    assert (disks["sda"].bus, disks["sda"].removable) == ("usb", True)


def test_nics_from_the_probe(fake_root: Path) -> None:
    inv = linux.probe(fake_root)
    derive_nics(inv)
    assert [(n.esxi_name, n.id, n.name, n.link) for n in inv.nics] == [
        ("vmnic0", "8086:15f3", "enp86s0", "up"),
        ("vusb0", "0bda:8156", "enx00e04c680076", "down"),  # vendor driver bound: found by its netdev
    ]
    json.dumps(inv.to_dict())


def test_empty_root_gives_an_empty_inventory_with_a_note(tmp_path: Path) -> None:
    inv = linux.probe(tmp_path)
    assert inv.pci == [] and inv.usb == [] and inv.cpu.threads is None and inv.memory_bytes is None
    assert any("DMI" in note for note in inv.notes)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the real probe reads Linux sysfs")
def test_real_machine_is_sane() -> None:
    inv = probe_local()
    assert inv.sources == ["probe:linux"]
    assert inv.cpu.threads == os.cpu_count()
    assert inv.cpu.cores and inv.cpu.cores <= inv.cpu.threads
    assert inv.memory_bytes and inv.memory_bytes > 256 << 20
    if Path("/sys/bus/pci/devices").is_dir():
        assert len(inv.pci) == len(os.listdir("/sys/bus/pci/devices"))
        assert all(len(d.vendor_id) == 4 and len(d.device_id) == 4 for d in inv.pci)
    names = [n.esxi_name for n in inv.nics if n.bus == "pci"]
    assert names == [f"vmnic{i}" for i in range(len(names))]
    json.dumps(inv.to_dict())


def test_null_probe_says_why() -> None:
    inv = null_probe()
    assert inv.notes and inv.sources[0].startswith("probe:none")
