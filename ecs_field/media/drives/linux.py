"""Linux drive enumeration: lsblk for the tree, udev properties for bus and serial, sysfs for the rest.

Why lsblk and not /sys alone: lsblk already joins the device tree (partitions, LVM/crypt/RAID
children) with mount points and sizes, and its JSON output is stable across util-linux
releases (Raspberry Pi Imager enumerates the same way). udev adds what lsblk may miss when
its own udev look-up fails (ID_BUS, ID_SERIAL_SHORT, SD-reader flags). The parser
(``parse_lsblk``) is pure: tests feed it recorded outputs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ecs_field.errors import DeviceError
from ecs_field.media.drives.model import (
    KIND_INTERNAL,
    KIND_LOOP,
    KIND_SD,
    KIND_UNKNOWN,
    KIND_USB,
    KIND_VIRTUAL,
    Drive,
    Partition,
)

log = logging.getLogger(__name__)

SYS_BLOCK = Path("/sys/block")
# Software disks that are never a target and only clutter the list.
_HIDDEN_NAME = re.compile(r"^(zram|ram|sr|fd)\d")
_HOLDER_TYPES = {"lvm", "crypt", "dm", "mpath", "raid0", "raid1", "raid4", "raid5", "raid6", "raid10", "md"}


# --------------------------------------------------------------------------- parsing (pure)
def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _flag(value: Any) -> bool:
    # lsblk prints booleans as true/false in newer releases and "0"/"1" strings in older ones.
    if isinstance(value, bool):
        return value
    return _text(value) in ("1", "true")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _mounts(node: Mapping[str, Any]) -> list[str]:
    found = node.get("mountpoints")
    if found is None:
        found = [node.get("mountpoint")]
    return [str(m) for m in found if m]


def _subtree_mounts(node: Mapping[str, Any]) -> list[str]:
    mounts = _mounts(node)
    for child in node.get("children") or []:
        mounts.extend(m for m in _subtree_mounts(child) if m not in mounts)
    return mounts


def _holders(node: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for child in node.get("children") or []:
        if _text(child.get("type")) in _HOLDER_TYPES:
            names.append(_text(child.get("name")))
        names.extend(_holders(child))
    return names


def classify(
    node: Mapping[str, Any], udev: Mapping[str, str], mmc_type: str = ""
) -> tuple[str, str]:
    """(kind, bus) of one top-level lsblk device."""
    name = _text(node.get("name"))
    dev_type = _text(node.get("type"))
    tran = _text(node.get("tran")).lower()
    id_bus = udev.get("ID_BUS", "").lower()
    devpath = udev.get("DEVPATH", "")
    if dev_type == "loop" or name.startswith("loop"):
        return KIND_LOOP, "loop"
    if tran == "usb" or id_bus == "usb" or "/usb" in devpath:
        return KIND_USB, "usb"
    if tran == "mmc" or name.startswith("mmcblk"):
        if mmc_type.upper() == "SD":
            return KIND_SD, "sd"
        if mmc_type.upper() == "MMC":  # soldered eMMC: the machine's own storage
            return KIND_INTERNAL, "mmc"
        return (KIND_SD if _flag(node.get("rm")) else KIND_INTERNAL), "mmc"
    if name.startswith(("nbd", "ram", "zram")) or "/virtual/" in devpath:
        return KIND_VIRTUAL, tran or "virtual"
    if name.startswith("nvme") or tran == "nvme":
        return KIND_INTERNAL, "nvme"
    if name.startswith("vd") or "virtio" in devpath:
        return KIND_INTERNAL, "virtio"
    if tran in ("sata", "ata", "sas", "scsi", "fc", "iscsi", "spi") or id_bus in ("ata", "scsi"):
        return KIND_INTERNAL, tran or id_bus
    if _flag(node.get("rm")):
        return KIND_UNKNOWN, tran or id_bus
    return KIND_INTERNAL, tran or id_bus


def parse_lsblk(
    text: str,
    udev: Mapping[str, Mapping[str, str]] | None = None,
    sysfs: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Drive]:
    """Drives from ``lsblk --json --bytes --output-all``.

    ``udev`` maps a kernel name ("sdb") to its udev properties; ``sysfs`` maps it to extra
    facts read from /sys ("backing_file" for loop devices, "mmc_type" for mmc cards).
    Whole disks and loop devices only; software disks (zram, ram, optical) are left out, and
    so is a reader with no medium (size 0).
    """
    udev = udev or {}
    sysfs = sysfs or {}
    try:
        document = json.loads(text)
        devices = document["blockdevices"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DeviceError(
            f"lsblk printed something that is not its JSON device list ({exc})",
            "Check that util-linux is installed and up to date (lsblk --json).",
        ) from exc
    drives: list[Drive] = []
    for node in devices:
        name = _text(node.get("kname")) or _text(node.get("name"))
        dev_type = _text(node.get("type"))
        if dev_type not in ("disk", "loop") or _HIDDEN_NAME.match(name):
            continue
        size = _int(node.get("size"))
        if size <= 0:
            continue
        props = udev.get(name, {})
        facts = sysfs.get(name, {})
        kind, bus = classify(node, props, facts.get("mmc_type", ""))
        partitions = [
            Partition(
                name=_text(child.get("name")),
                path=_text(child.get("path")) or f"/dev/{_text(child.get('name'))}",
                size=_int(child.get("size")),
                fstype=_text(child.get("fstype")),
                label=_text(child.get("label")) or _text(child.get("partlabel")),
                mountpoints=_subtree_mounts(child),
            )
            for child in node.get("children") or []
            if _text(child.get("type")) == "part"
        ]
        serial = _text(node.get("serial")) or props.get("ID_SERIAL_SHORT", "").strip()
        vendor = _text(node.get("vendor"))
        if re.fullmatch(r"0x[0-9a-fA-F]{4}", vendor):  # virtio reports its PCI vendor number here
            vendor = ""
        vendor = vendor or props.get("ID_VENDOR", "").replace("_", " ").strip()
        model = _text(node.get("model")) or props.get("ID_MODEL", "").replace("_", " ").strip()
        drives.append(
            Drive(
                path=_text(node.get("path")) or f"/dev/{name}",
                size_bytes=size,
                vendor=vendor,
                model=model,
                serial=serial,
                bus=bus,
                removable=_flag(node.get("rm")),
                read_only=_flag(node.get("ro")),
                mountpoints=_subtree_mounts(node),
                partitions=partitions,
                kind=kind,
                name=name,
                holders=_holders(node),
                backing_file=facts.get("backing_file", ""),
                stacked_on=[p for p in facts.get("stacked_on", "").split("\n") if p],
            )
        )
    return drives


def parse_udev_properties(text: str) -> dict[str, str]:
    """``udevadm info --query=property`` output: KEY=value lines."""
    props: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            props[key.strip()] = value.strip()
    return props


# --------------------------------------------------------------------------- running the tools
def _run(args: list[str], timeout: float = 15.0) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise DeviceError(f"{args[0]} is not installed, so drives cannot be listed",
                          "Install util-linux (lsblk) and udev.") from exc
    except subprocess.TimeoutExpired as exc:
        raise DeviceError(f"{args[0]} did not answer within {timeout:.0f} s",
                          "A drive may be hanging; unplug it and try again.") from exc
    if done.returncode != 0:
        raise DeviceError(f"{' '.join(args)} failed: {done.stderr.strip() or done.returncode}",
                          "Check that util-linux is installed (lsblk).")
    return done.stdout


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""


def _udev_properties_of(names: list[str], timeout_s: float = 5.0) -> dict[str, dict[str, str]]:
    """udev properties of each disk, the udevadm processes running side by side: one after another
    they cost ~5-10 ms each on every listing (twice per write: the look-up and the re-check)."""
    if not names or shutil.which("udevadm") is None:
        return {n: {} for n in names}
    running: dict[str, subprocess.Popen[str]] = {}
    for name in names:
        with contextlib.suppress(OSError):
            running[name] = subprocess.Popen(
                ["udevadm", "info", "--query=property", f"--name=/dev/{name}"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
    deadline = time.monotonic() + timeout_s
    out: dict[str, dict[str, str]] = {}
    for name in names:
        proc = running.get(name)
        out[name] = {}
        if proc is None:
            continue
        try:
            stdout, _ = proc.communicate(timeout=max(0.05, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:  # a hanging device: no udev facts for it, as before
            proc.kill()
            proc.communicate()
            continue
        if proc.returncode == 0:
            out[name] = parse_udev_properties(stdout)
    return out


def _sysfs_facts(name: str, root: Path = SYS_BLOCK) -> dict[str, str]:
    facts: dict[str, str] = {}
    backing = _read(root / name / "loop" / "backing_file")
    if backing:
        facts["backing_file"] = backing
    lower = stacked_on(name)
    if lower:
        facts["stacked_on"] = "\n".join(lower)
    mmc_type = _read(root / name / "device" / "type")
    if name.startswith("mmcblk") and mmc_type:
        facts["mmc_type"] = mmc_type
    return facts


# --------------------------------------------------------------------------- devices under devices
SYS_CLASS_BLOCK = Path("/sys/class/block")
SYS_DEV_BLOCK = Path("/sys/dev/block")
_LOOP_GET_STATUS64 = 0x4C05  # <linux/loop.h>
_LOOP_INFO64_SIZE = 232


def _decode_kernel_dev(value: int) -> tuple[int, int]:
    """(major, minor) of a device number as the kernel's new_encode_dev/huge_encode_dev packs it."""
    return (value >> 8) & 0xFFF, (value & 0xFF) | ((value >> 12) & 0xFFF00)


