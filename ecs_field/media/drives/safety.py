"""Every rule that decides whether a drive may be written, in one place, each with a reason people read.

Never written, whatever the flags (there is no override):
  * a system drive: it holds /, /boot, /boot/efi, /efi, /usr, /var, /home, active swap, the
    running app (Python and the ecs_field package), the user's home folder (also the home of
    the user who ran sudo/pkexec), the app's data folder, or, on Windows, the disk Windows
    marks as system or boot;
  * the drive holding the image file (the device under the image's file system and its parent
    disk, following partitions, LVM/crypt/RAID and loop devices), and a loop device backed by
    the image file itself;
  * a read-only drive, a reader with no medium, a drive smaller than what will be written;
  * a drive something else is built on (LVM, dm-crypt, RAID members, a loop device over it);
  * a device that writes through to another block device (a loop device over /dev/loop9 or
    /dev/sda1, a device-mapper/md device over its members), when that device is refused: it gets
    the same reasons, level by level down the stack (a mounted, system or image-holding disk
    stays protected however many loop devices are stacked on it);
  * an internal (non-removable) drive with a mounted file system, even with the override.

Offered by default: removable drives and USB/SD drives. Internal disks, loop devices and other
virtual disks are listed only with "Show all drives" (``--all``) and written only with
``allow_non_removable=True`` plus ``confirm_device`` equal to the device path, typed again.

Warned: drives larger than 128 GB (sticks rarely are; backup disks are), and mounted file
systems on a removable drive (they are unmounted by ``prepare_for_write``).

Right before opening the device the writer calls ``final_check`` (fresh look-up: same path,
size and serial, then every rule again) and ``open_exclusive`` (O_EXCL on Linux, which the
kernel refuses while anything has the device mounted or open).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ecs_field.errors import DeviceError, SafetyRefusal
from ecs_field.media.drives.model import Drive, human_size

log = logging.getLogger(__name__)

LARGE_DRIVE_BYTES = 128 * 10**9  # Etcher's threshold: above it, a "stick" is likely a backup disk

# Mount points that make a drive a system drive wherever they appear on it.
CRITICAL_MOUNTS = {
    "/": "the running system",
    "/boot": "the boot files",
    "/boot/efi": "the EFI system partition",
    "/efi": "the EFI system partition",
    "/usr": "the installed programs",
    "/var": "system data",
    "/home": "home folders",
    "[SWAP]": "active swap",
}
MACOS_SYSTEM_PREFIX = "/System/Volumes/"


@dataclass
class SafetyDecision:
    device: str
    allowed: bool = True
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # short ids of the refusals, for badges and tests
    needs_override: bool = False  # internal/virtual: writable only with the typed confirmation
    will_unmount: list[str] = field(default_factory=list)

    def refuse(self, code: str, reason: str) -> None:
        self.allowed = False
        self.codes.append(code)
        self.refusals.append(reason)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- what is protected
def _user_homes() -> list[tuple[Path, str]]:
    homes = [(Path.home(), "the home folder")]
    names = [os.environ.get("SUDO_USER", "")]
    if os.name == "posix":
        import pwd

        pkexec_uid = os.environ.get("PKEXEC_UID", "")
        if pkexec_uid.isdigit():
            with contextlib.suppress(KeyError):
                names.append(pwd.getpwuid(int(pkexec_uid)).pw_name)
        for name in filter(None, names):
            with contextlib.suppress(KeyError):
                homes.append((Path(pwd.getpwnam(name).pw_dir), f"the home folder of {name}"))
    return homes


def protected_places() -> list[tuple[Path, str]]:
    """Files and folders whose drive is never written, with the words that explain why."""
    import ecs_field
    from ecs_field import paths

    places: list[tuple[Path, str]] = [
        (Path(sys.executable), "the running app"),
        (Path(sys.prefix), "the running app"),
        (Path(ecs_field.__file__).parent, "the running app"),
        *_user_homes(),
    ]
    with contextlib.suppress(OSError):
        places.append((paths.data_dir(), "the app's data (image library, write history)"))
    if os.name == "posix":
        places += [(Path(m), f"{m} ({what})") for m, what in CRITICAL_MOUNTS.items() if m.startswith("/")]
    else:
        system_drive = os.environ.get("SYSTEMDRIVE", "C:")
        places.append((Path(system_drive + "\\"), "the running Windows"))
    return places


def _mount_reason(mount: str) -> str | None:
    if mount in CRITICAL_MOUNTS:
        return f"holds {mount} ({CRITICAL_MOUNTS[mount]})" if mount != "[SWAP]" else "holds active swap"
    if mount.startswith(MACOS_SYSTEM_PREFIX):
        return f"holds {mount} (the running macOS)"
    return None


def mark_by_mounts(drives: list[Drive]) -> None:
    """Protect drives whose own mount points are system places (/, /boot, swap, /System/Volumes/...)."""
    for drive in drives:
        for mount in drive.all_mountpoints():
            reason = _mount_reason(mount)
            if reason and reason not in drive.protected:
                drive.protected.append(reason)


def link_stacked(drives: list[Drive]) -> None:
    """Resolve each drive's ``stacked_on`` paths to the drives of this list, and fill ``stacked_by``.

    A loop device over /dev/loop9 (or over /dev/sda, or a device-mapper/md device over its
    members) writes those devices: ``evaluate`` applies their rules to it. The other way round,
    a device something is stacked on is not written while that stack exists.
    """
    by_path = {d.path: d for d in drives}
    for drive in drives:
        drive.backing_drives = [by_path[p] for p in drive.stacked_on if p in by_path and p != drive.path]
    for drive in drives:
        for lower in drive.backing_drives:
            if drive.path not in lower.stacked_by:
                lower.stacked_by.append(drive.path)


def apply_verdict(drives: list[Drive]) -> None:
    """Fill ``system``, ``writable``, ``reasons`` and ``warnings`` from the rules (no image chosen yet)."""
    for drive in drives:
        decision = evaluate(drive, None, None)
        # A device stacked on a system drive is one too: writing it writes the system drive.
        drive.system = bool(drive.protected) or "system" in decision.codes
        drive.writable = decision.allowed
        drive.reasons = decision.refusals
        drive.warnings = [*drive.warnings, *(w for w in decision.warnings if w not in drive.warnings)]


def annotate(drives: list[Drive]) -> None:
    """Mark system drives (mount points, protected places, swap) and apply the verdict."""
    from ecs_field.media.drives import devices_holding, mount_table

    mark_by_mounts(drives)
    table = mount_table()  # read once for all the protected places
    for place, what in protected_places():
        if not place.exists():
            continue
        for path in devices_holding(place, drives, table):
            for drive in drives:
                reason = f"holds {what}"
                if drive.path == path and reason not in drive.protected:
                    drive.protected.append(reason)
    if sys.platform.startswith("linux"):
        from ecs_field.media.drives import linux

        swap = linux.swap_devices()
        for drive in drives:
            if drive.path in swap and "holds active swap" not in drive.protected:
                drive.protected.append("holds active swap")
    link_stacked(drives)
    apply_verdict(drives)


# --------------------------------------------------------------------------- the rules
def _holds_image(drive: Drive, image_path: Path) -> bool:
    from ecs_field.media.drives import devices_holding

    if drive.backing_file:
        try:
            if os.path.samefile(drive.backing_file, image_path):
                return True
        except OSError:
            pass
    return drive.path in devices_holding(image_path, [drive])


def _join(reasons: list[str]) -> str:
    # "holds /, holds the home folder" reads better as "holds /, the home folder".
    parts = [reasons[0], *(r.removeprefix("holds ") for r in reasons[1:])]
    return ", ".join(parts)


def _confirmed(drive: Drive, confirm_device: str | None) -> bool:
    if not confirm_device:
        return False
    typed = confirm_device.strip()
    return typed in {drive.path, drive.display_path} - {""}


def evaluate(
    drive: Drive,
    image_size: int | None,
    image_path: Path | None,
    *,
    allow_non_removable: bool = False,
    confirm_device: str | None = None,
) -> SafetyDecision:
    """Apply every rule. ``image_size`` is what will be written (the stick image for uefi-fat32)."""
    name = drive.display_path or drive.path
    decision = SafetyDecision(device=drive.path)
    if drive.protected:
        decision.refuse("system", "system drive: it " + _join(drive.protected))
    if image_path is not None and _holds_image(drive, image_path):
        decision.refuse("holds-image", f"it holds the image file {image_path}")
    if drive.size_bytes <= 0:
        decision.refuse("no-medium", "no medium: insert the card or stick")
    if drive.read_only:
        decision.refuse("read-only", "read-only: check the lock switch on the card or stick")
    if image_size is not None and 0 < drive.size_bytes < image_size:
        decision.refuse("too-small", f"too small: {human_size(drive.size_bytes)}, "
                                     f"the image needs {human_size(image_size)}")
    if drive.holders:
        decision.refuse("in-use", f"in use by {', '.join(drive.holders)} (LVM, encryption or RAID): "
                                  "deactivate it first")
    if drive.stacked_by:
        verb = "is" if len(drive.stacked_by) == 1 else "are"
        decision.refuse("stacked", f"{', '.join(drive.stacked_by)} {verb} built on it (loop or virtual "
                                   "devices): writing it would change what that device shows; detach it "
                                   f"first (losetup -d {drive.stacked_by[0]})")
    _inherit_from_lower(drive, image_path, decision)
    mounts = drive.all_mountpoints()
    if not drive.offered_by_default:
        decision.needs_override = True
        what = {"loop": "a loop device", "virtual": "a virtual disk"}.get(drive.kind, "an internal drive")
        if mounts:
            decision.refuse("mounted-internal",
                            f"{what} with mounted file systems ({', '.join(mounts)}): never written, "
                            "even with the override")
        elif not allow_non_removable:
            decision.refuse("internal", f"{what}, not a removable or USB drive: to write it anyway, "
                                        f"use --allow-non-removable --confirm-device {name}")
        elif not _confirmed(drive, confirm_device):
            got = f"'{confirm_device}'" if confirm_device else "nothing"
            decision.refuse("not-confirmed", f"{what}: the confirmation must repeat the device path "
                                             f"{name} exactly (got {got})")
        else:
            decision.warnings.append(f"{what}, written only because you confirmed {name}")
    elif mounts:
        decision.will_unmount = mounts
        decision.warnings.append(f"mounted at {', '.join(mounts)}: it will be unmounted before writing")
    if drive.size_bytes > LARGE_DRIVE_BYTES and not drive.protected:
        decision.warnings.append(f"larger than 128 GB ({human_size(drive.size_bytes)}): make sure it is "
                                 "not a backup disk")
    return decision


# Refusals of a lower device that are about that device being chosen directly, not about what
# it holds: the override for an internal disk, the size of the image, the stack itself.
_NOT_INHERITED = {"internal", "not-confirmed", "too-small", "stacked"}


def _inherit_from_lower(drive: Drive, image_path: Path | None, decision: SafetyDecision) -> None:
    """A device that writes through to other block devices is refused for their reasons too."""
    if drive.stacked_on and not drive.backing_drives:
        decision.refuse("stacked-unknown",
                        f"it writes through to {', '.join(drive.stacked_on)}, which is not a drive this "
                        "app can check: never written")
        return
    for lower in drive.backing_drives:
        if lower is drive:
            continue
        # Not recursive: stacked_on already lists every level down.
        flat = replace(lower, backing_drives=[], stacked_on=[], stacked_by=[])
        below = evaluate(flat, None, image_path, allow_non_removable=True, confirm_device=lower.path)
        name = lower.display_path or lower.path
        where = f"it writes through to {name} ({lower.label})"
        for code, reason in zip(below.codes, below.refusals, strict=True):
            if code not in _NOT_INHERITED:
                decision.refuse(code, f"{where}, which is refused: {reason}")
        if below.will_unmount:
            decision.refuse("lower-mounted",
                            f"{where}, which has mounted file systems ({', '.join(below.will_unmount)}) that "
                            f"writing through would destroy: unmount them first, or write {name} itself")


def refusal_message(drive: Drive, decision: SafetyDecision) -> str:
    header = f"Refusing to write to {drive.display_path or drive.path} ({drive.label}, " \
             f"{human_size(drive.size_bytes)})"
    return header + ":\n" + "\n".join(f"  - {reason}" for reason in decision.refusals)


def require_safe(
    drive: Drive,
    image_size: int | None,
    image_path: Path | None,
    *,
    allow_non_removable: bool = False,
    confirm_device: str | None = None,
) -> SafetyDecision:
    """``evaluate`` and raise SafetyRefusal (exit 4) naming the device and every reason."""
    decision = evaluate(drive, image_size, image_path, allow_non_removable=allow_non_removable,
                        confirm_device=confirm_device)
    if not decision.allowed:
        hint = "Nothing was written. Pick another drive (ecs-field drives lists them)."
        if decision.codes in (["internal"], ["not-confirmed"]):
            hint = (f"Nothing was written. If {drive.display_path or drive.path} really is the target, "
                    f"add --allow-non-removable --confirm-device {drive.display_path or drive.path}.")
        raise SafetyRefusal(refusal_message(drive, decision), hint)
    return decision


# --------------------------------------------------------------------------- right before writing
def recheck_identity(expected: Drive) -> Drive:
    """Look the drive up again; refuse if it is gone or its size or serial changed (another stick)."""
    from ecs_field.media.drives import find_drive

    name = expected.display_path or expected.path
    fresh = find_drive(expected.path)
    if fresh is None:
        raise SafetyRefusal(f"{name} ({expected.label}) is gone: it was unplugged or renamed",
                            "Plug the stick in again and pick it from a fresh drive list.")
    require_same_drive(expected, fresh)
    return fresh


def require_same_drive(expected: Drive, fresh: Drive) -> None:
    """Refuse unless ``fresh`` (a new look-up) is ``expected`` (the drive chosen): path, size, serial."""
    name = expected.display_path or expected.path
    changes = []
    if fresh.path != expected.path:
        changes.append(f"path {expected.path} -> {fresh.path}")
    if fresh.size_bytes != expected.size_bytes:
        changes.append(f"size {human_size(expected.size_bytes)} -> {human_size(fresh.size_bytes)}")
    if (expected.serial or fresh.serial) and fresh.serial != expected.serial:
        changes.append(f"serial '{expected.serial}' -> '{fresh.serial}'")
    if (expected.backing_file or fresh.backing_file) and fresh.backing_file != expected.backing_file:
        # loop devices have no serial: the file behind them is their identity
        changes.append(f"file '{expected.backing_file}' -> '{fresh.backing_file}'")
    if changes:
        raise SafetyRefusal(
            f"{name} is not the drive that was chosen ({'; '.join(changes)}): another device "
            "now has this name",
            "Nothing was written. Refresh the drive list and choose again.",
        )


def encode_identity(drive: Drive) -> str:
    """The chosen drive's identity as one command-line word (base64 of JSON: no quoting issues through
    pkexec, UAC or osascript), so the elevated helper checks the stick the user confirmed in the app."""
    import base64
    import json

    document = {"path": drive.path, "display_path": drive.display_path, "size_bytes": drive.size_bytes,
                "serial": drive.serial, "backing_file": drive.backing_file,
                "vendor": drive.vendor, "model": drive.model}
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


def decode_identity(text: str) -> Drive:
    import base64
    import binascii
    import json

    from ecs_field.errors import BadInput

    try:
        document = json.loads(base64.urlsafe_b64decode(text.encode()))
        return Drive(path=str(document["path"]), size_bytes=int(document["size_bytes"]),
                     serial=str(document.get("serial") or ""),
                     display_path=str(document.get("display_path") or ""),
                     backing_file=str(document.get("backing_file") or ""),
                     vendor=str(document.get("vendor") or ""), model=str(document.get("model") or ""))
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"--expect-drive {text[:40]!r} is not a drive identity from the app",
                       "Start the write from the app again.") from exc


def final_check(
    expected: Drive,
    image_size: int | None,
    image_path: Path | None,
    *,
    allow_non_removable: bool = False,
    confirm_device: str | None = None,
) -> Drive:
    """The writer's last word before opening: same drive as chosen, and every rule still passes."""
    fresh = recheck_identity(expected)
    require_safe(fresh, image_size, image_path, allow_non_removable=allow_non_removable,
                 confirm_device=confirm_device)
    return fresh


