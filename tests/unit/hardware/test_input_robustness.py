"""Real-world input (issue 7, "Parsing real dumps"): each case reproduced on real dumps.

Real dumps: tests/fixtures/hardware/messy (linuxhw ThinkCentre M70q Gen 2, an ArchWiki paste of a
ThinkPad P16v, a Q&A page's /proc/cpuinfo; see SOURCES.md) and the older fixtures beside them.
The mutations (encodings, prompts, stderr, cuts) are applied here, the way they happen in the field.
"""

from __future__ import annotations

import codecs
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from ecs_field.errors import BadInput
from ecs_field.hardware.importer import MAX_BYTES, load_inputs, read_input
from ecs_field.hardware.inventory import InputWarning, Inventory
from tests.unit.hardware.conftest import FIXTURES

MESSY = FIXTURES / "messy"
M70Q_LSPCI = (MESSY / "m70q-gen2-lspci-vvnn.txt").read_text()
M70Q_DMI = (MESSY / "m70q-gen2-dmidecode.txt").read_text()
M70Q_LSUSB = (MESSY / "m70q-gen2-lsusb-v.txt").read_text()
USB_NICS = (FIXTURES / "usb-adapters-lsusb-v.txt").read_text()
NIC_LINE = (
    "00:1f.6 Ethernet controller [0200]: Intel Corporation Ethernet Connection (14) I219-V "
    "[8086:15fa] (rev 11)"
)
# Real stderr lines of pciutils / usbutils, as published with the dumps they interrupted.
PCILIB = "pcilib: sysfs_read_vpd: read failed: Input/output error"
PCILIB_LABEL = "pcilib: Error reading /sys/bus/pci/devices/0000:00:08.3/label: Operation not permitted"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))
    return path


def nic_ids(inv: Inventory) -> list[str]:
    return [n.id for n in inv.nics]


def kinds(inv: Inventory) -> list[str]:
    return [w.kind for w in inv.input_warnings]


def warnings_of(inv: Inventory, kind: str) -> list[InputWarning]:
    return [w for w in inv.input_warnings if w.kind == kind]


def bad(path: Path) -> BadInput:
    with pytest.raises(BadInput) as exc:
        load_inputs([path])
    assert str(path) in exc.value.message
    return exc.value


# --- real dumps as they are ----------------------------------------------------------------------


def test_real_dumps_read_without_warnings() -> None:
    inv = load_inputs([MESSY / "m70q-gen2-lspci-vvnn.txt", MESSY / "m70q-gen2-dmidecode.txt"])
    assert inv.input_warnings == []
    assert nic_ids(inv) == ["8086:15fa"]
    nic = next(d for d in inv.pci if d.address == "0000:00:1f.6")
    assert (nic.driver, nic.subsystem_vendor_id, nic.subsystem_device_id) == ("e1000e", "17aa", "31a7")
    assert inv.platform.sku == "LENOVO_MT_11MY_BU_Think_FM_ThinkCentre M70q Gen 2"
    assert inv.memory_bytes == 8 << 30
    assert inv.cpu.flags_complete is False  # dmidecode's flags are derived, not the CPU's list
    assert read_input(MESSY / "m70q-gen2-lsusb-v.txt").input_warnings == []


def test_archwiki_paste_three_commands_indented_with_stderr_and_prose() -> None:
    # A real page: lspci -nnk with a pcilib line between a device and its attributes, dmidecode -t,
    # lsusb with two Realtek USB NICs, all indented 4 spaces, markdown prose between them.
    inv = load_inputs([MESSY / "thinkpad-p16v-archwiki-paste.txt"], usb_nic_ids={"0bda:8156", "0bda:8153"})
    name = "thinkpad-p16v-archwiki-paste.txt"
    assert inv.sources == [f"dmidecode:{name}#1", f"lspci-nn:{name}#2", f"lsusb:{name}#3"]
    bridge = next(d for d in inv.pci if d.address == "0000:00:08.3")
    assert (bridge.subsystem_device_id, bridge.driver) == ("231c", "pcieport")  # -k lines read
    assert inv.memory_bytes == 64 << 30
    assert sorted(nic_ids(inv)) == ["0bda:8153", "0bda:8156"]
    pcilib = [w for w in inv.input_warnings if "pcilib" in w.message]
    assert pcilib and pcilib[0].line == 81 and pcilib[0].file == name and pcilib[0].kind == "noise"
    assert len(warnings_of(inv, "split")) == 1
    assert all(w.file == name for w in inv.input_warnings)


