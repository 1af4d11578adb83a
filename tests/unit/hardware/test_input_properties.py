"""Property tests: real dumps, mutated the way they get mangled in the field.

Whatever the mutation, reading ends in an Inventory or a BadInput naming the file (never another
exception, never a hang). For the benign mutations (re-encoding, line endings, prompt and stderr
lines, repeats, another command's output before or after) the NICs derived are the same as from
the clean dump. Cuts may lose NICs but never invent one.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field.errors import BadInput
from ecs_field.hardware.importer import load_inputs
from ecs_field.hardware.inventory import Inventory
from tests.unit.hardware.conftest import FIXTURES

MESSY = FIXTURES / "messy"
NIC_DUMPS = {
    "m70q-lspci-vvnn": (MESSY / "m70q-gen2-lspci-vvnn.txt").read_text(),
    "nuc12-lspci-nn": (FIXTURES / "nuc12wshi7-lspci-nn.txt").read_text(),
    "multinic-lspci-vvnn": (FIXTURES / "multinic-4xi226-x710-lspci-vvnn.txt").read_text(),
    "usb-lsusb-v": (FIXTURES / "usb-adapters-lsusb-v.txt").read_text(),
    "rtl8157-lsusb": (FIXTURES / "usb-rtl8157-lsusb.txt").read_text(),
    "p16v-wiki-paste": (MESSY / "thinkpad-p16v-archwiki-paste.txt").read_text(),
}
OTHER_DUMPS = [
    (MESSY / "m70q-gen2-dmidecode.txt").read_text(),
    (FIXTURES / "nuc12wshi7-dmidecode.txt").read_text(),
    (MESSY / "i9-9900k-cpuinfo-paste.txt").read_text(),
]
PROMPTS = [
    "$ sudo lspci -vvnn",
    "root@ubuntu:~# dmidecode",
    "user@mini:~/dumps$ lsusb -v",
    "PS C:\\Users\\tech> Get-Content .\\box.txt",
    "[root@esx:~] esxcli network nic list",
    "tech@MacBook-Pro ~ % cat box.txt",
    "C:\\> type box.txt",
    "root@pve:~#",
]
STDERR = [
    "pcilib: sysfs_read_vpd: read failed: Input/output error",
    "pcilib: Error reading /sys/bus/pci/devices/0000:00:08.3/label: Operation not permitted",
    "lspci: Unable to load libkmod resources: error -2",
    "Couldn't open device, some information will be missing",
    "can't get device qualifier: Resource temporarily unavailable",
    "sudo: unable to resolve host box: Name or service not known",
]
# What the dump tools print to stderr while their stdout is being written, so it can land inside
# a stdout line (sudo and the shell speak before the tool runs).
SPLICED = STDERR[:5]
# Every USB NIC ID the dumps hold, so NIC derivation does not depend on interface classes
# (a prompt inside an lsusb -v block may cut a device off from its descriptors).
USB_NIC_IDS = {"0bda:8156", "0b95:1790", "0bda:8157", "0bda:8153"}
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252"]
SETTINGS = settings(
    max_examples=int(os.environ.get("ECS_FIELD_HYPOTHESIS_EXAMPLES", "60")),
    deadline=4000,  # ms per example: a hang or a quadratic blow-up fails, a slow CI machine does not
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def read(data: bytes) -> Inventory | BadInput:
    """load_inputs on ``data`` as a file: the Inventory, or the BadInput it raised (checked)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dump.txt"
        path.write_bytes(data)
        started = time.monotonic()
        try:
            inv = load_inputs([path], usb_nic_ids=USB_NIC_IDS)
        except BadInput as exc:
            assert str(path) in exc.message, exc.message
            return exc
        finally:
            assert time.monotonic() - started < 10
        json.dumps(inv.to_dict())  # the result is always serialisable
        assert all(w.file == "dump.txt" for w in inv.input_warnings)
        assert all(w.line is None or w.line >= 1 for w in inv.input_warnings)
        return inv


def nic_ids(result: Inventory | BadInput) -> list[str]:
    assert isinstance(result, Inventory), result
    return sorted(f"{n.bus}:{n.id}" for n in result.nics)


BASELINE = {name: nic_ids(read(text.encode())) for name, text in NIC_DUMPS.items()}


def test_baseline_has_nics() -> None:
    assert all(BASELINE.values()), BASELINE


names = st.sampled_from(sorted(NIC_DUMPS))


def insert_lines(text: str, extra: list[str], positions: list[int]) -> str:
    lines = text.split("\n")
    for line, position in zip(extra, positions, strict=False):
        lines.insert(position % (len(lines) + 1), line)
    return "\n".join(lines)


