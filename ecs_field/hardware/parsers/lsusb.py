"""``lsusb`` and ``lsusb -v`` -> UsbDevice (usbutils; shapes checked against linuxhw/LsUSB dumps).

  Bus 002 Device 003: ID 0bda:8156 Realtek Semiconductor Corp. USB 10/100/1G/2.5G LAN
In ``-v`` each such line opens a block of descriptors. Class numbers there are DECIMAL
("bInterfaceSubClass     13 Network Control Model"); we store them as hex "02/0d" like sysfs.
Inactive configurations are listed too, which is what we want: a Realtek dongle shows its
CDC-NCM interface in configuration 2 while the vendor driver runs configuration 1.
Neither form shows the port path, so ``path`` is "bus:device" ("002:003").
"""

from __future__ import annotations

import re

from ecs_field.hardware.inventory import UsbDevice
from ecs_field.hardware.parsers.common import ParseError

_BUS_LINE = re.compile(
    r"^Bus (?P<bus>\d{1,3}) Device (?P<dev>\d{1,3}): "
    r"ID (?P<vendor>[0-9a-fA-F]{4}):(?P<product>[0-9a-fA-F]{4})(?:\s+(?P<name>.*))?$"
)
_DECIMAL = re.compile(r"^(\d+)\b")


def parse_lsusb(text: str) -> list[UsbDevice]:
    """Plain ``lsusb``: one device per line."""
    devices = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _BUS_LINE.match(line)
        if not match:
            raise ParseError(f"not an lsusb line (file truncated or edited?): {line[:80]!r}", number)
        devices.append(_device(match))
    if not devices:
        raise ParseError("no lsusb lines found", None)
    return devices


def parse_lsusb_verbose(text: str) -> list[UsbDevice]:
    """``lsusb -v``: descriptor blocks, one per device."""
    devices: list[UsbDevice] = []
    current: UsbDevice | None = None
    pending_class = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith("Bus "):
            match = _BUS_LINE.match(line.strip())
            if not match:
                raise ParseError(f"broken device header (file truncated?): {line[:80]!r}", number)
            current = _device(match)
            devices.append(current)
            pending_class = ""
            continue
        if current is None or line[0] not in " \t":
            continue
        key, _, value = line.strip().partition(" ")
        value = value.strip()
        if key == "iManufacturer":
            current.manufacturer = _string_descriptor(value) or current.manufacturer
        elif key == "iProduct":
            current.product = _string_descriptor(value) or current.product
        elif key == "bInterfaceClass":
            pending_class = _decimal_hex(value)
        elif key == "bInterfaceSubClass" and pending_class:
            pair = f"{pending_class}/{_decimal_hex(value)}"
            if pair not in current.interface_classes:
                current.interface_classes.append(pair)
            pending_class = ""
    if not devices:
        raise ParseError("no 'Bus NNN Device NNN: ID vvvv:pppp' blocks found", None)
    return devices


def _device(match: re.Match[str]) -> UsbDevice:
    bus = int(match.group("bus"))
    return UsbDevice(
        bus=bus,
        path=f"{bus:03d}:{int(match.group('dev')):03d}",
        vendor_id=match.group("vendor").lower(),
        product_id=match.group("product").lower(),
        product=(match.group("name") or "").strip(),
    )


def _string_descriptor(value: str) -> str:
    # "2 USB 10/100/1G/2.5G LAN": index, then the string (absent when the index is 0).
    index, _, text = value.partition(" ")
    return text.strip() if index.isdigit() and index != "0" else ""


def _decimal_hex(value: str) -> str:
    match = _DECIMAL.match(value)
    return f"{int(match.group(1)):02x}" if match else "??"