def test_cpuinfo_paste_gives_a_complete_flag_list_and_merges_over_dmidecode() -> None:
    inv = load_inputs([MESSY / "i9-9900k-cpuinfo-paste.txt"])
    assert inv.sources == ["cpuinfo:i9-9900k-cpuinfo-paste.txt"]
    assert inv.cpu.model == "Intel(R) Core(TM) i9-9900K CPU @ 3.60GHz"
    assert (inv.cpu.cores, inv.cpu.threads, inv.cpu.flags_complete) == (8, 16, True)
    assert "xsave" in inv.cpu.flags and "vmx" not in inv.cpu.flags
    assert kinds(inv) == ["noise"]  # the "$ cat /proc/cpuinfo" prompt
    merged = load_inputs([MESSY / "m70q-gen2-dmidecode.txt", MESSY / "i9-9900k-cpuinfo-paste.txt"])
    assert merged.cpu.flags_complete is True and "xsave" in merged.cpu.flags


# --- 1. decoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: t.encode("utf-16"),  # PowerShell's ">" (BOM + LE)
        lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
        lambda t: t.encode("utf-16-le"),  # no BOM: NUL every other byte
        lambda t: t.replace("\n", "\r\n").encode("utf-8"),
        lambda t: t.replace("\n", "\r").encode("utf-8"),
    ],
    ids=["utf8-bom", "utf16-bom", "utf16be-bom", "utf16le-no-bom", "crlf", "cr"],
)
def test_encodings_and_line_ends_keep_the_nics(tmp_path: Path, encode: object) -> None:
    path = write(tmp_path, "box.txt", encode(M70Q_LSPCI))  # type: ignore[operator]
    inv = load_inputs([path])
    assert nic_ids(inv) == ["8086:15fa"]
    assert next(d for d in inv.pci if d.address == "0000:00:1f.6").driver == "e1000e"
    assert set(kinds(inv)) <= {"encoding"}


def test_one_latin1_byte_is_not_binary(tmp_path: Path) -> None:
    text = M70Q_LSPCI.replace("Lenovo Ethernet Connection", "Lénovo Ethernet Connection")
    path = write(tmp_path, "latin1.txt", text.encode("latin-1"))
    inv = load_inputs([path])
    assert nic_ids(inv) == ["8086:15fa"]
    (warning,) = warnings_of(inv, "encoding")
    line = next(i for i, line in enumerate(text.splitlines(), start=1) if "Lénovo" in line)
    assert (warning.file, warning.line) == ("latin1.txt", line)
    assert "Windows-1252" in warning.message


def test_cp1252_and_utf8_mixed_keep_every_character(tmp_path: Path) -> None:
    text = M70Q_DMI.replace("Vendor: LENOVO", "Vendor: LENOVO\u00ae").replace(
        "Product Name: 31A7", "Product Name: 31A7"
    )
    raw = text.encode("utf-8").replace("LENOVO\u00ae".encode(), b"LENOVO" + "\u00ae".encode("cp1252"))
    raw = raw.replace(b"Ramaxel", "Ramaxel\u2122".encode())  # a valid UTF-8 character elsewhere
    inv = load_inputs([write(tmp_path, "mixed.txt", raw)])
    assert inv.platform.bios_vendor == "LENOVO\u00ae"
    assert kinds(inv) == ["encoding"]


def test_stray_nul_is_tolerated_but_binary_is_refused(tmp_path: Path) -> None:
    raw = M70Q_LSPCI.encode().replace(b"Latency: 0\n", b"Latency: 0\x00\n", 1)
    inv = load_inputs([write(tmp_path, "serial-console.txt", raw)])
    assert nic_ids(inv) == ["8086:15fa"] and "noise" in kinds(inv)
    photo = write(tmp_path, "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8)
    assert "binary" in bad(photo).message


# --- 2. noise ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "$ sudo lspci -vvnn",
        "root@host:~# lspci -vvnn",
        "user@mini-pc:~/dumps$ sudo lspci -vvnn",
        "PS C:\\> Get-Content box.txt",
        "[root@esx:~] lspci -vvnn",
        "bash-3.2$ lspci -vvnn",
    ],
)
def test_pasted_prompt_line_is_skipped_and_reported(tmp_path: Path, prompt: str) -> None:
    inv = load_inputs([write(tmp_path, "box.txt", f"{prompt}\n{M70Q_LSPCI}")])
    assert nic_ids(inv) == ["8086:15fa"]
    (warning,) = inv.input_warnings
    assert (warning.kind, warning.line, warning.file) == ("noise", 1, "box.txt")
    assert "prompt" in warning.message


