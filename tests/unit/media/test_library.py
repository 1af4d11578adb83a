"""The image library: add (copy / reference), index, verify quick and full, corrupt index."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ecs_field import paths
from ecs_field.errors import BadInput, Cancelled, DeviceError, VerifyMismatch
from ecs_field.events import CancelToken, Progress
from ecs_field.media.library.hashing import normalize_sha256
from ecs_field.media.library.store import SCHEMA, ImageLibrary, default_inspector
from ecs_field.storage import CorruptFile
from tests.conftest import needs_root

FAKE_INFO = {
    "format": "iso9660", "esxi": {"version": "8.0.3", "build": "24022510"}, "write_mode": "uefi-fat32",
}


def fake_inspector(path: Path) -> dict[str, Any]:
    if path.read_bytes()[:4] == b"JUNK":
        raise BadInput(f"{path}: not an ISO 9660 or disk image", "Pick the ESXi ISO.")
    return {"path": str(path), **FAKE_INFO}


def make_file(path: Path, size: int = 300_000, seed: int = 7) -> Path:
    path.write_bytes(seed.to_bytes(4, "little") * (size // 4))
    return path


@pytest.fixture()
def library() -> ImageLibrary:
    return ImageLibrary(inspector=fake_inspector)


def test_add_copies_with_hash_and_records_everything(library: ImageLibrary, tmp_path: Path) -> None:
    source = make_file(tmp_path / "ECS-8.0U3.iso")
    events: list[Progress] = []
    record = library.add(source, progress=events.append)

    target = paths.data_dir() / "images" / "ECS-8.0U3.iso"
    assert record.path == str(target) and target.read_bytes() == source.read_bytes()
    assert record.stored == "copy" and record.owned
    assert record.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert record.size_bytes == source.stat().st_size
    assert record.mtime_ns == target.stat().st_mtime_ns
    assert record.source == str(source.resolve())
    assert record.esxi == {"version": "8.0.3", "build": "24022510"} and record.write_mode == "uefi-fat32"
    assert record.inspect is not None and record.inspect["path"] == str(target)
    assert record.checksum_verified is False and record.checksum_source is None
    assert events and events[-1].bytes_done == source.stat().st_size

    index = json.loads((target.parent / "index.json").read_text())
    assert index["schema"] == SCHEMA
    assert [i["name"] for i in index["images"]] == ["ECS-8.0U3.iso"]
    assert ImageLibrary(inspector=None).get("ECS-8.0U3.iso").sha256 == record.sha256
    assert library.find_by_path(target) is not None


def test_add_with_matching_sha256_marks_verified(library: ImageLibrary, tmp_path: Path) -> None:
    source = make_file(tmp_path / "a.iso")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    record = library.add(source, sha256=digest.upper())
    assert record.checksum_verified and record.checksum_source == "--sha256"


def test_add_with_wrong_sha256_keeps_nothing(library: ImageLibrary, tmp_path: Path) -> None:
    source = make_file(tmp_path / "a.iso")
    with pytest.raises(VerifyMismatch, match=r"expected 0{64}"):
        library.add(source, sha256="0" * 64)
    assert library.list() == []
    assert [p.name for p in library.root.iterdir() if p.name not in (".index.lock",)] == []


def test_reference_stays_in_place_and_survives_remove(library: ImageLibrary, tmp_path: Path) -> None:
    source = make_file(tmp_path / "big.iso")
    record = library.add(source, copy=False)
    assert record.stored == "reference" and record.path == str(source.resolve())
    assert not (library.root / "big.iso").exists()
    library.remove("big.iso")
    assert source.exists() and library.list() == []


def test_remove_deletes_the_library_copy(library: ImageLibrary, tmp_path: Path) -> None:
    record = library.add(make_file(tmp_path / "a.iso"))
    library.remove("a.iso")
    assert not Path(record.path).exists()
    with pytest.raises(BadInput, match=r"No image named 'a\.iso'"):
        library.get("a.iso")


def test_duplicate_and_bad_names_are_refused(library: ImageLibrary, tmp_path: Path) -> None:
    library.add(make_file(tmp_path / "a.iso"))
    with pytest.raises(BadInput, match="already in the library"):
        library.add(make_file(tmp_path / "a.iso", seed=9))
    assert library.add(tmp_path / "a.iso", name="a-v2.iso").name == "a-v2.iso"
    for bad in ("../x.iso", ".hidden", "index.json", "x.iso.part", ""):
        with pytest.raises(BadInput):
            library.add(tmp_path / "a.iso", name=bad)


def test_not_an_image_is_refused_with_the_inspectors_message(library: ImageLibrary, tmp_path: Path) -> None:
    junk = tmp_path / "notes.iso"
    junk.write_bytes(b"JUNK" * 1000)
    with pytest.raises(BadInput, match="not an ISO 9660 or disk image"):
        library.add(junk)
    assert library.list() == [] and not (library.root / "notes.iso").exists()


def test_missing_source_is_bad_input(library: ImageLibrary, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="does not exist"):
        library.add(tmp_path / "nope.iso")


def test_cancelled_copy_leaves_no_partial_file(library: ImageLibrary, tmp_path: Path) -> None:
    source = make_file(tmp_path / "a.iso", size=3 << 20)
    token = CancelToken()

    def cancel_midway(event: Progress) -> None:
        if event.bytes_done >= 1 << 20:
            token.cancel()

    with pytest.raises(Cancelled):
        library.add(source, progress=cancel_midway, cancel=token)
    leftovers = [p.name for p in library.root.iterdir() if p.name != ".index.lock"]
    assert leftovers == []


def test_quick_verify_passes_then_detects_a_rewrite(library: ImageLibrary, tmp_path: Path) -> None:
    record = library.add(make_file(tmp_path / "a.iso"))
    report = library.verify("a.iso")
    assert report.ok and report.mode == "quick"
    assert "content not re-read" in report.notes[0]
    assert library.get("a.iso").last_check is not None

    target = Path(record.path)
    data = bytearray(target.read_bytes())
    data[1000] ^= 0xFF  # same size, different content, newer mtime
    target.write_bytes(bytes(data))
    os.utime(target, ns=(record.mtime_ns + 5_000_000_000, record.mtime_ns + 5_000_000_000))

    quick = library.verify("a.iso")
    assert not quick.ok
    assert any(p.startswith("modified time changed: recorded") for p in quick.problems)
    assert library.get("a.iso").last_check == {
        "at": library.get("a.iso").last_check["at"], "mode": "quick", "ok": False, "problems": quick.problems,
    }

    full = library.verify("a.iso", full=True)
    assert not full.ok
    new_digest = hashlib.sha256(bytes(data)).hexdigest()
    assert full.problems == [f"content changed: SHA-256 recorded {record.sha256}, now {new_digest}"]
    with pytest.raises(VerifyMismatch, match="content changed"):
        full.raise_if_bad()


def test_verify_reports_size_change_and_missing_file(library: ImageLibrary, tmp_path: Path) -> None:
    record = library.add(make_file(tmp_path / "a.iso"))
    target = Path(record.path)
    with target.open("ab") as handle:
        handle.write(b"x" * 10)
    report = library.verify("a.iso")
    size = record.size_bytes
    assert f"size changed: recorded {size} bytes, now {size + 10} bytes" in report.problems
    target.unlink()
    assert library.verify("a.iso", full=True).problems == [f"the file is missing: {target}"]


def test_full_verify_accepts_a_touched_file(library: ImageLibrary, tmp_path: Path) -> None:
    record = library.add(make_file(tmp_path / "a.iso"))
    target = Path(record.path)
    os.utime(target, ns=(record.mtime_ns + 10**9, record.mtime_ns + 10**9))
    assert not library.verify("a.iso").ok
    full = library.verify("a.iso", full=True)
    assert full.ok and any("content is identical" in n for n in full.notes)
    assert library.get("a.iso").mtime_ns == record.mtime_ns + 10**9
    assert library.verify("a.iso").ok  # quick is happy again


def test_corrupt_index_is_set_aside_and_reported(library: ImageLibrary, tmp_path: Path) -> None:
    record = library.add(make_file(tmp_path / "a.iso"))
    index = library.root / "index.json"
    index.write_text('{"schema": "ecs-field/image-library@1", "images": [ {"name": ')
    broken = index.read_bytes()

    with pytest.raises(CorruptFile) as caught:
        library.list()
    assert "set aside as index.json.corrupt-" in caught.value.message
    assert caught.value.aside.read_bytes() == broken  # kept for inspection, not overwritten
    assert not index.exists()

    # the library starts over empty, says which files it no longer knows, and takes them back in place
    assert library.list() == []
    assert library.unindexed_files() == [Path(record.path)]
    again = library.add(Path(record.path))
    assert again.sha256 == record.sha256 and again.path == record.path
    assert library.unindexed_files() == []


def test_index_of_another_schema_is_set_aside(library: ImageLibrary) -> None:
    (library.root / "index.json").write_text(json.dumps({"schema": "other@1", "images": []}))
    with pytest.raises(CorruptFile, match="schema is 'other@1'"):
        library.list()


def test_normalize_sha256() -> None:
    digest = "A" * 64
    assert normalize_sha256(f"  sha256:{digest} ") == "a" * 64
    with pytest.raises(BadInput, match="not a SHA-256"):
        normalize_sha256("abc")


def test_default_inspector_is_the_image_module_when_present() -> None:
    inspector = default_inspector()
    try:
        import ecs_field.media.image.inspect  # noqa: F401
    except ModuleNotFoundError:
        assert inspector is None
    else:
        assert inspector is not None


def test_recheck_before_write_finds_library_images_by_path(library: ImageLibrary, tmp_path: Path) -> None:
    record = library.add(make_file(tmp_path / "a.iso"))
    assert library.recheck_before_write(tmp_path / "a.iso") is None  # the source, not the library copy
    report = library.recheck_before_write(Path(record.path), full=True)
    assert report is not None and report.ok and report.mode == "full"
    report.raise_if_bad()


@needs_root
def test_full_disk_during_copy_keeps_nothing(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "ecs-field-test", str(tiny)], check=True)
    try:
        library = ImageLibrary(tiny / "images", inspector=fake_inspector)
        with pytest.raises(DeviceError) as caught:
            library.add(make_file(tmp_path / "big.iso", size=3 << 20))
        assert f"disk holding {tiny / 'images'}" in caught.value.message
        assert "Nothing was kept" in caught.value.message
        assert [p.name for p in (tiny / "images").iterdir() if p.name != ".index.lock"] == []
    finally:
        subprocess.run(["umount", str(tiny)], check=False)