def prepare_for_write(drive: Drive) -> list[str]:
    """Unmount a removable drive's file systems; returns what was unmounted.

    Refuses (SafetyRefusal) for a system drive and for an internal drive with mounts: those are
    never unmounted by this app.
    """
    name = drive.display_path or drive.path
    mounts = drive.all_mountpoints()
    if drive.protected:
        raise SafetyRefusal(f"{name} is a system drive; it is never unmounted or written",
                            "Pick another drive.")
    if not mounts:
        return []
    if not drive.offered_by_default:
        raise SafetyRefusal(f"{name} is not removable and has mounted file systems ({', '.join(mounts)})",
                            "Internal drives are never unmounted by this app; unmount them yourself.")
    errors: list[str] = []
    if sys.platform.startswith("linux"):
        from ecs_field.media.drives import linux

        errors = linux.unmount(mounts)
    elif sys.platform == "darwin":  # pragma: no cover - needs macOS
        from ecs_field.media.drives import macos

        errors = macos.unmount_disk(drive.name)
    else:  # pragma: no cover - Windows: the writer locks and dismounts volumes on its open handle
        log.info("no unmount step on %s for %s", sys.platform, name)
        return []
    if errors:
        raise SafetyRefusal(
            f"Could not unmount {name} ({drive.label}):\n" + "\n".join(f"  - {e}" for e in errors),
            "Nothing was written. Close files and windows that use the stick (file manager, "
            "terminals in its folders), then try again.",
        )
    return mounts