@pytest.mark.parametrize(
    "stderr",
    [PCILIB, "lspci: Unable to load libkmod resources: error -2", PCILIB_LABEL],
)
def test_stderr_line_between_lines_is_skipped(tmp_path: Path, stderr: str) -> None:
    text = M70Q_LSPCI.replace("\tKernel driver in use: e1000e", f"{stderr}\n\tKernel driver in use: e1000e")
    inv = load_inputs([write(tmp_path, "box.txt", text)])
    nic = next(d for d in inv.pci if d.address == "0000:00:1f.6")
    assert nic.driver == "e1000e"
    (warning,) = inv.input_warnings
    assert warning.line == text.splitlines().index(stderr) + 1 and warning.kind == "noise"


@pytest.mark.parametrize("cut", [5, 40, len(NIC_LINE) - 12, len(NIC_LINE) - 3])
def test_stderr_spliced_into_the_nic_line_is_rejoined(tmp_path: Path, cut: int) -> None:
    # stdout is block-buffered, stderr is not: the message lands at a buffer boundary and its
    # newline splits the device line in two.
    spliced = NIC_LINE[:cut] + PCILIB + "\n" + NIC_LINE[cut:]
    text = M70Q_LSPCI.replace(NIC_LINE, spliced)
    inv = load_inputs([write(tmp_path, "m90q.txt", text)])
    assert nic_ids(inv) == ["8086:15fa"]
    nic = next(d for d in inv.pci if d.address == "0000:00:1f.6")
    assert (nic.revision, nic.driver, nic.class_code) == ("11", "e1000e", "0200")
    (warning,) = inv.input_warnings
    assert warning.line == text.splitlines().index(spliced.split("\n")[0]) + 1
    assert "joined" in warning.message


def test_dmidecode_header_is_output_not_a_prompt(tmp_path: Path) -> None:
    inv = load_inputs([write(tmp_path, "dmi.txt", M70Q_DMI)])
    assert inv.input_warnings == [] and inv.sources == ["dmidecode:dmi.txt"]


def test_lsusb_v_without_root_prints_stderr_lines(tmp_path: Path) -> None:
    # The fixture is lsusb -v run without root: usbutils prints "Couldn't open device" per device.
    inv = load_inputs([write(tmp_path, "usb.txt", USB_NICS)], usb_nic_ids={"0b95:1790"})
    assert nic_ids(inv) == ["0bda:8156", "0b95:1790"]
    stderr_lines = [
        i for i, line in enumerate(USB_NICS.splitlines(), start=1) if line.startswith("Couldn't open")
    ]
    assert [w.line for w in inv.input_warnings] == stderr_lines
    assert set(kinds(inv)) == {"noise"}


def test_garbage_inside_blocks_is_skipped_until_nothing_is_left(tmp_path: Path) -> None:
    text = M70Q_LSPCI.replace("00:1f.6 Ethernet", "### copied from the ticket ###\n00:1f.6 Ethernet")
    inv = load_inputs([write(tmp_path, "box.txt", text)])
    assert nic_ids(inv) == ["8086:15fa"]
    (warning,) = inv.input_warnings
    assert warning.kind == "noise" and "ticket" in warning.message
    only_noise = write(
        tmp_path, "noise.txt", f"$ sudo lspci -vvnn\n{PCILIB}\nlspci: Unable to load libkmod resources\n"
    )
    assert "not a dump" in bad(only_noise).message


def test_many_garbage_lines_give_few_warnings(tmp_path: Path) -> None:
    garbage = "".join(f"random words {i}\n" for i in range(500))
    inv = load_inputs([write(tmp_path, "box.txt", M70Q_LSPCI + garbage)])
    assert nic_ids(inv) == ["8086:15fa"]
    assert len(inv.input_warnings) <= 12
    assert "more" in inv.input_warnings[-1].message


def test_dmidecode_without_root_says_so(tmp_path: Path) -> None:
    text = (
        "# dmidecode 3.3\n"
        "/sys/firmware/dmi/tables/smbios_entry_point: Permission denied\n"
        "/dev/mem: Permission denied\n"
    )
    err = bad(write(tmp_path, "dmi.txt", text))
    assert "sudo dmidecode" in err.message


# --- 3. several commands in one file, repeats ----------------------------------------------------


