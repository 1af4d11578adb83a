"""`image inspect` says what `write` does (issue 8, safety items 4 and 5): no contradictions, non-bootable
images named as such, truncated images refused, FIFOs never opened, files FAT32 cannot hold."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

import ecs_field.media.image.inspect as image_module
from ecs_field.errors import BadInput
from ecs_field.media.image.inspect import check_not_truncated, inspect_image
from ecs_field.media.image.iso_tree import IsoFile, read_iso_tree
from ecs_field.media.write.writejob import NotBootable, resolve_mode
from tests.clirun import run_cli, run_process
from tests.unit.media.test_image_inspect import build_esxi_iso, build_hybrid_iso, pytestmark  # noqa: F401

CONTRADICTION = ("El Torito only", "no El Torito boot record")


def build_plain_iso(root: Path, *, with_loader: bool = False) -> Path:
    """A data ISO as a backup or a driver bundle is: no El Torito, no hybrid MBR."""
    src = root / "plain-src"
    (src / "docs").mkdir(parents=True)
    (src / "docs" / "README.TXT").write_text("site survey\n")
    (src / "VIB.ZIP").write_bytes(os.urandom(40000))
    if with_loader:
        (src / "EFI" / "BOOT").mkdir(parents=True)
        (src / "EFI" / "BOOT" / "BOOTX64.EFI").write_bytes(b"MZ" + bytes(8190))
    iso = root / ("plain-loader.iso" if with_loader else "plain.iso")
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-o", str(iso), "-V", "DRIVERS", "-J", "-R",
                    str(src)], check=True, capture_output=True)
    return iso


def notes_agree(notes: list[str]) -> bool:
    return not all(any(phrase in n for n in notes) for phrase in CONTRADICTION)


def test_a_plain_data_iso_is_not_bootable_and_says_so_once(tmp_path: Path) -> None:
    iso = build_plain_iso(tmp_path)
    info = inspect_image(iso)
    assert info.format == "iso9660" and not info.el_torito and not info.hybrid
    assert info.write_mode is None and info.bootable is False
    assert "plain data ISO" in info.refusal and "not an ESXi installer" in info.refusal
    assert notes_agree(info.notes) and not any("El Torito only" in n for n in info.notes)
    document = info.to_dict()
    assert document["write_mode"] == "raw" and document["bootable"] is False  # only --mode raw writes it
    assert "not recognised as bootable" in document["auto_refusal"]
    with pytest.raises(NotBootable) as caught:
        resolve_mode(iso, "auto")
    assert caught.value.exit_code == 2
    assert "plain data ISO" in caught.value.message and "--mode raw" in caught.value.message
    assert resolve_mode(iso, "raw") == "raw"  # the explicit mode writes it anyway


def test_every_iso_gets_one_consistent_explanation(tmp_path: Path) -> None:
    builders = [("esxi", build_esxi_iso), ("hybrid", build_hybrid_iso), ("plain", build_plain_iso),
                ("loader", lambda r: build_plain_iso(r, with_loader=True))]
    for folder, build in builders:
        root = tmp_path / folder
        root.mkdir()
        info = inspect_image(build(root))
        assert notes_agree(info.notes), (folder, info.notes)
        assert (info.write_mode is None) == bool(info.refusal), folder
    # an ISO with an EFI loader but no El Torito record: UEFI boots the FAT32 stick
    info = inspect_image(tmp_path / "loader" / "plain-loader.iso")
    assert info.write_mode == "uefi-fat32" and info.bootable
    assert any(n.startswith("no El Torito boot record, no hybrid MBR") for n in info.notes)


def test_inspect_human_output_says_write_refuses_a_plain_iso(tmp_path: Path) -> None:
    done = run_cli("image", "inspect", str(build_plain_iso(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "Write mode:  none: `write` refuses it in auto mode" in done.stdout
    assert "--mode raw" in done.stdout
    assert "El Torito only" not in done.stdout


def test_a_hybrid_iso_cut_to_its_first_sector_is_truncated_in_inspect_and_every_mode(tmp_path: Path) -> None:
    iso = build_hybrid_iso(tmp_path)
    cut = tmp_path / "cut.iso"
    cut.write_bytes(iso.read_bytes()[:512])
    with pytest.raises(BadInput, match=r"cut\.iso is truncated: its partition table describes") as caught:
        inspect_image(cut)
    assert caught.value.exit_code == 2
    for mode in ("auto", "raw", "uefi-fat32"):
        with pytest.raises(BadInput, match="truncated"):
            resolve_mode(cut, mode)
    done = run_cli("image", "inspect", str(cut), "--json")
    assert done.returncode == 2 and done.stdout == "" and "truncated" in done.stderr


def test_an_iso_volume_larger_than_the_file_is_truncated_in_raw_mode_too(tmp_path: Path) -> None:
    iso = build_esxi_iso(tmp_path)
    cut = tmp_path / "half.iso"
    cut.write_bytes(iso.read_bytes()[: iso.stat().st_size - 4096])
    with pytest.raises(BadInput, match=r"half\.iso is truncated: the ISO says it holds"):
        check_not_truncated(cut)
    with pytest.raises(BadInput, match="truncated"):
        resolve_mode(cut, "raw")
    check_not_truncated(iso)  # the whole file passes


def test_a_file_over_4_gib_makes_inspect_and_write_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    iso = build_esxi_iso(tmp_path)
    real = read_iso_tree

    def with_a_huge_file(path, handle=None):  # type: ignore[no-untyped-def]
        tree = real(path, handle)
        # The tree as ISO 9660 level 3 would give it for a 5 GiB file in two extents.
        tree.root.files.append(IsoFile(name="HUGE.VMDK", size=5 << 30,
                                       extents=((0, 4 << 30), (0, 1 << 30))))
        return tree

    monkeypatch.setattr("ecs_field.media.image.iso_tree.read_iso_tree", with_a_huge_file)
    info = inspect_image(iso)
    assert info.write_mode is None
    assert "not writable as FAT32: /HUGE.VMDK is 5368709120 bytes" in info.refusal
    done = run_cli("image", "inspect", str(iso))
    assert done.returncode == 0 and "not writable as FAT32: /HUGE.VMDK" in done.stdout
    assert "uefi-fat32 (" not in done.stdout
    with pytest.raises(NotBootable, match=r"not writable as FAT32: /HUGE\.VMDK"):
        resolve_mode(iso, "auto")
    # a hybrid ISO holding the same file is simply written raw
    (tmp_path / "h").mkdir()
    assert inspect_image(build_hybrid_iso(tmp_path / "h")).write_mode == "raw"


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "esxi.iso"
    os.mkfifo(fifo)
    outcome: dict[str, object] = {}

    def inspect() -> None:
        try:
            inspect_image(fifo)
        except BadInput as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=inspect, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # unblock the test process before failing
        with open(fifo, "wb"):
            pass
        pytest.fail("inspecting a FIFO blocked")
    error = outcome["error"]
    assert isinstance(error, BadInput) and error.exit_code == 2
    assert "is a FIFO (named pipe), not an image file" in error.message
    done = run_cli("image", "inspect", str(fifo), "--json")
    assert done.returncode == 2 and "FIFO" in done.stderr
    with pytest.raises(BadInput, match="FIFO"):
        check_not_truncated(fifo)
    # the writer and the library never open it either (a child process: a hang fails, not blocks)
    for args in (["write", str(fifo), "/dev/null", "--yes"], ["images", "add", str(fifo)]):
        done = run_process(*args, timeout=60)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr


def test_a_real_iso_tree_matches_what_inspect_counts(tmp_path: Path) -> None:
    iso = build_esxi_iso(tmp_path)
    assert inspect_image(iso).files == read_iso_tree(iso).file_count
    assert json.loads(run_cli("image", "inspect", str(iso), "--json").stdout)["bootable"] is True
    assert image_module.FAT32_MAX_FILE == 2**32 - 1
