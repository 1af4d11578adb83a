from __future__ import annotations

import pytest

from ecs_field.hardware.parsers.common import ParseError
from ecs_field.hardware.parsers.lspci import parse_lspci
from tests.unit.hardware.conftest import FIXTURES


def test_verbose_nuc11_reads_ids_subsystem_class_and_driver() -> None:
    devices = {d.address: d for d in parse_lspci((FIXTURES / "nuc11tnhi5-lspci-vvnn.txt").read_text())}
    nic = devices["0000:58:00.0"]
    assert (nic.vendor_id, nic.device_id, nic.class_code) == ("8086", "15f2", "0200")
    assert (nic.subsystem_vendor_id, nic.subsystem_device_id) == ("8086", "3003")
    assert nic.driver == "igc"
    assert nic.revision == "03"
    assert nic.device_name == "Intel Corporation Ethernet Controller I225-LM"
    assert devices["0000:00:14.3"].class_code == "0280"
    assert not devices["0000:00:14.3"].is_ethernet


def test_brackets_in_names_and_prog_if_do_not_confuse_the_ids() -> None:
    devices = {d.address: d for d in parse_lspci((FIXTURES / "nuc11tnhi5-lspci-vvnn.txt").read_text())}
    vga = devices["0000:00:02.0"]
    assert vga.id == "8086:9a49"
    assert vga.device_name.endswith("[Iris Xe Graphics]")


def test_capability_subsystem_line_is_not_the_device_subsystem() -> None:
    bridge = next(
        d
        for d in parse_lspci((FIXTURES / "nuc11tnhi5-lspci-vvnn.txt").read_text())
        if d.address == "0000:00:07.0"
    )
    assert bridge.subsystem_vendor_id == ""
    assert bridge.driver == "pcieport"


def test_plain_nn_and_numeric_n_forms() -> None:
    nn = parse_lspci((FIXTURES / "nuc12wshi7-lspci-nn.txt").read_text())
    assert [d.id for d in nn if d.is_ethernet] == ["8086:15f3"]
    assert all(d.address.startswith("0000:") for d in nn)
    numeric = parse_lspci((FIXTURES / "nuc11-lspci-n.txt").read_text())
    assert [(d.address, d.id, d.class_code, d.revision) for d in numeric][-1] == (
        "0000:58:00.0",
        "8086:15f2",
        "0200",
        "03",
    )


def test_domain_is_kept_when_lspci_prints_it() -> None:
    text = "10000:01:00.0 Ethernet controller [0200]: Intel Corporation I226-V [8086:125c] (rev 04)\n"
    assert parse_lspci(text)[0].address == "10000:01:00.0"


def test_without_ids_is_refused_with_the_line() -> None:
    with pytest.raises(ParseError) as exc:
        parse_lspci((FIXTURES / "nuc11-lspci-plain-no-ids.txt").read_text())
    assert exc.value.line == 1
    assert "without -nn" in exc.value.message


def test_truncated_last_line_names_its_line() -> None:
    text = (FIXTURES / "nuc12wshi7-lspci-nn.txt").read_text()
    cut = text[: text.rindex("Ethernet") - 3]
    with pytest.raises(ParseError) as exc:
        parse_lspci(cut)
    assert exc.value.line == len(cut.splitlines())


def test_noise_lines_are_skipped_and_empty_is_an_error() -> None:
    text = (
        "pcilib: Cannot open /proc/bus/pci\n00:1f.6 Ethernet controller [0200]: Intel I219-LM [8086:15bb]\n"
    )
    assert [d.id for d in parse_lspci(text)] == ["8086:15bb"]
    with pytest.raises(ParseError):
        parse_lspci("\n\n")