@pytest.mark.parametrize("with_prompts", [True, False])
def test_three_commands_in_one_file_are_each_read(tmp_path: Path, with_prompts: bool) -> None:
    prompts = ["$ sudo lspci -vvnn\n", "$ sudo dmidecode\n", "$ lsusb -v\n"] if with_prompts else ["", "", ""]
    text = prompts[0] + M70Q_LSPCI + prompts[1] + M70Q_DMI + prompts[2] + USB_NICS
    inv = load_inputs([write(tmp_path, "box.txt", text)], usb_nic_ids={"0b95:1790"})
    assert inv.sources == ["lspci-vvnn:box.txt#1", "dmidecode:box.txt#2", "lsusb-v:box.txt#3"]
    assert nic_ids(inv) == ["8086:15fa", "0bda:8156", "0b95:1790"]
    assert inv.memory_bytes == 8 << 30 and inv.platform.version == "ThinkCentre M70q Gen 2"
    (split,) = warnings_of(inv, "split")
    assert split.file == "box.txt" and "lspci-vvnn (lines" in split.message
    assert set(kinds(inv)) <= {"split", "noise"}


def test_the_same_dump_twice_counts_each_nic_once(tmp_path: Path) -> None:
    inv = load_inputs([write(tmp_path, "twice.txt", M70Q_LSPCI + M70Q_LSPCI)])
    assert nic_ids(inv) == ["8086:15fa"] and len(inv.pci) == 5
    (dup,) = warnings_of(inv, "duplicate")
    assert dup.line == len(M70Q_LSPCI.splitlines()) + 1
    prompted = load_inputs(
        [write(tmp_path, "p.txt", f"$ lspci -vvnn\n{M70Q_LSPCI}$ lspci -vvnn\n{M70Q_LSPCI}")]
    )
    assert nic_ids(prompted) == ["8086:15fa"] and "duplicate" in kinds(prompted)
    dmi = load_inputs([write(tmp_path, "dmi.txt", M70Q_DMI + M70Q_DMI)])
    assert dmi.memory_bytes == 8 << 30 and "duplicate" in kinds(dmi)
    usb = load_inputs([write(tmp_path, "usb.txt", USB_NICS * 3)], usb_nic_ids={"0b95:1790"})
    assert nic_ids(usb) == ["0bda:8156", "0b95:1790"] and "duplicate" in kinds(usb)


def test_two_machines_in_one_file_are_not_silently_mixed(tmp_path: Path) -> None:
    other = (FIXTURES / "nuc12wshi7-lspci-nn.txt").read_text()
    inv = load_inputs([write(tmp_path, "two.txt", M70Q_LSPCI + other)])
    assert any("two machines" in w.message for w in warnings_of(inv, "duplicate"))


def test_two_machines_usb_dumps_in_one_file_are_flagged(tmp_path: Path) -> None:
    other = (FIXTURES / "usb-rtl8157-lsusb.txt").read_text()
    inv = load_inputs([write(tmp_path, "two.txt", f"{other}$ lsusb -v\n{M70Q_LSUSB}")])
    assert any("two machines" in w.message for w in warnings_of(inv, "duplicate"))


