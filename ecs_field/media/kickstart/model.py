"""The settings of an unattended ESXi install, and their validation.

Values come as text from three places (the command line, the GUI's fields, a site's ``install``
defaults in sites.yaml); ``check_settings`` turns them into a ``HostSettings`` or into a list of
``FieldProblem``s, each naming the option (``--gateway``) and, for a site default, the site.
Every value that ends up in ks.cfg passes through here, so no value can carry a space, a quote
or a shell character into the kickstart or its %firstboot script.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_field.errors import BadInput

FIELDS = ("hostname", "ip", "gateway", "dns", "vlan", "ntp", "nic", "disk")
# Keys a site's ``install`` mapping may hold (no secrets: the password is never stored).
SITE_KEYS = ("hostname", "prefix", "gateway", "dns", "ntp", "vlan", "nic", "disk")
PREFIX_MIN, PREFIX_MAX = 8, 30  # /31 and /32 leave no room for a host and its gateway
VLAN_MIN, VLAN_MAX = 1, 4094  # 0 is "untagged" (omit --vlan), 4095 is "all VLANs" on a port group
MAX_DNS = 2  # ESXi's network --nameserver takes one or two addresses
MAX_NTP = 8
DISK_LOCAL = "local"
DISK_FIRST = "first"

_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_NIC = re.compile(r"^vmnic([0-9]{1,3})$")
_USB_NIC = re.compile(r"^vusb[0-9]+$", re.IGNORECASE)
# ESXi disk names: t10.ATA_____..., naa.5000..., eui...., mpx.vmhba0:C0:T0:L0, vml.0100...
# (also as the full path /vmfs/devices/disks/NAME, which some generators write)
_DISK_NAME = re.compile(r"^(?:/vmfs/devices/disks/)?[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$")


@dataclass(frozen=True)
class FieldProblem:
    """A value that cannot go into the kickstart; ``field`` is one of FIELDS (or "prefix")."""

    field: str
    message: str
    origin: str = ""  # "" = typed by the person; "site depot-7" = a site default

    @property
    def option(self) -> str:
        return f"--{self.field}"

    def __str__(self) -> str:
        where = f" (default from {self.origin})" if self.origin else ""
        return f"{self.option}{where}: {self.message}"


@dataclass(frozen=True)
class DiskChoice:
    """Where ESXi installs: the first local disk, the first local or SAN disk, or a named disk.

    No choice lets the installer pick a USB disk on its own, so it never installs over the stick
    it booted from (ESXi's default ``--firstdisk`` order is local, remote, usb).
    """

    kind: str  # "local" | "first" | "name"
    name: str = ""

    def install_option(self) -> str:
        if self.kind == DISK_LOCAL:
            return "--firstdisk=local"
        if self.kind == DISK_FIRST:
            return "--firstdisk=local,remote"
        return f"--disk={self.name}"

    def describe(self) -> str:
        if self.kind == DISK_LOCAL:
            return "the first local disk (USB disks, the stick included, are never chosen)"
        if self.kind == DISK_FIRST:
            return "the first local disk, else the first SAN disk (never a USB disk)"
        return f"the disk named {self.name}"


@dataclass(frozen=True)
class HostSettings:
    hostname: str
    interface: ipaddress.IPv4Interface  # address and prefix
    gateway: ipaddress.IPv4Address
    dns: tuple[ipaddress.IPv4Address, ...]
    vlan: int | None = None
    ntp: tuple[str, ...] = ()
    nic: str | None = None
    disk: DiskChoice = field(default_factory=lambda: DiskChoice(DISK_LOCAL))

    @property
    def address(self) -> ipaddress.IPv4Address:
        return self.interface.ip

    @property
    def netmask(self) -> ipaddress.IPv4Address:
        return self.interface.netmask

    def to_dict(self) -> dict[str, Any]:
        """What may be shown and recorded (history, GUI preview): never a password or a hash."""
        return {
            "hostname": self.hostname,
            "ip": str(self.interface),
            "gateway": str(self.gateway),
            "dns": [str(a) for a in self.dns],
            "vlan": self.vlan,
            "ntp": list(self.ntp),
            "nic": self.nic,
            "disk": self.disk.name if self.disk.kind == "name" else self.disk.kind,
        }


@dataclass
class RawSettings:
    """Values as typed (strings, or lists for dns/ntp); None = not given."""

    hostname: str | None = None
    ip: str | None = None
    gateway: str | None = None
    dns: str | Sequence[str] | None = None
    vlan: str | int | None = None
    ntp: str | Sequence[str] | None = None
    nic: str | None = None
    disk: str | None = None
    prefix: str | int | None = None  # used when ip has no "/NN" (a site default)
    origins: dict[str, str] = field(default_factory=dict)  # field -> "site NAME" for site defaults

    def filled_from(self, defaults: RawSettings) -> RawSettings:
        """These values, with the unset ones taken from ``defaults`` (keeping where they came from)."""
        merged = RawSettings(origins=dict(self.origins))
        for name in (*FIELDS, "prefix"):
            value = getattr(self, name)
            if _is_unset(value):
                value = getattr(defaults, name)
                if not _is_unset(value) and name in defaults.origins:
                    merged.origins[name] = defaults.origins[name]
            setattr(merged, name, value)
        return merged


class ValueRefused(Exception):
    """A value one of the check_* functions does not accept; the text says why."""


def _is_unset(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Sequence):
        return len(value) == 0
    return False


def _text(value: object, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueRefused(f"{what} must be text, not {type(value).__name__}")
    return str(value).strip()


def _items(value: str | Sequence[str] | None) -> list[str]:
    """ "a, b" or ["a", "b"] -> ["a", "b"]."""
    if value is None:
        return []
    if not isinstance(value, str | list | tuple):
        raise ValueRefused(f"{value!r} is not a list of servers")
    parts: Iterable[object] = value.split(",") if isinstance(value, str) else value
    out: list[str] = []
    for part in parts:
        if not isinstance(part, str):
            raise ValueRefused(f"{part!r} is not text")
        out.extend(p.strip() for p in part.split(",") if p.strip())
    return out


def check_hostname(value: str, what: str = "host name") -> str:
    """A host name ESXi and DNS accept (RFC 1123): letters, digits and '-', dot-separated labels."""
    name = value.strip().rstrip(".")
    if not name:
        raise ValueRefused(f"the {what} is empty")
    if len(name) > 253:
        raise ValueRefused(f"the {what} is {len(name)} characters long; at most 253")
    labels = name.split(".")
    for label in labels:
        if not label:
            raise ValueRefused(f"{value!r} has an empty part between dots")
        if not _LABEL.match(label):
            bad = sorted({ch for ch in label if not (ch.isascii() and (ch.isalnum() or ch == "-"))})
            if bad:
                shown = " ".join(repr(ch) for ch in bad)
                raise ValueRefused(f"{value!r} holds {shown}; use letters, digits and '-' only")
            if len(label) > 63:
                raise ValueRefused(f"the part {label!r} is {len(label)} characters long; at most 63")
            raise ValueRefused(f"the part {label!r} starts or ends with '-'")
    if labels[-1].isdigit():
        raise ValueRefused(f"{value!r} looks like an address, not a name")
    return name


def check_ipv4(value: str, what: str) -> ipaddress.IPv4Address:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueRefused(f"{value!r} is not an IPv4 address (like 10.0.0.10)") from None
    if not isinstance(address, ipaddress.IPv4Address):
        raise ValueRefused(f"{value!r} is IPv6; the ESXi kickstart network line takes IPv4 only")
    for test, why in (
        (address.is_unspecified, "is the unspecified address"),
        (address.is_loopback, "is a loopback address"),
        (address.is_multicast, "is a multicast address"),
        (address.is_link_local, "is a link-local (169.254.x.x) address"),
        (address == ipaddress.IPv4Address("255.255.255.255"), "is the broadcast address"),
        (address.is_reserved, "is in the reserved range 240.0.0.0/4"),
    ):
        if test:
            raise ValueRefused(f"{what} {value} {why}")
    return address


def check_interface(value: str, default_prefix: str | int | None = None) -> ipaddress.IPv4Interface:
    text = value.strip()
    if "/" not in text:
        if default_prefix is None or (isinstance(default_prefix, str) and not default_prefix.strip()):
            raise ValueRefused(f"{text!r} needs its prefix length, e.g. {text}/24")
        address_text, prefix_text = text, str(default_prefix).strip()
    else:
        address_text, _, prefix_text = text.partition("/")
    address = check_ipv4(address_text.strip(), "the address")
    if not prefix_text.isdigit():
        hint = " (write the prefix length, /24, not a netmask)" if "." in prefix_text else ""
        raise ValueRefused(f"{prefix_text!r} is not a prefix length{hint}")
    prefix = int(prefix_text)
    if not PREFIX_MIN <= prefix <= PREFIX_MAX:
        raise ValueRefused(f"prefix /{prefix} is outside /{PREFIX_MIN} to /{PREFIX_MAX}")
    interface = ipaddress.IPv4Interface(f"{address}/{prefix}")
    network = interface.network
    if address == network.network_address:
        raise ValueRefused(f"{address} is the network address of {network}, not a host address")
    if address == network.broadcast_address:
        raise ValueRefused(f"{address} is the broadcast address of {network}, not a host address")
    return interface


def check_gateway(value: str, interface: ipaddress.IPv4Interface | None) -> ipaddress.IPv4Address:
    gateway = check_ipv4(value.strip(), "the gateway")
    if interface is None:
        return gateway
    network = interface.network
    if gateway not in network:
        raise ValueRefused(f"{gateway} is outside {network}, the subnet of --ip {interface}")
    if gateway == interface.ip:
        raise ValueRefused(f"{gateway} is the host's own address (--ip)")
    if gateway in (network.network_address, network.broadcast_address):
        raise ValueRefused(f"{gateway} is the network or broadcast address of {network}")
    return gateway


def check_dns(value: str | Sequence[str]) -> tuple[ipaddress.IPv4Address, ...]:
    items = _items(value)
    if not items:
        raise ValueRefused("give one or two DNS server addresses")
    if len(items) > MAX_DNS:
        raise ValueRefused(f"{len(items)} servers given; the ESXi kickstart takes at most {MAX_DNS}")
    servers = tuple(check_ipv4(item, "DNS server") for item in items)
    if len(set(servers)) != len(servers):
        raise ValueRefused("the same server is given twice")
    return servers


def check_vlan(value: str | int) -> int:
    text = _text(value, "the VLAN ID")
    if not text.isdigit():
        raise ValueRefused(f"{text!r} is not a VLAN ID (a number from {VLAN_MIN} to {VLAN_MAX})")
    vlan = int(text)
    if vlan == 0:
        raise ValueRefused("VLAN 0 means untagged: leave --vlan out for an untagged management network")
    if not VLAN_MIN <= vlan <= VLAN_MAX:
        raise ValueRefused(f"VLAN {vlan} is outside {VLAN_MIN} to {VLAN_MAX}")
    return vlan


def check_ntp(value: str | Sequence[str]) -> tuple[str, ...]:
    items = _items(value)
    if len(items) > MAX_NTP:
        raise ValueRefused(f"{len(items)} servers given; at most {MAX_NTP}")
    servers = []
    for item in items:
        if all(ch.isdigit() or ch == "." for ch in item):
            servers.append(str(check_ipv4(item, "NTP server")))
        elif ":" in item:
            raise ValueRefused(f"{item!r}: give an IPv4 address or a host name")
        else:
            servers.append(check_hostname(item, "NTP server name"))
    if len(set(servers)) != len(servers):
        raise ValueRefused("the same server is given twice")
    return tuple(servers)


def check_nic(value: str) -> str:
    text = value.strip()
    if _USB_NIC.match(text):
        raise ValueRefused(
            f"{text} is a USB NIC; the ESXi installer has no USB NIC driver, so the management "
            "network must be on a PCI NIC (vmnicN)"
        )
    match = _NIC.match(text)
    if not match:
        raise ValueRefused(f"{text!r} is not an ESXi NIC name like vmnic0")
    return f"vmnic{int(match.group(1))}"


def check_disk(value: str) -> DiskChoice:
    text = value.strip()
    if text.lower() in (DISK_LOCAL, DISK_FIRST):
        return DiskChoice(text.lower())
    if text.lower() in ("usb", "remote", "esx"):
        raise ValueRefused(
            f"{text!r} is an ESXi disk type, not a choice here: use 'local', 'first' or a disk name "
            "(naa..., t10..., mpx..., eui...); USB disks are never chosen so the stick is not overwritten"
        )
    if not _DISK_NAME.match(text):
        raise ValueRefused(
            f"{text!r} is not 'local', 'first' or an ESXi disk name (letters, digits and . _ : / - "
            "only, e.g. t10.NVMe____Samsung_SSD_980 or mpx.vmhba0:C0:T0:L0)"
        )
    return DiskChoice("name", text)


def check_settings(raw: RawSettings) -> tuple[HostSettings | None, list[FieldProblem]]:
    """Every problem with ``raw`` (all at once, so the person fixes them in one go)."""
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}

    def run(name: str, check: Any, *args: Any) -> None:
        try:
            values[name] = check(*args)
        except ValueRefused as exc:
            problems.append(FieldProblem(name, str(exc), raw.origins.get(name, "")))

    def required(name: str, example: str) -> bool:
        if _is_unset(getattr(raw, name)):
            problems.append(FieldProblem(name, f"is required (e.g. --{name} {example})"))
            return False
        return True

    def text(name: str) -> str:
        return _text(getattr(raw, name), f"--{name}")

    try:
        if required("hostname", "esx01.depot7.example"):
            run("hostname", lambda: check_hostname(text("hostname")))
        if required("ip", "10.0.0.10/24"):
            run("ip", lambda: check_interface(text("ip"), raw.prefix))
        if required("gateway", "10.0.0.1"):
            run("gateway", lambda: check_gateway(text("gateway"), values.get("ip")))
        if required("dns", "10.0.0.2,10.0.0.3"):
            run("dns", check_dns, raw.dns)
        if not _is_unset(raw.vlan):
            run("vlan", check_vlan, raw.vlan)
        if not _is_unset(raw.ntp):
            run("ntp", check_ntp, raw.ntp)
        if not _is_unset(raw.nic):
            run("nic", lambda: check_nic(text("nic")))
        if not _is_unset(raw.disk):
            run("disk", lambda: check_disk(text("disk")))
    except ValueRefused as exc:  # a value of the wrong type (e.g. a mapping from a hand-edited site)
        problems.append(FieldProblem("settings", str(exc)))
    if problems:
        return None, problems
    settings = HostSettings(
        hostname=values["hostname"],
        interface=values["ip"],
        gateway=values["gateway"],
        dns=values["dns"],
        vlan=values.get("vlan"),
        ntp=values.get("ntp", ()),
        nic=values.get("nic"),
        disk=values.get("disk", DiskChoice(DISK_LOCAL)),
    )
    return settings, []


def parse_settings(raw: RawSettings) -> HostSettings:
    """``check_settings`` for callers that stop at the first refusal: BadInput (exit 2) naming each option."""
    settings, problems = check_settings(raw)
    if settings is None:
        lines = "\n  ".join(str(p) for p in problems)
        raise BadInput(
            f"the kickstart cannot be written:\n  {lines}",
            "Fix the values named above; `ecs-field kickstart --help` shows the expected forms.",
        )
    return settings


def settings_from_site(install: Mapping[str, Any] | None, site_name: str) -> tuple[RawSettings, list[str]]:
    """A site's ``install`` defaults as RawSettings, and warnings about keys that are not used.

    ``hostname`` may hold ``{site}``, replaced by the site's name (e.g. "esx-{site}.corp.example").
    """
    raw = RawSettings()
    warnings: list[str] = []
    if not install:
        return raw, warnings
    origin = f"site {site_name}"
    for key, value in install.items():
        if key not in SITE_KEYS:
            warnings.append(
                f"site {site_name}: install.{key} is not a known setting (known: {', '.join(SITE_KEYS)})"
            )
            continue
        filled = value.replace("{site}", site_name) if key == "hostname" and isinstance(value, str) else value
        setattr(raw, key, filled)
        raw.origins[key] = origin
    return raw, warnings
