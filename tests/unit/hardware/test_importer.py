from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from ecs_field.errors import BadInput
from ecs_field.hardware.importer import ACCEPTED_HINT, KINDS, detect_kind, load_inputs
from ecs_field.hardware.inventory import Inventory
from tests.unit.hardware.conftest import FIXTURES

EXPECTED_KINDS = {
    "nuc11tnhi5-lspci-vvnn.txt": "lspci-vvnn",
    "multinic-4xi226-x710-lspci-vvnn.txt": "lspci-vvnn",
    "nuc12wshi7-lspci-nn.txt": "lspci-nn",
    "nuc11-lspci-n.txt": "lspci-nn",
    "usb-rtl8157-lsusb.txt": "lsusb",
    "usb-adapters-lsusb-v.txt": "lsusb-v",
    "nuc11tnhi5-dmidecode.txt": "dmidecode",
    "lenovo-m70q-gen2-dmidecode.txt": "dmidecode",
    "esxi-nuc11-nic-list.txt": "esxcli-nic-list",
    "esxi-nuc11-pci-list.txt": "esxcli-pci-list",
    "windows-nuc12wshi7.json": "windows-json",
    "macos-macmini8-1.json": "macos-json",
}


@pytest.mark.parametrize(("name", "kind"), sorted(EXPECTED_KINDS.items()))
def test_detect_kind_from_content(name: str, kind: str) -> None:
    assert detect_kind((FIXTURES / name).read_text()) == kind
    assert kind in KINDS


def test_inventory_json_round_trip(tmp_path: Path) -> None:
    inv = load_inputs([FIXTURES / "nuc12wshi7-lspci-nn.txt", FIXTURES / "nuc12wshi7-dmidecode.txt"])
    target = tmp_path / "box.json"
    target.write_text(json.dumps(inv.to_dict()))
    assert detect_kind(target.read_text()) == "inventory-json"
    again = load_inputs([target])
    assert again.platform == inv.platform
    assert [n.esxi_name for n in again.nics] == ["vmnic0"]
    assert again.cpu.hybrid is True


def test_merge_of_one_machine_keeps_every_source_and_the_richer_device() -> None:
    inv = load_inputs(
        [
            FIXTURES / "nuc11tnhi5-dmidecode.txt",
            FIXTURES / "nuc11-lspci-n.txt",  # poor: no names, no subsystem, no driver
            FIXTURES / "nuc11tnhi5-lspci-vvnn.txt",
        ]
    )
    assert inv.sources == [
        "dmidecode:nuc11tnhi5-dmidecode.txt",
        "lspci-nn:nuc11-lspci-n.txt",
        "lspci-vvnn:nuc11tnhi5-lspci-vvnn.txt",
    ]
    nic = next(d for d in inv.pci if d.address == "0000:58:00.0")
    assert (nic.driver, nic.subsystem_device_id, nic.revision) == ("igc", "3003", "03")
    assert len([d for d in inv.pci if d.address == "0000:58:00.0"]) == 1
    assert inv.platform.product == "NUC11TNHi5"
    assert [(n.esxi_name, n.id, n.subsystem_device_id) for n in inv.nics] == [("vmnic0", "8086:15f2", "3003")]
    assert not any("No platform" in note for note in inv.notes)


def test_usb_from_lsusb_and_lsusb_v_merge_per_device() -> None:
    inv = load_inputs([FIXTURES / "usb-adapters-lsusb-v.txt"], usb_nic_ids={"0b95:1790"})
    assert [(n.esxi_name, n.id) for n in inv.nics] == [("vusb0", "0bda:8156"), ("vusb1", "0b95:1790")]
    # without the catalog's IDs both still count: the Realtek by its CDC interface, the AX88179 by its
    # name ("Gigabit Ethernet"); an adapter the catalog does not know is never dropped
    ids = [n.id for n in load_inputs([FIXTURES / "usb-adapters-lsusb-v.txt"]).nics]
    assert ids == ["0bda:8156", "0b95:1790"]