def test_twenty_megabytes_of_one_dump_is_read_once_and_quickly(tmp_path: Path) -> None:
    text = M70Q_LSPCI * (20_000_000 // len(M70Q_LSPCI))
    path = write(tmp_path, "huge.txt", text)
    started = time.monotonic()
    inv = load_inputs([path])
    elapsed = time.monotonic() - started
    assert nic_ids(inv) == ["8086:15fa"] and len(inv.pci) == 5
    assert kinds(inv) == ["duplicate"]
    assert elapsed < 20, elapsed


def test_lspci_k_forms(tmp_path: Path) -> None:
    nnk = (
        f"{NIC_LINE}\n"
        "\tSubsystem: Lenovo Ethernet Connection (14) I219-V [17aa:31a7]\n"
        "\tKernel driver in use: e1000e\n"
        "\tKernel modules: e1000e\n"
    )
    inv = load_inputs([write(tmp_path, "nnk.txt", nnk)])
    assert [(d.id, d.driver, d.subsystem_device_id) for d in inv.pci] == [("8086:15fa", "e1000e", "31a7")]
    assert inv.input_warnings == []
    plain_k = (
        "00:1f.6 Ethernet controller: Intel Corporation Ethernet Connection (14) I219-V (rev 11)\n"
        "\tKernel driver in use: e1000e\n"
    )
    err = bad(write(tmp_path, "k.txt", plain_k))
    assert "without -nn" in err.message and "lspci -nn" in (err.hint or "")


# --- 4. truncation -------------------------------------------------------------------------------


def test_lspci_vv_cut_inside_the_nic_block_keeps_the_nic_and_flags_it(tmp_path: Path) -> None:
    cut = M70Q_LSPCI[: M70Q_LSPCI.index("\tKernel driver in use: e1000e")]
    inv = load_inputs([write(tmp_path, "cut.txt", cut)])
    assert nic_ids(inv) == ["8086:15fa"]
    (warning,) = warnings_of(inv, "truncated")
    assert (warning.file, warning.line) == ("cut.txt", len(cut.splitlines()))
    assert "8086:15fa" in warning.message


def test_nic_line_cut_after_its_ids_is_kept_and_flagged(tmp_path: Path) -> None:
    cut = M70Q_LSPCI[: M70Q_LSPCI.index(NIC_LINE) + NIC_LINE.index("(rev") + 3]
    inv = load_inputs([write(tmp_path, "cut.txt", cut)])
    assert nic_ids(inv) == ["8086:15fa"]
    (warning,) = warnings_of(inv, "truncated")
    assert warning.line == len(cut.splitlines())


def test_nic_line_cut_before_its_ids_is_reported_not_silent(tmp_path: Path) -> None:
    cut = M70Q_LSPCI[: M70Q_LSPCI.index(NIC_LINE) + 40]
    inv = load_inputs([write(tmp_path, "cut.txt", cut)])
    assert nic_ids(inv) == []
    (warning,) = warnings_of(inv, "truncated")
    assert warning.line == len(cut.splitlines()) and "NIC list may be incomplete" in warning.message


def test_complete_dump_without_final_newline_is_not_truncated(tmp_path: Path) -> None:
    nn = (FIXTURES / "nuc12wshi7-lspci-nn.txt").read_text().rstrip("\n")
    assert load_inputs([write(tmp_path, "nn.txt", nn)]).input_warnings == []


def test_dmidecode_cut_mid_record(tmp_path: Path) -> None:
    cut = M70Q_DMI[: M70Q_DMI.index("\tCore Count: 6")]
    inv = load_inputs([write(tmp_path, "dmi.txt", cut)])
    assert inv.memory_bytes == 8 << 30 and inv.platform.product == "11MY002XUK"
    (warning,) = warnings_of(inv, "truncated")
    assert warning.line == len(cut.splitlines()) and "End Of Table" in warning.message


def test_lsusb_v_cut_in_a_descriptor(tmp_path: Path) -> None:
    cut = USB_NICS[: USB_NICS.rindex("Interface Descriptor:")]
    inv = load_inputs([write(tmp_path, "usb.txt", cut)])
    (warning,) = warnings_of(inv, "truncated")
    assert warning.line == len(cut.splitlines())
    assert "0bda:8156" in nic_ids(inv)


# --- 5. refusals without blocking ----------------------------------------------------------------


def _refused_within(path: Path, seconds: float = 5.0) -> BadInput:
    outcome: list[BaseException | Inventory] = []

    def attempt() -> None:
        try:
            outcome.append(load_inputs([path]))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"reading {path} blocked"
    assert isinstance(outcome[0], BadInput), outcome[0]
    assert str(path) in outcome[0].message
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert "named pipe" in _refused_within(fifo).message


def test_device_and_socket_are_refused(tmp_path: Path) -> None:
    assert "character device" in _refused_within(Path(os.devnull)).message
    if hasattr(socket, "AF_UNIX"):
        sock_path = tmp_path / "s.sock"
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(sock_path))
            assert "socket" in _refused_within(sock_path).message
        finally:
            server.close()


def test_size_limit_names_the_file(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    err = bad(big)
    assert "larger than" in err.message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"cpu": {"cores": "four"}}, 'field cpu.cores: expected an integer, got "four"'),
        ({"memory_bytes": "8G"}, 'field memory_bytes: expected an integer, got "8G"'),
        ({"pci": {}}, "field pci: expected a list, got an object"),
        ({"platform": {"product": 12}}, "field platform.product: expected a string, got the number 12"),
        (
            {"pci": [{"address": "0000:00:1f.6", "vendor_id": 8086, "device_id": "15fa"}]},
            "field pci[0].vendor_id",
        ),
        (
            {"usb": [{"bus": True, "path": "1-2", "vendor_id": "0bda", "product_id": "8156"}]},
            "field usb[0].bus",
        ),
        ({"cpu": {"flags": ["sse"] * 5000}}, "field cpu.flags: 5000 entries"),
        ({"sources": "probe:linux"}, "field sources: expected a list"),
        ({"input_warnings": [{"file": "x", "line": "2", "message": "m"}]}, "field input_warnings[0].line"),
    ],
)
def test_inventory_json_fields_are_checked(tmp_path: Path, change: dict[str, object], expected: str) -> None:
    document = Inventory(sources=["probe:linux"]).to_dict() | change
    err = bad(write(tmp_path, "box.json", json.dumps(document)))
    assert err.message.startswith(f"{tmp_path / 'box.json'}: {expected}")


