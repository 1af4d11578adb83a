"""What the app knows about one drive (DESIGN.md 4 "drives").

Facts come from the platform enumerators (linux.py, windows.py, macos.py); ``system``,
``protected``, ``writable``, ``reasons`` and ``warnings`` are filled in by the safety rules
(ecs_field.media.drives.safety) so that every rule lives in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

# kind: how the drive is attached, which decides whether it is offered by default.
KIND_USB = "usb"  # a USB stick, a USB disk, a USB card reader
KIND_SD = "sd"  # an SD card in a built-in reader
KIND_INTERNAL = "internal"  # NVMe, SATA, eMMC, virtio: the machine's own disks
KIND_LOOP = "loop"  # a Linux loop device (a file presented as a disk)
KIND_VIRTUAL = "virtual"  # disk images, RAM disks and other software disks
KIND_UNKNOWN = "unknown"

# Kinds offered without --all: what a technician plugs in to make a boot stick.
REMOVABLE_KINDS = frozenset({KIND_USB, KIND_SD})


@dataclass
class Partition:
    name: str  # "sdb1", "disk4s1", "1" (Windows partition number)
    path: str  # "/dev/sdb1", "/dev/disk4s1", "\\\\.\\PHYSICALDRIVE2 partition 1"
    size: int = 0
    fstype: str = ""
    label: str = ""
    mountpoints: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Drive:
    path: str  # what the writer opens: /dev/sdb, /dev/rdisk4 (macOS), \\.\PHYSICALDRIVE2
    size_bytes: int
    vendor: str = ""
    model: str = ""
    serial: str = ""
    bus: str = ""  # "usb", "nvme", "sata", "mmc", "virtio", "sd", ...
    removable: bool = False  # the OS says the medium or device is removable
    read_only: bool = False
    system: bool = False  # holds the running system, the app, the home folder or the image
    mountpoints: list[str] = field(default_factory=list)  # every mount on the drive or its parts
    writable: bool = False  # `ecs-field write` would accept it without override flags
    reasons: list[str] = field(default_factory=list)  # why it is not writable (people read these)
    partitions: list[Partition] = field(default_factory=list)
    kind: str = KIND_UNKNOWN
    warnings: list[str] = field(default_factory=list)
    name: str = ""  # kernel or OS name: "sdb", "disk4", "2"
    display_path: str = ""  # what people know it as, e.g. /dev/disk4 for /dev/rdisk4
    protected: list[str] = field(default_factory=list)  # why it is a system drive
    holders: list[str] = field(default_factory=list)  # LVM/RAID/crypt devices built on it
    backing_file: str = ""  # loop devices: the file behind it
    # Block devices this one writes through to (a loop device over /dev/loop9 or /dev/sda1, a
    # device-mapper/md device's members), nearest first, every level down: writing this drive
    # writes those, so their protection is its protection (safety.evaluate).
    stacked_on: list[str] = field(default_factory=list)
    # Loop or virtual devices built on this one: writing it would rewrite what they show.
    stacked_by: list[str] = field(default_factory=list)
    # ``stacked_on`` resolved to the drives of the same enumeration (safety.annotate links them).
    backing_drives: list[Drive] = field(default_factory=list, repr=False, compare=False)

    @property
    def label(self) -> str:
        """A short name for people: vendor and model, else the device path."""
        text = " ".join(part for part in (self.vendor, self.model) if part).strip()
        if text:
            return text
        if self.kind == KIND_LOOP:
            name = self.backing_file.replace("\\", "/").rsplit("/", 1)[-1]
            return f"Loop device ({name})" if name else "Loop device"
        return f"{self.bus} disk" if self.bus else (self.display_path or self.path)

    @property
    def offered_by_default(self) -> bool:
        """Shown without --all: removable media and USB/SD drives."""
        return self.removable or self.kind in REMOVABLE_KINDS

    def all_mountpoints(self) -> list[str]:
        seen: list[str] = []
        for mount in [*self.mountpoints, *(m for p in self.partitions for m in p.mountpoints)]:
            if mount and mount not in seen:
                seen.append(mount)
        return seen

    def to_dict(self) -> dict[str, Any]:
        # Without the linked drives (their paths are in stacked_on): no nesting, no cycles.
        document = asdict(replace(self, backing_drives=[]))
        del document["backing_drives"]
        if not document["display_path"]:
            document["display_path"] = self.path
        return document


def human_size(size: int) -> str:
    """Decimal units, like the label printed on a stick ("32 GB")."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" or value >= 100 else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover
