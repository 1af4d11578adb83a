"""A UEFI-bootable USB stick image (MBR + FAT32) synthesised as a stream from an ISO.

A stock ESXi/ECS ISO is El Torito without a hybrid MBR: a raw copy does not boot from USB.
The stick VMware documents instead is an MBR with one active FAT32 partition holding every
file of the ISO; UEFI firmware then starts EFI/BOOT/BOOTX64.EFI. We build that disk image
in user space as a byte stream (no mount, no mkfs, no platform formatter), so the writer
writes and verifies it like any raw image and the same code runs on every OS.

The layout is computed once, up front; reading is then a walk over a short sorted list of
segments (MBR, boot sectors, FAT copies, directory clusters, file extents) with zeros in
between. File data is read straight from the ISO into the caller's buffer: no per-cluster
work and no copy of the ISO anywhere.

Stick layout::

    LBA 0        MBR: boot stub, disk signature, one ACTIVE type 0x0C partition
    LBA 2048     FAT32 boot sector, FSInfo (1), backup boot sector (6) + FSInfo (7)
                 FAT #1, FAT #2 (identical), padded so the data area starts on a MiB
                 data area: cluster 2 = root directory, then all directories, then the
                 files in ISO order (so streaming the stick reads the ISO sequentially)
                 free clusters (zeros) up to the partition end = the image end
"""

from __future__ import annotations

import bisect
import contextlib
import math
import os
import struct
import sys
import threading
import zlib
from array import array
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ecs_field.errors import BadInput
from ecs_field.events import CancelToken, ProgressCallback, RateMeter, ignore_progress
from ecs_field.media.image import fat_names, mbr
from ecs_field.media.image.iso_tree import FAT_EPOCH, IsoDir, IsoFile, IsoTree, Timestamp, read_iso_tree

SECTOR = 512
PARTITION_START_LBA = 2048  # 1 MiB: what every partitioning tool uses, aligned for flash
DATA_ALIGN_SECTORS = 2048  # start of the data area on a MiB boundary too (flash erase blocks)
MIN_RESERVED_SECTORS = 32
FSINFO_SECTOR = 1
BACKUP_BOOT_SECTOR = 6
ROOT_CLUSTER = 2
# FAT32 needs at least 65525 clusters (fewer and drivers take it for FAT16). We keep a margin
# because some drivers compute the count slightly differently (Microsoft's advice).
MIN_CLUSTERS = 65525 + 16
MAX_CLUSTERS = 0x0FFFFFF5 - 2
MAX_FILE_SIZE = 0xFFFFFFFF  # FAT32 stores the size in 32 bits
DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024  # room left on the stick for kickstart files, logs
END_OF_CHAIN = 0x0FFFFFFF
MEDIA_FIXED = 0xF8

ATTR_READ_ONLY = 0x01
ATTR_HIDDEN = 0x02
ATTR_VOLUME_ID = 0x08
ATTR_DIRECTORY = 0x10
ATTR_ARCHIVE = 0x20

# Unattended install (``write --kickstart``): the ks.cfg goes on the stick as /KS.CFG and both
# boot.cfg files (legacy BIOS and UEFI) boot the installer with it (kickstart-reference.md 3).
KICKSTART_NAME = "KS.CFG"
KICKSTART_BOOT_OPTION = "ks=usb:/KS.CFG"
BOOT_CFG_PATHS = ("/BOOT.CFG", "/EFI/BOOT/BOOT.CFG")

_ZEROS = bytes(1 << 20)
_BOOT_SECTOR = struct.Struct("<3s8sHBHBHHBHHHIIIHHIHH12sBBBI11s8s")
_DIR_ENTRY = struct.Struct("<11sBBBHHHHHHHI")


def choose_cluster_size(partition_bytes: int) -> int:
    """Microsoft's FAT32 defaults by volume size (what Windows' formatter would pick)."""
    mib, gib = 1 << 20, 1 << 30
    if partition_bytes < 260 * mib:
        return 512
    if partition_bytes < 8 * gib:
        return 4096
    if partition_bytes < 16 * gib:
        return 8192
    if partition_bytes < 32 * gib:
        return 16384
    return 32768