def test_notes_say_what_is_missing() -> None:
    inv = load_inputs([FIXTURES / "rtl8125-minipc-lspci-nn.txt"])
    assert any("dmidecode" in note for note in inv.notes)


def test_esxcli_pair_keeps_real_names() -> None:
    inv = load_inputs([FIXTURES / "esxi-nuc11-pci-list.txt", FIXTURES / "esxi-nuc11-nic-list.txt"])
    assert [(n.esxi_name, n.bus, n.id, n.link, n.speed_mbps) for n in inv.nics] == [
        ("vmnic0", "pci", "8086:15f2", "up", 2500),
        ("vusb0", "usb", ":", "down", None),
    ]


def _bad(path: Path) -> BadInput:
    with pytest.raises(BadInput) as exc:
        load_inputs([path])
    assert str(path) in exc.value.message
    return exc.value


def test_empty_binary_folder_missing_and_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    assert "empty" in _bad(empty).message
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)))
    err = _bad(binary)
    assert "binary" in err.message and err.hint == ACCEPTED_HINT
    assert "lspci -nn > box.txt" in (err.hint or "")
    assert "folder" in _bad(tmp_path).message
    assert "no such file" in _bad(tmp_path / "nope.txt").message
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.txt"
        locked.write_text("x")
        locked.chmod(0)
        assert "cannot be read" in _bad(locked).message


def test_foreign_json_and_wrong_kind(tmp_path: Path) -> None:
    foreign = tmp_path / "package.json"
    foreign.write_text('{"name": "left-pad", "version": "1.3.0"}')
    assert "not an ecs-field inventory" in _bad(foreign).message
    bad_shape = tmp_path / "box.json"
    bad_shape.write_text('{"schema": "ecs-field/inventory@1", "pci": [{"address": "x"}]}')
    assert "bad shape" in _bad(bad_shape).message
    prose = tmp_path / "notes.txt"
    prose.write_text("Box in rack 3, NIC is an Intel I226.\n")
    assert "not a dump" in _bad(prose).message
    with pytest.raises(BadInput):
        detect_kind("hello")


def test_truncated_dump_names_file_and_line(tmp_path: Path) -> None:
    text = (FIXTURES / "nuc13anh-b-lspci-nn.txt").read_text()
    cut = tmp_path / "cut.txt"
    cut.write_text(text[: text.rindex("[8086:125c]") - 5])
    # what is complete is kept, and a "truncated" warning names the file and the last line
    inv = load_inputs([cut])
    last = len(cut.read_text().splitlines())
    warnings = [w for w in inv.input_warnings if w.kind == "truncated"]
    assert warnings and warnings[0].file == "cut.txt" and warnings[0].line == last
    assert "144d:a80a" in {d.id for d in inv.pci}, "the complete device lines before the cut are kept"
    no_ids = _bad(FIXTURES / "nuc11-lspci-plain-no-ids.txt")
    assert "line 1" in no_ids.message and "lspci -nn" in (no_ids.hint or "")


def test_utf16_from_powershell_redirect(tmp_path: Path) -> None:
    target = tmp_path / "nics.txt"
    target.write_bytes((FIXTURES / "esxi-nuc11-nic-list.txt").read_text().encode("utf-16"))
    assert [n.esxi_name for n in load_inputs([target]).nics] == ["vmnic0", "vusb0"]


def test_fuzz_random_bytes_and_truncations_never_escape_as_tracebacks(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    target = tmp_path / "fuzz.bin"
    samples: list[bytes] = [
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) for _ in range(40)
    ]
    for fixture in sorted(FIXTURES.glob("*.*")):
        data = fixture.read_bytes()
        samples += [data[: rng.randrange(1, len(data))] for _ in range(6)]
        mangled = bytearray(data)
        for _ in range(10):
            mangled[rng.randrange(len(mangled))] = rng.choice(b"\t\n :[]{}x0")
        samples.append(bytes(mangled))
    for sample in samples:
        target.write_bytes(sample)
        try:
            inv = load_inputs([target])
        except BadInput as exc:
            assert str(target) in exc.message
        else:
            assert isinstance(inv, Inventory)
            json.dumps(inv.to_dict())
