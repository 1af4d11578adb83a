from __future__ import annotations

import pytest

from ecs_field.hardware.parsers.common import ParseError
from ecs_field.hardware.parsers.lsusb import parse_lsusb, parse_lsusb_verbose
from tests.unit.hardware.conftest import FIXTURES


def test_plain_lsusb_lines() -> None:
    devices = parse_lsusb((FIXTURES / "usb-rtl8157-lsusb.txt").read_text())
    first = devices[0]
    assert (first.bus, first.path, first.id) == (2, "002:002", "0bda:8157")
    assert "5G LAN" in first.product
    assert len(devices) == 5


def test_verbose_reads_strings_and_interface_classes_of_every_configuration() -> None:
    devices = {d.id: d for d in parse_lsusb_verbose((FIXTURES / "usb-adapters-lsusb-v.txt").read_text())}
    rtl = devices["0bda:8156"]
    assert rtl.manufacturer == "Realtek"
    assert rtl.product == "USB 10/100/1G/2.5G LAN"
    # decimal 13 in lsusb -v is hex 0d; configuration 2's CDC-NCM is listed although inactive
    assert rtl.interface_classes == ["ff/ff", "02/0d", "0a/00"]
    assert rtl.path == "002:003"
    assert devices["0b95:1790"].interface_classes == ["ff/ff"]
    assert devices["1d6b:0003"].interface_classes == ["09/00"]


def test_broken_header_names_the_line() -> None:
    text = (FIXTURES / "usb-adapters-lsusb-v.txt").read_text()
    broken = text.replace("Bus 002 Device 004: ID 0b95:1790", "Bus 002 Devi")
    with pytest.raises(ParseError) as exc:
        parse_lsusb_verbose(broken)
    assert broken.splitlines()[exc.value.line - 1].startswith("Bus 002 Devi")


def test_plain_rejects_other_lines() -> None:
    with pytest.raises(ParseError) as exc:
        parse_lsusb("Bus 001 Device 001: ID 1d6b:0002 Linux Foundation 2.0 root hub\nhello\n")
    assert exc.value.line == 2