# --- benign: the NICs stay the same --------------------------------------------------------------


@SETTINGS
@given(name=names, encoding=st.sampled_from(ENCODINGS), line_end=st.sampled_from(["\n", "\r\n", "\r"]))
def test_encoding_and_line_ends_keep_the_nics(name: str, encoding: str, line_end: str) -> None:
    text = NIC_DUMPS[name].replace("\n", line_end)
    data = text.encode(encoding, errors="replace")
    assert nic_ids(read(data)) == BASELINE[name]


@SETTINGS
@given(
    name=names,
    extra=st.lists(st.sampled_from(PROMPTS + STDERR), min_size=1, max_size=6),
    positions=st.lists(st.integers(min_value=0, max_value=10_000), min_size=6, max_size=6),
)
def test_prompt_and_stderr_lines_keep_the_nics(name: str, extra: list[str], positions: list[int]) -> None:
    text = insert_lines(NIC_DUMPS[name], extra, positions)
    result = read(text.encode())
    assert nic_ids(result) == BASELINE[name]
    assert isinstance(result, Inventory) and "noise" in {w.kind for w in result.input_warnings}


@SETTINGS
@given(name=names, message=st.sampled_from(SPLICED), offset=st.integers(min_value=0))
def test_stderr_spliced_mid_line_keeps_the_nics(name: str, message: str, offset: int) -> None:
    text = NIC_DUMPS[name]
    at = offset % len(text)
    assert nic_ids(read((text[:at] + message + "\n" + text[at:]).encode())) == BASELINE[name]


@SETTINGS
@given(name=names, copies=st.integers(min_value=2, max_value=4), prompt=st.sampled_from(["", *PROMPTS]))
def test_repeated_dump_counts_each_nic_once(name: str, copies: int, prompt: str) -> None:
    text = "".join(f"{prompt}\n{NIC_DUMPS[name]}" if prompt else NIC_DUMPS[name] for _ in range(copies))
    result = read(text.encode())
    assert nic_ids(result) == BASELINE[name]
    assert isinstance(result, Inventory) and "duplicate" in {w.kind for w in result.input_warnings}


@SETTINGS
@given(
    name=names,
    other=st.sampled_from(OTHER_DUMPS),
    before=st.booleans(),
    prompt=st.sampled_from(["", *PROMPTS]),
)
def test_another_commands_output_in_the_same_file_keeps_the_nics(
    name: str, other: str, before: bool, prompt: str
) -> None:
    separator = f"{prompt}\n" if prompt else ""
    nic_dump = NIC_DUMPS[name]
    text = other + separator + nic_dump if before else nic_dump + separator + other
    assert nic_ids(read(text.encode())) == BASELINE[name]


# --- harmful: only Inventory or BadInput, NICs never invented ------------------------------------


@SETTINGS
@given(name=names, cut=st.integers(min_value=0))
def test_a_cut_loses_nics_but_never_invents_one(name: str, cut: int) -> None:
    text = NIC_DUMPS[name]
    result = read(text[: cut % len(text)].encode())
    if isinstance(result, Inventory):
        assert set(nic_ids(result)) <= set(BASELINE[name])


@SETTINGS
@given(
    name=names,
    garbage=st.lists(st.text(min_size=1, max_size=80).filter(lambda s: "\n" not in s), max_size=8),
    positions=st.lists(st.integers(min_value=0, max_value=10_000), min_size=8, max_size=8),
)
def test_garbage_lines_never_escape(name: str, garbage: list[str], positions: list[int]) -> None:
    read(insert_lines(NIC_DUMPS[name], garbage, positions).encode("utf-8", errors="replace"))


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_escape(data: bytes) -> None:
    read(data)


@SETTINGS
@given(
    name=names,
    flips=st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=4)), max_size=12),
)
def test_byte_damage_never_escapes(name: str, flips: list[tuple[int, bytes]]) -> None:
    data = bytearray(NIC_DUMPS[name].encode())
    for offset, replacement in flips:
        at = offset % len(data)
        data[at : at + len(replacement)] = replacement
    read(bytes(data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)
FIELDS = [
    "platform",
    "cpu",
    "memory_bytes",
    "disks",
    "pci",
    "usb",
    "nics",
    "interfaces",
    "sources",
    "notes",
    "input_warnings",
]


@SETTINGS
@given(changes=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4))
def test_inventory_json_with_any_field_values_never_escapes(changes: dict[str, object]) -> None:
    document = Inventory(sources=["probe:linux"]).to_dict() | changes
    read(json.dumps(document).encode())
