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

from ecs_field.hardware.inventory import InputWarning, UsbDevice
from ecs_field.hardware.parsers.common import ParseError, WarningLog, fill_empty

_BUS_LINE = re.compile(
    r"^Bus (?P<bus>\d{1,3}) Device (?P<dev>\d{1,3}): "
    r"ID (?P<vendor>[0-9a-fA-F]{4}):(?P<product>[0-9a-fA-F]{4})(?:\s+(?P<name>.*))?$"
)
_DECIMAL = re.compile(r"^(\d+)\b")


def parse_lsusb(text: str, warnings: list[InputWarning] | None = None) -> list[UsbDevice]:
    """Plain ``lsusb``: one device per line; other lines are skipped with a warning."""
    log = WarningLog(warnings)
    lines = text.splitlines()
    devices = _Devices(log)
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _BUS_LINE.match(line)
        if not match:
            if number == len(lines) and not text.endswith("\n") and line.startswith("Bus "):
                log.add(
                    number,
                    f"the dump ends in the middle of a device line (file cut short?): {line[:60]!r} was not "
                    "read; the USB list may be incomplete",
                    "truncated",
                )
            else:
                log.noise(number, f"not an lsusb line, skipped: {line[:80]!r}")
            continue
        devices.add(_device(match), number)
    log.close()
    if not devices.items:
        raise ParseError("no lsusb lines found", None)
    devices.report()
    return devices.items


def parse_lsusb_verbose(text: str, warnings: list[InputWarning] | None = None) -> list[UsbDevice]:
    """``lsusb -v``: descriptor blocks, one per device."""
    log = WarningLog(warnings)
    lines = text.splitlines()
    devices = _Devices(log)
    current: UsbDevice | None = None
    shape = _Shape(0)
    pending_class = ""
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith("Bus "):
            match = _BUS_LINE.match(line.strip())
            if not match:
                if number == len(lines) and not text.endswith("\n"):
                    log.add(
                        number,
                        "the dump ends in the middle of a device header (file cut short?)",
                        "truncated",
                    )
                else:
                    log.noise(number, f"broken device header, skipped with its block: {line[:80]!r}")
                current = None
                continue
            current = devices.add(_device(match), number)
            shape = _Shape(number)
            pending_class = ""
            continue
        if current is None or line[0] not in " \t":
            continue
        key, _, value = line.strip().partition(" ")
        value = value.strip()
        shape.read(key, value)
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
    log.close()
    if not devices.items:
        raise ParseError("no 'Bus NNN Device NNN: ID vvvv:pppp' blocks found", None)
    devices.report()
    if current is not None and shape.cut(text):
        log.add(
            len(lines),
            f"the last device's descriptors ({current.id}, from line {shape.start}) are cut off (file cut "
            "short?): its interfaces may be missing, so a USB NIC may not be recognised",
            "truncated",
        )
    return devices.items


class _Shape:
    """Counts of one -v block, to tell a block cut short from a complete one."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.configurations_expected = 0
        self.configurations = 0
        self.interfaces_expected = 0
        self.interfaces = 0

    def read(self, key: str, value: str) -> None:
        word = value.split(maxsplit=1)[0] if value else ""
        number = int(word) if word.isdigit() else 0
        if key == "bNumConfigurations":
            self.configurations_expected = number
        elif key == "bNumInterfaces":
            self.interfaces_expected += number
        elif key == "Configuration" and value.startswith("Descriptor:"):
            self.configurations += 1
        elif key == "Interface" and value.startswith("Descriptor:"):
            self.interfaces += 1

    def cut(self, text: str) -> bool:
        # Alternate settings add interface descriptors, so only fewer than declared means cut.
        # Endpoints are not counted: they say nothing about the NIC, and hand-trimmed dumps drop them.
        return (
            self.configurations < self.configurations_expected
            or self.interfaces < self.interfaces_expected
            or (not text.endswith("\n") and self.configurations_expected == 0 and self.interfaces == 0)
        )


class _Devices:
    """Devices in listing order, once per bus:device (a dump pasted twice lists each twice)."""

    def __init__(self, log: WarningLog) -> None:
        self.log = log
        self.items: list[UsbDevice] = []
        self.by_path: dict[str, UsbDevice] = {}
        self.repeats: list[int] = []

    def add(self, device: UsbDevice, number: int) -> UsbDevice:
        earlier = self.by_path.get(device.path)
        if earlier is None:
            self.by_path[device.path] = device
            self.items.append(device)
            return device
        if earlier.id == device.id:
            self.repeats.append(number)
            return earlier  # its descriptors, read again, fill nothing new but do no harm
        self.log.add(
            number,
            f"USB {device.path} is listed again with other IDs ({earlier.id} before, {device.id} here): are "
            "these two machines' dumps in one file? The first one is used",
            "duplicate",
        )
        scratch = UsbDevice(device.bus, device.path, device.vendor_id, device.product_id)
        fill_empty(scratch, device)
        return scratch

    def report(self) -> None:
        if self.repeats:
            count = len(self.repeats)
            self.log.add(
                self.repeats[0],
                f"{count} device{'s' if count > 1 else ''} repeat devices listed above (same bus:device and "
                "IDs; the dump was pasted more than once?): each device is counted once",
                "duplicate",
            )


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