def _loop_backing_device(name: str) -> tuple[int, int] | None:
    """(major, minor) of the block device behind loop device ``name``, from the kernel itself.

    LOOP_GET_STATUS64 gives the backing file's st_rdev, which names the device even when the
    path in backing_file is stale (the node was removed, or the name now belongs to another
    disk). Needs read access to /dev/loopN: root does (the writer and its helper); an unprivileged
    listing falls back to the path.
    """
    try:
        fd = os.open(f"/dev/{name}", os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        import fcntl

        info = fcntl.ioctl(fd, _LOOP_GET_STATUS64, bytes(_LOOP_INFO64_SIZE))
    except OSError:
        return None
    finally:
        os.close(fd)
    rdev = int.from_bytes(info[16:24], "little")
    return _decode_kernel_dev(rdev) if rdev else None


def _disk_name(node: Path) -> str:
    """The whole disk's kernel name for a sysfs block node (a partition's parent)."""
    return node.parent.name if (node / "partition").exists() else node.name


def _node_of(major: int, minor: int) -> Path | None:
    try:
        return (SYS_DEV_BLOCK / f"{major}:{minor}").resolve(strict=True)
    except OSError:
        return None


def _lower_devices(name: str) -> list[str]:
    """Whole disks directly under block device ``name``: dm/md members, a loop device's backing device."""
    try:
        node = (SYS_CLASS_BLOCK / name).resolve(strict=True)
    except OSError:
        return []
    found: list[str] = []
    slaves = node / "slaves"
    with contextlib.suppress(OSError):
        for slave in sorted(slaves.iterdir()) if slaves.is_dir() else []:
            with contextlib.suppress(OSError):
                found.append(_disk_name(slave.resolve(strict=True)))
    numbers: list[tuple[int, int]] = []
    backing = _read(node / "loop" / "backing_file").removesuffix(" (deleted)")
    if backing:
        with contextlib.suppress(OSError):
            info = os.stat(backing)
            if stat.S_ISBLK(info.st_mode):
                numbers.append((os.major(info.st_rdev), os.minor(info.st_rdev)))
        kernel = _loop_backing_device(name)
        if kernel is not None:
            numbers.append(kernel)
    for major, minor in numbers:
        lower = _node_of(major, minor)
        if lower is not None:
            found.append(_disk_name(lower))
    return list(dict.fromkeys(found))


def stacked_on(name: str) -> list[str]:
    """Every whole disk (/dev/...) that block device ``name`` writes through to, nearest first.

    A loop device over /dev/loop9 or /dev/sda1 and a device-mapper/md device over its members
    are another way to write those disks; followed level by level (loop over loop over disk).
    A loop device over a regular file writes that file only, so it has none.
    """
    chain: list[str] = []
    seen = {name}
    todo = [name]
    while todo and len(seen) < 256:  # the kernel refuses loops of loops; bound it anyway
        for lower in _lower_devices(todo.pop(0)):
            if lower not in seen:
                seen.add(lower)
                chain.append(f"/dev/{lower}")
                todo.append(lower)
    return chain


def list_all() -> list[Drive]:
    """Every whole disk on this machine, internal ones included (safety filters later)."""
    text = _run(["lsblk", "--json", "--bytes", "--output-all"])
    names: list[str] = []
    with contextlib.suppress(ValueError, KeyError, TypeError):  # parse_lsblk reports it
        names = [str(n.get("kname") or n.get("name")) for n in json.loads(text)["blockdevices"]]
    udev = _udev_properties_of([n for n in names if not _HIDDEN_NAME.match(n)])
    sysfs = {n: _sysfs_facts(n) for n in names}
    return parse_lsblk(text, udev, sysfs)


# --------------------------------------------------------------------------- which disk holds a path
def _sysfs_dir_of(dev: int) -> Path | None:
    link = Path(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}")
    try:
        return link.resolve(strict=True)
    except OSError:
        return None


def _disks_of_sysfs(node: Path, seen: set[str]) -> set[str]:
    """Whole disks under a block device: its parent disk, the disks under dm/md, loop backing files."""
    if str(node) in seen:
        return set()
    seen.add(str(node))
    if (node / "partition").exists():
        node = node.parent
    disks = {f"/dev/{node.name}"}
    slaves = node / "slaves"
    if slaves.is_dir():
        for slave in slaves.iterdir():
            disks |= _disks_of_sysfs(slave.resolve(), seen)
    backing = _read(node / "loop" / "backing_file")
    if backing:
        disks |= _devices_holding(Path(backing.removesuffix(" (deleted)")), seen)
    return disks


def _mountinfo() -> list[tuple[str, str, str, str]]:
    """(major:minor, mount point, fstype, source + super options) per mount of this process."""
    rows = []
    for line in _read(Path("/proc/self/mountinfo")).splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 6:
            continue
        head, _, tail = line.partition(" - ")
        head_fields, tail_fields = head.split(), tail.split()
        if len(tail_fields) < 2:
            continue
        mount_point = head_fields[4].replace("\\040", " ")
        rows.append((head_fields[2], mount_point, tail_fields[0], " ".join(tail_fields[1:])))
    return rows


def _devices_holding(path: Path, seen: set[str]) -> set[str]:
    try:
        resolved = path.resolve()
        info = os.stat(resolved)
    except OSError:
        return set()
    disks: set[str] = set()
    node = _sysfs_dir_of(info.st_dev)
    if node is not None:
        disks |= _disks_of_sysfs(node, seen)
    if stat.S_ISBLK(info.st_mode):
        target = _sysfs_dir_of(info.st_rdev)
        if target is not None:
            disks |= _disks_of_sysfs(target, seen)
    # btrfs, overlay and network file systems report an anonymous st_dev: ask mountinfo for
    # the mount's source device, or, for overlays, for the directories it is built from.
    dev_id = f"{os.major(info.st_dev)}:{os.minor(info.st_dev)}"
    for mm, mount_point, fstype, rest in _mountinfo():
        if mm != dev_id:
            continue
        source = rest.split()[0]
        if source.startswith("/dev/"):
            try:
                source_info = os.stat(source)
            except OSError:
                continue
            target = _sysfs_dir_of(source_info.st_rdev)
            if target is not None:
                disks |= _disks_of_sysfs(target, seen)
        if fstype == "overlay":
            for option in re.findall(r"(?:lowerdir|upperdir)=([^,\s]+)", rest):
                for part in option.split(":"):
                    if part.startswith("/") and part not in seen and not mount_point.startswith(part):
                        seen.add(part)
                        disks |= _devices_holding(Path(part), seen)
    return disks


def devices_holding(path: Path) -> set[str]:
    """The whole disks (/dev/...) a file lives on, following partitions, dm/md and loop devices."""
    return _devices_holding(path, set())


def swap_devices() -> set[str]:
    """Disks holding active swap (partitions or swap files)."""
    disks: set[str] = set()
    for line in _read(Path("/proc/swaps")).splitlines()[1:]:
        fields = line.split()
        if fields:
            disks |= devices_holding(Path(fields[0].replace("\\040", " ")))
    return disks


# --------------------------------------------------------------------------- unmounting
def unmount(mountpoints: Iterable[str]) -> list[str]:
    """Unmount, deepest first; returns error lines (empty when all went)."""
    errors: list[str] = []
    for mount in sorted(set(mountpoints), key=len, reverse=True):
        if mount.startswith("["):  # "[SWAP]" is not a mount; swap makes a drive a system drive
            errors.append(f"{mount}: swap is active on it")
            continue
        done = subprocess.run(["umount", mount], capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            errors.append(f"{mount}: {done.stderr.strip() or 'umount failed'}")
    return errors


# --------------------------------------------------------------------------- hot-plug
class UdevWatcher:
    """Calls ``callback()`` (from a background thread) when a block device comes or goes.

    Uses the udev monitor when udevd runs; without udevd (containers, minimal systems) it
    listens to the kernel's uevents directly, which carry the same add/remove/change.
    """

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback = callback
        self._observer: Any = None
        self._lock = threading.Lock()

    def start(self) -> None:
        import pyudev

        with self._lock:
            if self._observer is not None:
                return
            context = pyudev.Context()
            source = "udev" if Path("/run/udev/control").exists() else "kernel"
            monitor = pyudev.Monitor.from_netlink(context, source=source)
            monitor.filter_by("block")
            self._observer = pyudev.MonitorObserver(monitor, callback=self._on_event, name="drive-watch")
            self._observer.start()

    def _on_event(self, device: Any) -> None:
        if device.action in ("add", "remove", "change"):
            try:
                self._callback()
            except Exception:  # a broken listener must not kill the monitor thread
                log.exception("drive watcher callback failed")

    def stop(self) -> None:
        with self._lock:
            observer, self._observer = self._observer, None
        if observer is not None:
            observer.send_stop()
            if observer is not threading.current_thread():
                observer.join(timeout=2)