def open_exclusive(
    path: str,
    *,
    direct: bool = False,
    expected_size: int | None = None,
    require_block_device: bool = True,
) -> int:
    """Open a device for writing so that nobody else can have it mounted or open meanwhile.

    Linux: O_EXCL on a block device fails with EBUSY while it (or a partition) is mounted or
    claimed; ``direct`` adds O_DIRECT (aligned buffers needed). Returns the file descriptor.
    """
    flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    if sys.platform.startswith("linux"):
        flags |= os.O_EXCL
        if direct:
            flags |= getattr(os, "O_DIRECT", 0)
    elif sys.platform == "darwin":  # pragma: no cover - needs macOS
        flags |= getattr(os, "O_EXLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            raise SafetyRefusal(f"{path} is in use: mounted, or opened by another program",
                                "Nothing was written. Unmount it and close programs using it.") from exc
        if exc.errno == errno.EROFS:
            raise SafetyRefusal(f"{path} is read-only", "Check the stick's or card's lock switch.") from exc
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise DeviceError(
                f"No permission to write {path}",
                "Writing needs administrator rights: the app asks for them; on the command line "
                "run it with sudo (Linux, macOS) or as Administrator.",
            ) from exc
        if exc.errno in (errno.ENOENT, errno.ENXIO, errno.ENODEV):
            raise DeviceError(f"{path} is gone", "Plug the stick in again and choose it again.") from exc
        if exc.errno == errno.EINVAL and direct:
            raise DeviceError(f"{path} does not support direct (unbuffered) I/O", None) from exc
        raise DeviceError(f"Cannot open {path}: {exc.strerror}", None) from exc
    try:
        info = os.fstat(fd)
        # macOS writes raw disks (/dev/rdiskN), which are character devices; on Linux every disk is
        # a block device, and a character device (/dev/null, /dev/sg*, a tty) is never a target.
        is_device = stat.S_ISBLK(info.st_mode) or (
            stat.S_ISCHR(info.st_mode) and not sys.platform.startswith("linux"))
        if require_block_device and os.name == "posix" and not is_device:
            raise SafetyRefusal(f"{path} is not a device", "Choose a drive from the drive list.")
        if expected_size is not None:
            size = os.lseek(fd, 0, os.SEEK_END)
            os.lseek(fd, 0, os.SEEK_SET)
            if size != expected_size:
                raise SafetyRefusal(
                    f"{path} now has {human_size(size)}, expected {human_size(expected_size)}: "
                    "it is not the drive that was chosen",
                    "Nothing was written. Refresh the drive list and choose again.",
                )
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_opened(fd: int, expected: Drive) -> None:
    """Right after opening: the descriptor is the drive that passed ``final_check``.

    ``final_check`` and ``prepare_for_write`` (an unmount can take seconds) run before the open,
    so the name could meanwhile belong to another stick. Once the device is held open (O_EXCL)
    this looks it up again and compares the opened device's number and size with it: a stick
    swapped in that window is refused before a single byte is written.
    """
    if not sys.platform.startswith("linux"):  # pragma: no cover - no device numbers to compare
        return
    import fcntl

    name = expected.display_path or expected.path
    info = os.fstat(fd)
    fresh = recheck_identity(expected)
    try:
        now = os.stat(fresh.path)
    except OSError as exc:
        raise SafetyRefusal(f"{name} is gone: it was unplugged or renamed",
                            "Plug the stick in again and pick it from a fresh drive list.") from exc
    size = int.from_bytes(fcntl.ioctl(fd, 0x80081272, b"\0" * 8), sys.byteorder)  # BLKGETSIZE64
    if not stat.S_ISBLK(info.st_mode) or now.st_rdev != info.st_rdev or size != expected.size_bytes:
        raise SafetyRefusal(
            f"{name} changed while it was being opened (the opened device is "
            f"{os.major(info.st_rdev)}:{os.minor(info.st_rdev)}, {human_size(size)}; the drive chosen is "
            f"{os.major(now.st_rdev)}:{os.minor(now.st_rdev)}, {human_size(expected.size_bytes)}): "
            "it is not the drive that was chosen",
            "Nothing was written. Refresh the drive list and choose again.",
        )