def test_inventory_json_depth_and_syntax(tmp_path: Path) -> None:
    deep = write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    assert "nested deeper" in bad(deep).message
    notes: object = "x"
    for _ in range(40):
        notes = [notes]
    nested = Inventory().to_dict() | {"notes": notes}
    assert "bad shape" in bad(write(tmp_path, "nested.json", json.dumps(nested))).message
    cut = write(tmp_path, "cut.json", json.dumps(Inventory().to_dict())[:40])
    assert "not valid JSON" in bad(cut).message


def test_inventory_json_round_trip_keeps_warnings_sku_and_flags_complete(tmp_path: Path) -> None:
    inv = load_inputs(
        [write(tmp_path, "box.txt", f"$ sudo dmidecode\n{M70Q_DMI}"), MESSY / "i9-9900k-cpuinfo-paste.txt"]
    )
    saved = write(tmp_path, "box.json", json.dumps(inv.to_dict()))
    again = read_input(saved)
    assert again.platform.sku == inv.platform.sku != ""
    assert again.cpu.flags_complete is True
    assert [w.to_dict() for w in again.input_warnings] == [w.to_dict() for w in inv.input_warnings]
    assert inv.input_warnings[0].to_dict() == {
        "file": "box.txt",
        "line": 1,
        "message": "shell prompt skipped: '$ sudo dmidecode'",
        "kind": "noise",
    }
    old = Inventory(sources=["probe:linux"]).to_dict()
    old["cpu"] = {"flags": ["xsave"]}  # a document from before flags_complete
    assert read_input(write(tmp_path, "old.json", json.dumps(old))).cpu.flags_complete is True
    old["sources"] = ["dmidecode:box.txt"]
    assert read_input(write(tmp_path, "old2.json", json.dumps(old))).cpu.flags_complete is False


# --- requests from the other parts ---------------------------------------------------------------


def test_dmidecode_cpu_marked_unpopulated_but_described_and_chassis() -> None:
    # coreboot on a Protectli FW2B: the soldered CPU's only record says "Status: Unpopulated".
    inv = load_inputs([FIXTURES / "machines" / "protectli-fw2b" / "dmidecode.txt"])
    assert (inv.cpu.model, inv.cpu.cores) == ("Intel(R) Celeron(R) CPU J3060 @ 1.60GHz", 2)
    assert read_input(MESSY / "m70q-gen2-dmidecode.txt").platform.chassis == ""  # type 3 trimmed
    assert load_inputs([FIXTURES / "nuc12wshi7-dmidecode.txt"]).platform.chassis != "Default string"


def test_pci_devices_without_address_pair_by_id() -> None:
    from ecs_field.hardware.importer import merge
    from ecs_field.hardware.inventory import PciDevice

    wmic = Inventory(pci=[PciDevice("", "8086", "1521"), PciDevice("", "8086", "1521")])
    netadapter = Inventory(
        pci=[PciDevice("", "8086", "1521", driver="e1r68x64"), PciDevice("", "8086", "1521")]
    )
    merged = merge(wmic, netadapter)
    assert len(merged.pci) == 2 and merged.pci[0].driver == "e1r68x64"


def test_long_runs_of_skipped_or_blank_lines_stay_linear(tmp_path: Path) -> None:
    # Skipped lines become blank lines (line numbers stay right); sniffing patterns written as
    # "^\s*..." would rescan such a run from every line start.
    text = M70Q_LSPCI + f"{PCILIB}\n" * 200_000 + "   \n" * 100_000
    started = time.monotonic()
    inv = load_inputs([write(tmp_path, "spam.txt", text)])
    assert nic_ids(inv) == ["8086:15fa"]
    assert time.monotonic() - started < 15
    assert len(inv.input_warnings) <= 10


def test_a_nul_in_the_file_name_is_bad_input() -> None:
    with pytest.raises(BadInput, match="not a usable file name"):
        load_inputs([Path("box\x00.txt")])