@dataclass(frozen=True)
class Fat32Layout:
    """Where everything is on the stick; what ``image inspect``/the GUI can show."""

    volume_label: str
    names_from: str
    file_count: int
    dir_count: int
    data_bytes: int
    cluster_size: int
    cluster_count: int
    used_clusters: int
    free_bytes: int
    reserved_sectors: int
    fat_sectors: int
    partition_start: int
    partition_size: int
    image_size: int
    disk_signature: int
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _DirPlan:
    path: str
    node: IsoDir
    parent_cluster: int
    is_root: bool
    # (long name or None, short 11-byte name, is_dir, child); child is IsoDir or IsoFile
    entries: list[tuple[str | None, bytes, bool, IsoDir | IsoFile]] = field(default_factory=list)
    entry_slots: int = 0
    first_cluster: int = 0
    clusters: int = 0


def _fat_date_time(stamp: Timestamp) -> tuple[int, int, int]:
    """(date, time, tenths-of-10ms) as FAT stores them; years outside 1980-2107 are clamped."""
    year, month, day, hour, minute, second = stamp
    if year < 1980:
        year, month, day, hour, minute, second = FAT_EPOCH
    year = min(year, 2107)
    date = ((year - 1980) << 9) | (month << 5) | day
    time = (hour << 11) | (minute << 5) | (second // 2)
    return date, time, (second % 2) * 100


def _dir_entry(short11: bytes, attr: int, cluster: int, size: int, stamp: Timestamp) -> bytes:
    date, time, tenth = _fat_date_time(stamp)
    return _DIR_ENTRY.pack(short11, attr, 0, tenth, time, date, date,
                           cluster >> 16, time, date, cluster & 0xFFFF, size)


class Fat32StickSource:
    """An ImageSource: the MBR + FAT32 stick image for ``iso_path``, synthesised on the fly.

    Construction reads the ISO's directory tree and computes the whole layout (fast: no file
    data is read). ``read_into`` then serves any byte range; sequential reading is the fast
    path the writer uses. The output is deterministic: the same ISO gives the same bytes (so
    a stick can be verified against a hash computed from the stream).
    """

    def __init__(
        self,
        iso_path: Path,
        *,
        volume_label: str | None = None,
        min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
        cluster_size: int | None = None,
        tree: IsoTree | None = None,
        kickstart: bytes | None = None,
    ) -> None:
        """``kickstart``: the (already validated) ks.cfg bytes to put on the stick as /KS.CFG, with
        ``ks=usb:/KS.CFG`` added to the kernelopt line of /BOOT.CFG and /EFI/BOOT/BOOT.CFG."""
        self.iso_path = Path(iso_path)
        self.kickstart = kickstart
        # Files whose bytes come from memory, not from the ISO (the kickstart and the edited
        # boot.cfg files), by id() of their IsoFile.
        self._memory: dict[int, bytes] = {}
        if min_free_bytes < 0:
            raise ValueError("min_free_bytes must be >= 0")
        if cluster_size is not None and (cluster_size < SECTOR or cluster_size > 32768
                                         or cluster_size & (cluster_size - 1)):
            raise ValueError("cluster_size must be a power of two from 512 to 32768")
        # Positional reads (preadv) need no shared file position, so the writer may read from
        # any thread; where os.preadv is missing (Windows) a locked seek + readinto does it.
        # The tree is read through the same open file as the data: both come from one file.
        try:
            self._file = open(self.iso_path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        except FileNotFoundError as exc:
            raise BadInput(f"{self.iso_path}: no such file", "Check the path of the ISO image.") from exc
        except IsADirectoryError as exc:
            raise BadInput(f"{self.iso_path} is a folder, not an ISO image",
                           "Pick the .iso file itself.") from exc
        except OSError as exc:
            raise BadInput(f"{self.iso_path}: cannot read it ({exc.strerror})",
                           "Check the file's permissions.") from exc
        self._fd = self._file.fileno()
        self._preadv = getattr(os, "preadv", None)
        self._lock = threading.Lock()
        try:
            if tree is None:
                # A buffered duplicate of the same open file: pycdlib reads small records.
                with os.fdopen(os.dup(self._fd), "rb") as handle:
                    tree = read_iso_tree(self.iso_path, handle)
            if kickstart is not None:
                tree = self._with_kickstart(tree, kickstart)
            self._tree = tree
            self._check_sizes()
            self._plan(volume_label, min_free_bytes, cluster_size)
        except BaseException:
            self.close()
            raise

    # ----------------------------------------------------------------------------- ImageSource
    @property
    def size_bytes(self) -> int:
        return self._size

    @property
    def description(self) -> str:
        extra = f", kickstart /{KICKSTART_NAME}" if self.kickstart is not None else ""
        return f"UEFI FAT32 stick image of {self.iso_path.name} ({self.file_count} files{extra})"

    def describe_offset(self, offset: int) -> str:
        """What lies at ``offset`` of the stick image: a file's path (and the offset in it), a
        directory, a FAT, the boot sectors, the MBR or free space. Names a verify difference."""
        index = bisect.bisect_right(self._starts, offset) - 1
        if index >= 0 and offset < self._ends[index]:
            label = self._labels[index]
            if label.startswith("/") and not label.endswith("(directory)"):
                return f"{label} (byte {offset - self._starts[index] + self._file_skip[index]} of the file)"
            return label
        return "free space of the FAT32 partition" if offset >= self._layout.partition_start \
            else "the gap between the MBR and the partition"

    @property
    def file_count(self) -> int:
        return self._tree.file_count

    def opened_stat(self) -> os.stat_result:
        """The ISO file actually being read (the writer checks it is the fingerprinted image)."""
        return os.fstat(self._fd)

    @property
    def layout(self) -> Fat32Layout:
        return self._layout

    def layout_summary(self) -> str:
        lay = self._layout
        return (
            f"MBR + FAT32 '{lay.volume_label}': {lay.file_count} files in {lay.dir_count} folders "
            f"({lay.data_bytes / 1e6:.1f} MB), {lay.cluster_size} B clusters x {lay.cluster_count}, "
            f"partition {lay.partition_size / 1e6:.1f} MB at 1 MiB, {lay.free_bytes / 1e6:.1f} MB free"
        )

    def read_into(self, offset: int, buffer: memoryview) -> int:
        if offset < 0:
            raise ValueError("offset must be >= 0")
        count = min(len(buffer), self._size - offset)
        if count <= 0:
            return 0
        view = buffer if isinstance(buffer, memoryview) else memoryview(buffer)
        if view.format != "B" or view.itemsize != 1:
            view = view.cast("B")
        pos, end = offset, offset + count
        starts, ends, kinds, payloads = self._starts, self._ends, self._kinds, self._payloads
        nsegs = len(starts)
        index = bisect.bisect_right(starts, pos) - 1
        if index < 0 or ends[index] <= pos:
            index += 1
        while pos < end:
            if index < nsegs and starts[index] <= pos:
                seg_end = min(ends[index], end)
                a, b = pos - offset, seg_end - offset
                skip = pos - starts[index]
                payload = payloads[index]
                if kinds[index]:  # bytes from the ISO file
                    self._read_iso(int(payload) + skip, view[a:b])
                else:
                    data: bytes = payload
                    view[a:b] = data[skip: skip + (b - a)]
                pos = seg_end
                index += 1
            else:
                gap_end = min(starts[index], end) if index < nsegs else end
                a, b = pos - offset, gap_end - offset
                while a < b:
                    step = min(b - a, len(_ZEROS))
                    view[a: a + step] = _ZEROS[:step]
                    a += step
                pos = gap_end
        return count

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> Fat32StickSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------- reading
    def _read_iso(self, iso_offset: int, view: memoryview) -> None:
        done, total = 0, len(view)
        try:
            while done < total:
                if self._preadv is not None:
                    got = self._preadv(self._fd, [view[done:]], iso_offset + done)
                else:
                    with self._lock:
                        self._file.seek(iso_offset + done)
                        got = self._file.readinto(view[done:]) or 0
                if got <= 0:
                    raise BadInput(
                        f"{self.iso_path}: ended early while reading it (was it modified or removed?)",
                        "Keep the ISO unchanged and its drive connected while writing; then retry.",
                    )
                done += got
        except OSError as exc:
            raise BadInput(f"{self.iso_path}: cannot read the ISO ({exc})",
                           "Check that the drive holding the ISO is still connected.") from exc

    # ----------------------------------------------------------------------------- kickstart
    def _with_kickstart(self, tree: IsoTree, kickstart: bytes) -> IsoTree:
        """A copy of ``tree`` with /KS.CFG added (or replaced) and both boot.cfg files edited.

        The caller's tree is not changed: only the folders on the way to a changed file are copied.
        """
        root = _copy_dir(tree.root)
        edited = 0
        for path in BOOT_CFG_PATHS:
            folder, item = _find(root, path)
            if folder is None or item is None:
                continue
            original = self._read_file(item)
            text = add_kickstart_option(original, f"{self.iso_path}:{path}")
            replacement = IsoFile(item.name, len(text), (), item.mtime, item.hidden)
            folder.files[folder.files.index(item)] = replacement
            self._memory[id(replacement)] = text
            edited += 1
        if not edited:
            raise BadInput(
                f"{self.iso_path}: has neither /BOOT.CFG nor /EFI/BOOT/BOOT.CFG, so the installer cannot be "
                "told to use a kickstart file (is this an ESXi installer ISO?)",
                "Use an ESXi/ECS installer ISO, or write without --kickstart.",
            )
        stamp = max((f.mtime for f in root.files), default=FAT_EPOCH)
        ks = IsoFile(KICKSTART_NAME, len(kickstart), (), stamp, False)
        root.files = [f for f in root.files if f.name.casefold() != KICKSTART_NAME.casefold()] + [ks]
        self._memory[id(ks)] = bytes(kickstart)
        return IsoTree(root, tree.volume_id, tree.names_from, tree.iso_size, list(tree.skipped))

    def _read_file(self, item: IsoFile) -> bytes:
        if item.size > 1 << 20:
            raise BadInput(f"{self.iso_path}: {item.name} is {item.size} bytes, too large for a boot.cfg",
                           "Use an ESXi/ECS installer ISO, or write without --kickstart.")
        data = bytearray(item.size)
        view, done = memoryview(data), 0
        for iso_offset, length in item.extents:
            self._read_iso(iso_offset, view[done: done + length])
            done += length
        return bytes(data)

    # ----------------------------------------------------------------------------- layout
    def _check_sizes(self) -> None:
        for path, item in self._tree.root.iter_files():
            if item.size > MAX_FILE_SIZE:
                raise BadInput(
                    f"{self.iso_path}: {path} is {item.size} bytes; FAT32 cannot hold files of 4 GiB or more",
                    "This ISO cannot be put on a FAT32 stick. Use a hybrid ISO and write it with --mode raw.",
                )

    def _plan(self, label: str | None, min_free: int, forced_cluster: int | None) -> None:
        tree = self._tree
        self._label = fat_names.volume_label(label if label is not None else tree.volume_id)
        dirs = self._plan_directories()
        paths = {id(item): path for path, item in tree.root.iter_files()}
        # ISO files in ISO order (a sequential read of the ISO); files held in memory after them.
        files = sorted(
            (item for _, item in tree.root.iter_files() if item.size),
            key=lambda item: (1, 0) if id(item) in self._memory else (0, item.extents[0][0]),
        )
        dir_bytes = sum(plan.entry_slots * 32 for plan in dirs)
        estimate = dir_bytes + tree.data_bytes + min_free + (4 << 20)
        cluster = forced_cluster or choose_cluster_size(estimate)
        self._cluster = cluster

        # Allocation: directories first (root = cluster 2), then files in ISO order.
        next_cluster = ROOT_CLUSTER
        chain_ends: list[int] = []
        for plan in dirs:
            plan.first_cluster = next_cluster
            plan.clusters = max(1, math.ceil(plan.entry_slots * 32 / cluster))
            next_cluster += plan.clusters
            chain_ends.append(next_cluster - 1)
        file_cluster: dict[int, int] = {}
        for item in files:
            file_cluster[id(item)] = next_cluster
            next_cluster += math.ceil(item.size / cluster)
            chain_ends.append(next_cluster - 1)
        used = next_cluster - ROOT_CLUSTER

        geometry = _geometry(used, min_free, cluster)
        reserved, fat_sectors, cluster_count, total_sectors = geometry
        if cluster_count > MAX_CLUSTERS or PARTITION_START_LBA + total_sectors > 0xFFFFFFFF:
            raise BadInput(
                f"a FAT32 stick of {total_sectors * SECTOR} bytes is beyond what this layout supports "
                f"({cluster} byte clusters, MBR under 2 TiB)",
                "Ask for less free space on the stick.",
            )

        part_start = PARTITION_START_LBA * SECTOR
        fat1 = part_start + reserved * SECTOR
        fat2 = fat1 + fat_sectors * SECTOR
        data = fat2 + fat_sectors * SECTOR
        self._size = part_start + total_sectors * SECTOR

        def cluster_offset(number: int) -> int:
            return data + (number - ROOT_CLUSTER) * cluster

        # Parents are known now; fill in each directory's entries.
        for plan in dirs:
            for _, _, is_dir, child in plan.entries:
                if is_dir:
                    sub = self._plan_by_node[id(child)]
                    sub.parent_cluster = 0 if plan.is_root else plan.first_cluster

        serial = self._volume_serial()
        # (start, end, kind 1 = ISO bytes / 0 = payload bytes, payload, label, offset in the file)
        segments: list[tuple[int, int, int, Any, str, int]] = []
        segments.append((0, SECTOR, 0, mbr.render_mbr(PARTITION_START_LBA, total_sectors, serial),
                         "the MBR (partition table)", 0))
        boot = self._boot_region(geometry, used, serial)
        segments.append((part_start, part_start + len(boot), 0, boot, "the FAT32 boot sectors and FSInfo", 0))
        fat = _render_fat(next_cluster, chain_ends)
        segments.append((fat1, fat1 + len(fat), 0, fat, "the first FAT", 0))
        segments.append((fat2, fat2 + len(fat), 0, fat, "the second FAT", 0))
        for plan in dirs:
            blob = self._render_directory(plan, file_cluster)
            start = cluster_offset(plan.first_cluster)
            segments.append((start, start + len(blob), 0, blob, f"{plan.path} (directory)", 0))
        for item in files:
            pos = cluster_offset(file_cluster[id(item)])
            name = paths.get(id(item), item.name)
            held = self._memory.get(id(item))
            if held is not None:
                segments.append((pos, pos + len(held), 0, held, name, 0))
                continue
            in_file = 0
            for iso_offset, length in item.extents:
                segments.append((pos, pos + length, 1, iso_offset, name, in_file))
                pos += length
                in_file += length
        segments.sort(key=lambda seg: seg[0])
        self._starts = [seg[0] for seg in segments]
        self._ends = [seg[1] for seg in segments]
        self._kinds = [seg[2] for seg in segments]
        self._payloads = [seg[3] for seg in segments]
        self._labels = [seg[4] for seg in segments]
        self._file_skip = [seg[5] for seg in segments]

        self._layout = Fat32Layout(
            volume_label=self._label,
            names_from=tree.names_from,
            file_count=tree.file_count,
            dir_count=len(dirs),
            data_bytes=tree.data_bytes,
            cluster_size=cluster,
            cluster_count=cluster_count,
            used_clusters=used,
            free_bytes=(cluster_count - used) * cluster,
            reserved_sectors=reserved,
            fat_sectors=fat_sectors,
            partition_start=part_start,
            partition_size=total_sectors * SECTOR,
            image_size=self._size,
            disk_signature=serial,
            skipped=list(tree.skipped),
        )

    def _plan_directories(self) -> list[_DirPlan]:
        """Short names (and which need long-name entries) for every directory, root first."""
        plans: list[_DirPlan] = []
        self._plan_by_node: dict[int, _DirPlan] = {}
        for path, node in self._tree.root.walk():
            plan = _DirPlan(path=path, node=node, parent_cluster=0, is_root=path == "/")
            allocator = fat_names.ShortNameAllocator()
            children: list[tuple[str, bool, IsoDir | IsoFile]] = \
                [(d.name, True, d) for d in node.dirs] + [(f.name, False, f) for f in node.files]
            seen: dict[str, str] = {}
            named: list[tuple[str, bool, IsoDir | IsoFile]] = []
            for name, is_dir, child in children:
                where = f"{self.iso_path}: {path.rstrip('/')}/{name}"
                long_name = fat_names.fat_long_name(name, where)
                key = long_name.casefold()
                if key in seen:
                    raise BadInput(
                        f"{where}: clashes with {seen[key]!r} on FAT, which ignores upper/lower case",
                        "This ISO cannot be copied to a FAT32 stick; write it raw if it is hybrid.",
                    )
                seen[key] = name
                named.append((long_name, is_dir, child))
            # 8.3 names first, so generated "~N" names never steal a real one.
            for long_name, _, _ in named:
                if fat_names.is_short_name(long_name):
                    allocator.reserve(fat_names.pack_short_name(long_name))
            slots = 1 if plan.is_root else 2  # volume label, or "." and ".."
            for long_name, is_dir, child in named:
                if fat_names.is_short_name(long_name):
                    plan.entries.append((None, fat_names.pack_short_name(long_name), is_dir, child))
                    slots += 1
                else:
                    short = allocator.generate(long_name)
                    plan.entries.append((long_name, short, is_dir, child))
                    slots += 1 + math.ceil((len(long_name.encode("utf-16-le")) // 2 + 1) / 13)
            if slots > 65536:
                raise BadInput(f"{self.iso_path}: {path} holds more entries than a FAT directory can",
                               "This ISO cannot be copied to a FAT32 stick.")
            plan.entry_slots = slots
            plans.append(plan)
            self._plan_by_node[id(node)] = plan
        return plans

    def _render_directory(self, plan: _DirPlan, file_cluster: dict[int, int]) -> bytes:
        out = bytearray()
        node = plan.node
        if plan.is_root:
            stamp = max((f.mtime for _, f in node.iter_files()), default=FAT_EPOCH)
            out += _dir_entry(self._label.ljust(11).encode("ascii"), ATTR_VOLUME_ID, 0, 0, stamp)
        else:
            out += _dir_entry(b".          ", ATTR_DIRECTORY, plan.first_cluster, 0, node.mtime)
            out += _dir_entry(b"..         ", ATTR_DIRECTORY, plan.parent_cluster, 0, node.mtime)
        for long_name, short, is_dir, child in plan.entries:
            if long_name is not None:
                for entry in fat_names.lfn_entries(long_name, short):
                    out += entry
            hidden = ATTR_HIDDEN if child.hidden else 0
            if is_dir:
                assert isinstance(child, IsoDir)
                first = self._plan_by_node[id(child)].first_cluster
                out += _dir_entry(short, ATTR_DIRECTORY | hidden, first, 0, child.mtime)
            else:
                assert isinstance(child, IsoFile)
                first = file_cluster.get(id(child), 0)  # empty files own no cluster
                out += _dir_entry(short, ATTR_ARCHIVE | hidden, first, child.size, child.mtime)
        return bytes(out)

    def _volume_serial(self) -> int:
        """A serial derived from the ISO's identity, so the same ISO gives the same image."""
        with open(self.iso_path, "rb") as handle:
            handle.seek(16 * 2048)
            descriptor = handle.read(2048)
        return zlib.crc32(descriptor + str(self._tree.iso_size).encode()) or 1

    def _boot_region(self, geometry: _Geometry, used: int, serial: int) -> bytes:
        reserved, fat_sectors, cluster_count, total_sectors = geometry
        cluster = self._cluster
        boot = bytearray(SECTOR)
        _BOOT_SECTOR.pack_into(
            boot, 0,
            b"\xeb\x58\x90", b"ECSFIELD", SECTOR, cluster // SECTOR, reserved, 2, 0, 0,
            MEDIA_FIXED, 0, 63, 255, PARTITION_START_LBA, total_sectors, fat_sectors,
            0, 0, ROOT_CLUSTER, FSINFO_SECTOR, BACKUP_BOOT_SECTOR, bytes(12),
            0x80, 0, 0x29, serial, self._label.ljust(11).encode("ascii"), b"FAT32   ",
        )
        stub = mbr.bios_message_stub(0x7C00 + _BOOT_SECTOR.size, mbr.UEFI_ONLY_MESSAGE)
        boot[_BOOT_SECTOR.size: _BOOT_SECTOR.size + len(stub)] = stub
        boot[510:512] = b"\x55\xaa"
        fsinfo = bytearray(SECTOR)
        struct.pack_into("<I", fsinfo, 0, 0x41615252)
        struct.pack_into("<III", fsinfo, 484, 0x61417272, cluster_count - used, ROOT_CLUSTER + used)
        struct.pack_into("<I", fsinfo, 508, 0xAA550000)
        region = bytearray(SECTOR * (BACKUP_BOOT_SECTOR + 2))
        region[0:SECTOR] = boot
        region[SECTOR * FSINFO_SECTOR: SECTOR * (FSINFO_SECTOR + 1)] = fsinfo
        backup = SECTOR * BACKUP_BOOT_SECTOR
        region[backup: backup + SECTOR] = boot
        region[backup + SECTOR: backup + 2 * SECTOR] = fsinfo
        return bytes(region)


def _copy_dir(folder: IsoDir) -> IsoDir:
    """A copy of the folder tree's structure (IsoDir objects); the IsoFile entries are shared."""
    return IsoDir(folder.name, folder.mtime, folder.hidden, [_copy_dir(d) for d in folder.dirs],
                  list(folder.files))


def _find(root: IsoDir, path: str) -> tuple[IsoDir | None, IsoFile | None]:
    """The folder and file at ``path``, matched as FAT does (upper/lower case alike)."""
    *parts, leaf = path.strip("/").split("/")
    folder = root
    for part in parts:
        found = next((d for d in folder.dirs if d.name.casefold() == part.casefold()), None)
        if found is None:
            return None, None
        folder = found
    item = next((f for f in folder.files if f.name.casefold() == leaf.casefold()), None)
    return folder, item


def add_kickstart_option(boot_cfg: bytes, where: str = "boot.cfg") -> bytes:
    """``boot_cfg`` with ``ks=usb:/KS.CFG`` in its ``kernelopt=`` line (an existing ``ks=`` option is
    replaced; a missing line is added after ``kernel=``). Everything else stays byte for byte,
    line endings included."""
    try:
        text = boot_cfg.decode("ascii")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{where}: is not a boot.cfg (not ASCII text)",
                       "Use an ESXi/ECS installer ISO, or write without --kickstart.") from exc
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    for number, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if body.strip().startswith("kernelopt="):
            key, _, value = body.partition("=")
            options = [word for word in value.split() if not word.startswith("ks=")]
            options.append(KICKSTART_BOOT_OPTION)
            lines[number] = f"{key}={' '.join(options)}" + line[len(body):]
            return "".join(lines).encode("ascii")
    option = f"kernelopt={KICKSTART_BOOT_OPTION}{newline}"
    for number, line in enumerate(lines):
        if line.strip().startswith("kernel="):
            if not line.endswith(("\n", "\r")):
                lines[number] = line + newline
            lines.insert(number + 1, option)
            return "".join(lines).encode("ascii")
    raise BadInput(f"{where}: has no kernel= line: not an ESXi boot.cfg",
                   "Use an ESXi/ECS installer ISO, or write without --kickstart.")


class _Geometry(NamedTuple):
    reserved: int  # sectors before FAT #1 (boot sectors + padding to align the data area)
    fat_sectors: int  # per FAT
    cluster_count: int
    total_sectors: int  # of the partition


def _geometry(used: int, min_free: int, cluster: int) -> _Geometry:
    per_cluster = cluster // SECTOR
    count = max(used + math.ceil(min_free / cluster), MIN_CLUSTERS)
    for _ in range(16):
        fat_sectors = math.ceil((count + 2) * 4 / SECTOR)
        meta = MIN_RESERVED_SECTORS + 2 * fat_sectors
        reserved = MIN_RESERVED_SECTORS + (-meta) % DATA_ALIGN_SECTORS
        data_start = reserved + 2 * fat_sectors
        # The partition (and so the image) ends on a MiB; the rounding becomes free clusters.
        total = data_start + count * per_cluster
        total += (-total) % DATA_ALIGN_SECTORS
        grown = (total - data_start) // per_cluster
        if math.ceil((grown + 2) * 4 / SECTOR) <= fat_sectors:
            return _Geometry(reserved, fat_sectors, grown, total)
        count = grown
    raise AssertionError("FAT32 geometry did not converge")  # pragma: no cover


def _render_fat(next_cluster: int, chain_ends: list[int]) -> bytes:
    """The used part of the FAT: every chain is contiguous, so entry n holds n + 1 except at
    chain ends. Built in C via array(range()), not one Python step per cluster."""
    table = array("I", range(1, next_cluster + 1))
    if table.itemsize != 4:  # pragma: no cover - no such platform in practice
        table = array("L", range(1, next_cluster + 1))
    table[0] = 0x0FFFFF00 | MEDIA_FIXED
    table[1] = END_OF_CHAIN  # clean-shutdown and no-error bits set
    for end in chain_ends:
        table[end] = END_OF_CHAIN
    if sys.byteorder != "little":  # pragma: no cover
        table.byteswap()
    return table.tobytes()


def build_stick_image(
    iso_path: Path,
    out_path: Path,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    block_size: int = 4 << 20,
    **options: Any,
) -> Fat32Layout:
    """Write the stick image for ``iso_path`` to the file ``out_path`` (tests, benchmarks,
    "make an image to write later"). Written to a temporary file and renamed, so a cancelled
    or failed run never leaves a half image under the final name."""
    report = progress or ignore_progress
    out_path = Path(out_path)
    tmp = out_path.with_name(f".{out_path.name}.part")
    meter = RateMeter()
    with Fat32StickSource(Path(iso_path), **options) as source:
        total = source.size_bytes
        buffer = bytearray(block_size)
        view = memoryview(buffer)
        try:
            with open(tmp, "wb") as handle:
                done = 0
                while done < total:
                    if cancel is not None:
                        cancel.check()
                    got = source.read_into(done, view)
                    handle.write(view[:got])
                    done += got
                    report(meter.progress("write", done, total, source.description))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, out_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return source.layout


__all__ = [
    "BOOT_CFG_PATHS",
    "DEFAULT_MIN_FREE_BYTES",
    "KICKSTART_BOOT_OPTION",
    "KICKSTART_NAME",
    "Fat32Layout",
    "Fat32StickSource",
    "add_kickstart_option",
    "build_stick_image",
    "choose_cluster_size",
]
