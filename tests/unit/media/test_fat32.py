"""The FAT32 stick image synthesised from an ISO, checked with independent real tools:
fsck.fat for the file system, mtools for reading files back, xorriso as the ISO oracle."""

from __future__ import annotations

import hashlib
import os
import random
import struct
import subprocess
from pathlib import Path

import pytest

from ecs_field.errors import BadInput, Cancelled
from ecs_field.events import CancelToken, Progress
from ecs_field.media.image.fat32 import (
    MIN_CLUSTERS,
    Fat32StickSource,
    build_stick_image,
    choose_cluster_size,
)
from ecs_field.media.image.iso_tree import IsoDir, IsoFile, IsoTree, read_iso_tree
from tests.conftest import have
from tests.fixtures.efi.esxi_like_iso import BuiltIso, build_esxi_like_iso, extract_iso

pytestmark = pytest.mark.skipif(
    not all(have(t) for t in ("xorriso", "mcopy", "mkfs.fat", "fsck.fat")),
    reason="needs xorriso, mtools and dosfstools",
)

MIB = 1024 * 1024
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}


def _tree_digest(root: Path) -> dict[str, str]:
    """Every file and folder below ``root``: relative path -> sha256 (or "dir")."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        found[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _stream(source: Fat32StickSource, block: int = 4 * MIB) -> bytes:
    out = bytearray(source.size_bytes)
    view = memoryview(out)
    done = 0
    while done < source.size_bytes:
        got = source.read_into(done, view[done: done + block])
        assert got > 0
        done += got
    return bytes(out)


def _fsck(image: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    """fsck.fat -n on the partition, cut out of the disk image at 1 MiB."""
    part = tmp / "partition.img"
    with open(image, "rb") as src, open(part, "wb") as dst:
        src.seek(MIB)
        while chunk := src.read(4 * MIB):
            dst.write(chunk)
    return subprocess.run(["fsck.fat", "-n", "-v", str(part)], capture_output=True, text=True)


def _mtools_tree(image: Path, target: Path) -> dict[str, str]:
    target.mkdir()
    subprocess.run(["mcopy", "-s", "-n", "-m", "-i", f"{image}@@{MIB}", "::*", str(target)],
                   check=True, capture_output=True, env=MTOOLS_ENV)
    return _tree_digest(target)


@pytest.fixture(scope="module")
def esxi_iso(tmp_path_factory: pytest.TempPathFactory) -> BuiltIso:
    return build_esxi_like_iso(tmp_path_factory.mktemp("iso"))


@pytest.fixture(scope="module")
def stick(esxi_iso: BuiltIso, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    image = tmp_path_factory.mktemp("stick") / "stick.img"
    build_stick_image(esxi_iso.iso, image)
    return esxi_iso.iso, image


def test_every_iso_file_is_on_the_stick_with_the_same_bytes(stick: tuple[Path, Path], tmp_path: Path) -> None:
    iso, image = stick
    extract_iso(iso, tmp_path / "from-iso")
    expected = _tree_digest(tmp_path / "from-iso")
    got = _mtools_tree(image, tmp_path / "from-stick")
    assert got == expected
    # What the ESXi boot needs, by name, exactly as the ISO spells it.
    for name in ("BOOT.CFG", "EFI/BOOT/BOOTX64.EFI", "B.B00", "USEROPTS.GZ", "BOOT.CAT",
                 "Release Notes.html", "lower.cfg", "DEEP/L2/L3/L4/L5/L6/L7/L8/L9/LEAF.TXT"):
        assert name in got, name
    assert (tmp_path / "from-stick" / "USEROPTS.GZ").stat().st_size == 0


def test_fsck_finds_a_clean_fat32(stick: tuple[Path, Path], tmp_path: Path) -> None:
    _, image = stick
    result = _fsck(image, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "32 bit entries" in result.stdout
    clusters = int(result.stdout.split(" data clusters")[0].split()[-1])
    assert clusters >= 65525


def test_mbr_has_one_active_fat32_lba_partition_at_1mib(stick: tuple[Path, Path]) -> None:
    _, image = stick
    data = image.read_bytes()
    mbr = data[:512]
    assert mbr[510:512] == b"\x55\xaa"
    assert struct.unpack_from("<I", mbr, 440)[0] != 0  # disk signature
    status, ptype, start, count = mbr[446], mbr[446 + 4], *struct.unpack_from("<II", mbr, 446 + 8)
    assert (status, ptype, start) == (0x80, 0x0C, 2048)
    assert (start + count) * 512 == len(data)  # the image ends where the partition ends
    assert mbr[462:510] == bytes(48)  # the other three entries are empty
    boot = data[MIB: MIB + 512]
    assert boot[510:512] == b"\x55\xaa" and boot[82:90] == b"FAT32   "
    assert data[MIB + 6 * 512: MIB + 7 * 512] == boot  # backup boot sector
    assert boot[71:82] == b"ESXI-8_0U3-"  # volume label from the ISO volume id


def test_volume_label_and_names_as_mtools_sees_them(stick: tuple[Path, Path]) -> None:
    _, image = stick
    listing = subprocess.run(["mdir", "-i", f"{image}@@{MIB}", "::/"], capture_output=True, text=True,
                             check=True, env=MTOOLS_ENV).stdout
    assert "Volume in drive : is ESXI-8_0U3-" in listing
    assert "Release Notes.html" in listing  # long name kept through VFAT entries
    assert "RELEAS~1 HTM" in listing  # with a Windows-style short alias


def test_esxi_8_3_names_need_no_long_name_entries(tmp_path: Path) -> None:
    built = build_esxi_like_iso(tmp_path, names="iso9660", random_bytes=64 * 1024)
    with Fat32StickSource(built.iso, min_free_bytes=0) as source:
        assert source.layout.names_from == "iso9660"
        image = _stream(source)
        lay = source.layout
    root = lay.partition_start + (lay.reserved_sectors + 2 * lay.fat_sectors) * 512
    entries = [image[root + i: root + i + 32] for i in range(0, lay.cluster_size, 32)]
    used = [e for e in entries if e[0] != 0]
    assert used and all(e[11] != 0x0F for e in used)  # no LFN entries at all
    names = {e[:11].decode() for e in used}
    assert {"BOOT    CFG", "B       B00", "EFI        ", "USEROPTSGZ "} <= names
    image_file = tmp_path / "stick.img"
    image_file.write_bytes(image)
    extract_iso(built.iso, tmp_path / "from-iso")
    expected = _tree_digest(tmp_path / "from-iso")
    got = _mtools_tree(image_file, tmp_path / "out")
    assert got == expected
    assert set(_tree_digest(built.tree)) | {"BOOT.CAT"} == set(got)  # the names the author chose


def test_joliet_names_are_used_without_rock_ridge(tmp_path: Path) -> None:
    built = build_esxi_like_iso(tmp_path, names="joliet", random_bytes=64 * 1024)
    image = tmp_path / "stick.img"
    layout = build_stick_image(built.iso, image, min_free_bytes=0)
    assert layout.names_from == "joliet"
    got = _mtools_tree(image, tmp_path / "out")
    assert "Release Notes.html" in got and "lower.cfg" in got


def test_random_reads_equal_the_sequential_stream(stick: tuple[Path, Path]) -> None:
    iso, image = stick
    whole = image.read_bytes()
    rng = random.Random(7)
    with Fat32StickSource(iso) as source:
        assert source.size_bytes == len(whole)
        # Interesting places: MBR, boot sectors, FATs, directories, file data, free space, end.
        lay = source.layout
        spots = [0, 510, MIB - 3, MIB, MIB + 6 * 512, lay.partition_start + lay.reserved_sectors * 512 - 5,
                 len(whole) - 100, len(whole) - 1]
        spots += [rng.randrange(len(whole)) for _ in range(200)]
        for offset in spots:
            length = rng.choice([1, 7, 512, 4096, 65536, 3 * MIB])
            buffer = bytearray(b"\xaa" * length)
            got = source.read_into(offset, memoryview(buffer))
            expected = whole[offset: offset + length]
            assert got == len(expected)
            assert bytes(buffer[:got]) == expected, offset
        assert source.read_into(len(whole), memoryview(bytearray(10))) == 0
        # The path for platforms without os.preadv (Windows) gives the same bytes.
        source._preadv = None
        for offset in spots[:50]:
            buffer = bytearray(256 * 1024)
            got = source.read_into(offset, memoryview(buffer))
            assert bytes(buffer[:got]) == whole[offset: offset + 256 * 1024]


def test_same_iso_gives_the_same_image(stick: tuple[Path, Path]) -> None:
    iso, image = stick
    with Fat32StickSource(iso) as source:
        assert hashlib.sha256(_stream(source, block=3 * MIB + 512)).digest() == \
            hashlib.sha256(image.read_bytes()).digest()


def test_timestamps_come_from_the_iso(tmp_path: Path) -> None:
    built = build_esxi_like_iso(tmp_path, random_bytes=4096)
    stamp = 1620304496  # 2021-05-06 12:34:56 UTC
    os.utime(built.tree / "BOOT.CFG", (stamp, stamp))
    iso = tmp_path / "dated.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-o", str(iso), str(built.tree)],
                   check=True, capture_output=True, env={**os.environ, "TZ": "UTC"})
    image = tmp_path / "stick.img"
    build_stick_image(iso, image, min_free_bytes=0)
    listing = subprocess.run(["mdir", "-i", f"{image}@@{MIB}", "::/BOOT.CFG"], capture_output=True,
                             text=True, check=True, env=MTOOLS_ENV).stdout
    assert "2021-05-06  12:34" in listing


def test_free_space_and_cluster_size_follow_the_request(esxi_iso: BuiltIso) -> None:
    with Fat32StickSource(esxi_iso.iso, min_free_bytes=300 * MIB) as big:
        assert big.layout.free_bytes >= 300 * MIB
        assert big.layout.cluster_size == 4096
        assert big.layout.cluster_count >= MIN_CLUSTERS
    with Fat32StickSource(esxi_iso.iso, min_free_bytes=0) as small:
        # Even a tiny ISO gets the 65525+ clusters FAT32 needs.
        assert small.layout.cluster_count >= MIN_CLUSTERS
        assert small.layout.image_size % MIB == 0
        assert small.file_count == read_iso_tree(esxi_iso.iso).file_count
        assert "FAT32" in small.layout_summary()


def test_cluster_size_table() -> None:
    assert choose_cluster_size(100 * MIB) == 512
    assert choose_cluster_size(2 * 1024 * MIB) == 4096
    assert choose_cluster_size(10 * 1024 * MIB) == 8192
    assert choose_cluster_size(20 * 1024 * MIB) == 16384
    assert choose_cluster_size(64 * 1024 * MIB) == 32768


def test_names_that_clash_on_fat_are_refused(tmp_path: Path) -> None:
    built = build_esxi_like_iso(tmp_path, random_bytes=1024, extra_files={"readme": b"a", "README": b"b"})
    with pytest.raises(BadInput, match=r"README|readme") as info:
        Fat32StickSource(built.iso)
    assert "upper/lower case" in str(info.value)


def test_files_of_4gib_or_more_are_refused(tmp_path: Path) -> None:
    fake_iso = tmp_path / "fake.iso"
    fake_iso.write_bytes(bytes(64 * 1024))
    huge = IsoFile(name="HUGE.BIN", size=5 << 30, extents=((0, 4 << 30), (4 << 30, 1 << 30)))
    tree = IsoTree(root=IsoDir(name="", files=[huge]), volume_id="X", names_from="iso9660",
                   iso_size=6 << 30)
    with pytest.raises(BadInput, match="4 GiB") as info:
        Fat32StickSource(fake_iso, tree=tree)
    assert "HUGE.BIN" in str(info.value)


def test_multi_extent_files_are_joined(tmp_path: Path) -> None:
    """A file in several ISO extents (ISO 9660 level 3) comes out as one contiguous file."""
    backing = tmp_path / "fake.iso"
    rng = random.Random(3)
    data = rng.randbytes(200 * 1024)
    backing.write_bytes(data)
    parts = ((100 * 1024, 40 * 1024), (8 * 1024, 30 * 1024 + 17))
    joined = b"".join(data[o: o + n] for o, n in parts)
    item = IsoFile(name="SPLIT.BIN", size=len(joined), extents=parts)
    tree = IsoTree(root=IsoDir(name="", dirs=[IsoDir(name="SUB", files=[item])]), volume_id="MULTI",
                   names_from="iso9660", iso_size=len(data))
    with Fat32StickSource(backing, tree=tree, min_free_bytes=0) as source:
        image = tmp_path / "stick.img"
        image.write_bytes(_stream(source))
    out = subprocess.run(["mcopy", "-i", f"{image}@@{MIB}", "::/SUB/SPLIT.BIN", "-"], capture_output=True,
                         check=True, env=MTOOLS_ENV).stdout
    assert out == joined
    assert _fsck(image, tmp_path).returncode == 0


def test_not_an_iso_is_bad_input(tmp_path: Path) -> None:
    junk = tmp_path / "junk.iso"
    junk.write_bytes(os.urandom(100 * 1024))
    with pytest.raises(BadInput, match=r"junk\.iso"):
        Fat32StickSource(junk)
    with pytest.raises(BadInput, match="no such file"):
        Fat32StickSource(tmp_path / "missing.iso")


def test_truncated_iso_is_bad_input(esxi_iso: BuiltIso, tmp_path: Path) -> None:
    cut = tmp_path / "cut.iso"
    cut.write_bytes(esxi_iso.iso.read_bytes()[: 400 * 1024])
    with pytest.raises(BadInput, match=r"cut\.iso") as info:
        Fat32StickSource(cut)
    assert info.value.hint


def test_build_reports_progress_and_cancel_leaves_no_file(esxi_iso: BuiltIso, tmp_path: Path) -> None:
    seen: list[Progress] = []
    out = tmp_path / "stick.img"
    layout = build_stick_image(esxi_iso.iso, out, progress=seen.append, block_size=MIB, min_free_bytes=0)
    assert seen[-1].bytes_done == seen[-1].bytes_total == layout.image_size == out.stat().st_size

    token = CancelToken()

    def cancel_soon(event: Progress) -> None:
        if event.bytes_done >= 3 * MIB:
            token.cancel()

    other = tmp_path / "cancelled.img"
    with pytest.raises(Cancelled):
        build_stick_image(esxi_iso.iso, other, progress=cancel_soon, cancel=token, block_size=MIB)
    assert not other.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_symlinks_are_skipped_and_relocated_deep_folders_kept(tmp_path: Path) -> None:
    src = tmp_path / "src"
    deep = src / "A" / "B" / "C" / "D" / "E" / "F" / "G" / "H" / "I"
    deep.mkdir(parents=True)
    (deep / "LEAF.TXT").write_text("leaf\n")
    (src / "BOOT.CFG").write_text("kernel=/b.b00\n")
    (src / "link.cfg").symlink_to("BOOT.CFG")
    iso = tmp_path / "deep.iso"
    # deep_paths_off makes xorriso relocate deep folders (Rock Ridge CL/PL/RE entries).
    subprocess.run(["xorriso", "-compliance", "deep_paths_off", "-outdev", str(iso), "-map", str(src), "/",
                    "-commit"], check=True, capture_output=True)
    with Fat32StickSource(iso, min_free_bytes=0) as source:
        assert source.layout.skipped == ["/link.cfg"]
        image = tmp_path / "stick.img"
        image.write_bytes(_stream(source))
    got = _mtools_tree(image, tmp_path / "out")
    assert got["A/B/C/D/E/F/G/H/I/LEAF.TXT"] == hashlib.sha256(b"leaf\n").hexdigest()
    assert "link.cfg" not in got
    assert not any("rr_moved" in name.lower() for name in got)


def test_hidden_iso_entries_stay_hidden_on_fat(tmp_path: Path) -> None:
    backing = tmp_path / "fake.iso"
    backing.write_bytes(b"x" * 4096)
    tree = IsoTree(
        root=IsoDir(name="", files=[IsoFile(name="SECRET.BIN", size=10, extents=((0, 10),), hidden=True),
                                    IsoFile(name="PLAIN.BIN", size=10, extents=((10, 10),))]),
        volume_id="", names_from="iso9660", iso_size=4096,
    )
    with Fat32StickSource(backing, tree=tree, min_free_bytes=0) as source:
        image = tmp_path / "stick.img"
        image.write_bytes(_stream(source))
        assert source.layout.volume_label == "NO NAME"
    attrs = subprocess.run(["mattrib", "-i", f"{image}@@{MIB}", "::/SECRET.BIN", "::/PLAIN.BIN"],
                           capture_output=True, text=True, check=True, env=MTOOLS_ENV).stdout.splitlines()
    secret = next(line for line in attrs if "SECRET" in line)
    plain = next(line for line in attrs if "PLAIN" in line)
    assert "H" in secret.split(":")[0] and "H" not in plain.split(":")[0]
