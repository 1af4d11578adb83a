"""Host install settings: every value checked, problems name the option (and the site it came from)."""

from __future__ import annotations

import ipaddress

import pytest

from ecs_field.errors import BadInput
from ecs_field.media.kickstart.model import (
    DiskChoice,
    FieldProblem,
    RawSettings,
    check_settings,
    parse_settings,
    settings_from_site,
)

GOOD = {
    "hostname": "esx01.depot7.example",
    "ip": "10.7.0.10/24",
    "gateway": "10.7.0.1",
    "dns": "10.7.0.2,10.7.0.3",
}


def raw(**changes: object) -> RawSettings:
    values = {**GOOD, **changes}
    return RawSettings(**values)  # type: ignore[arg-type]


def test_good_values_become_settings() -> None:
    settings = parse_settings(raw(vlan="70", ntp="10.7.0.2, ntp.depot7.example", nic="vmnic1", disk="first"))
    assert settings.hostname == "esx01.depot7.example"
    assert settings.interface == ipaddress.IPv4Interface("10.7.0.10/24")
    assert str(settings.netmask) == "255.255.255.0" and str(settings.gateway) == "10.7.0.1"
    assert [str(d) for d in settings.dns] == ["10.7.0.2", "10.7.0.3"]
    assert settings.vlan == 70 and settings.ntp == ("10.7.0.2", "ntp.depot7.example")
    assert settings.nic == "vmnic1" and settings.disk == DiskChoice("first")
    assert settings.to_dict() == {
        "hostname": "esx01.depot7.example",
        "ip": "10.7.0.10/24",
        "gateway": "10.7.0.1",
        "dns": ["10.7.0.2", "10.7.0.3"],
        "vlan": 70,
        "ntp": ["10.7.0.2", "ntp.depot7.example"],
        "nic": "vmnic1",
        "disk": "first",
    }


def test_defaults_local_disk_no_vlan_no_ntp() -> None:
    settings = parse_settings(raw())
    assert (
        settings.disk == DiskChoice("local")
        and settings.vlan is None
        and settings.ntp == ()
        and settings.nic is None
    )


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("hostname", "esx_01", "'_'"),
        ("hostname", "-esx", "starts or ends with '-'"),
        ("hostname", "a..b", "empty part"),
        ("hostname", "x" * 64, "at most 63"),
        ("hostname", "10.0.0.1", "looks like an address"),
        ("hostname", "esx 01", "' '"),
        ("ip", "10.7.0.10", "needs its prefix length"),
        ("ip", "10.7.0.10/255.255.255.0", "not a netmask"),
        ("ip", "10.7.0.0/24", "network address"),
        ("ip", "10.7.0.255/24", "broadcast address"),
        ("ip", "10.7.0.10/31", "outside /8 to /30"),
        ("ip", "10.7.0.10/4", "outside /8 to /30"),
        ("ip", "10.7.0.300/24", "not an IPv4 address"),
        ("ip", "010.7.0.10/24", "not an IPv4 address"),
        ("ip", "fd00::10/64", "IPv6"),
        ("ip", "127.0.0.5/8", "loopback"),
        ("ip", "169.254.3.4/16", "link-local"),
        ("ip", "224.0.0.5/24", "multicast"),
        ("gateway", "10.7.1.1", "outside 10.7.0.0/24"),
        ("gateway", "10.7.0.10", "host's own address"),
        ("gateway", "10.7.0.255", "network or broadcast"),
        ("gateway", "gw.example", "not an IPv4 address"),
        ("dns", "10.7.0.2,10.7.0.3,10.7.0.4", "at most 2"),
        ("dns", "10.7.0.2,10.7.0.2", "twice"),
        ("dns", "dns.example", "not an IPv4 address"),
        ("dns", " , ", "give one or two"),
        ("vlan", "0", "untagged"),
        ("vlan", "4095", "outside 1 to 4094"),
        ("vlan", "seventy", "not a VLAN ID"),
        ("vlan", "-3", "not a VLAN ID"),
        ("ntp", "ntp one", "' '"),
        ("ntp", "1.2.3.999", "not an IPv4 address"),
        ("ntp", "a;reboot", "';'"),
        ("ntp", "$(reboot)", "'$'"),
        ("ntp", "pool.ntp.org,pool.ntp.org", "twice"),
        ("nic", "eth0", "not an ESXi NIC name"),
        ("nic", "vusb0", "USB NIC"),
        ("disk", "usb", "disk type"),
        ("disk", "my disk", "not 'local', 'first' or an ESXi disk name"),
    ],
)
def test_each_bad_value_is_named_by_its_option(field: str, value: str, needle: str) -> None:
    settings, problems = check_settings(raw(**{field: value}))
    assert settings is None
    assert [p.field for p in problems] == [field], problems
    assert needle in problems[0].message
    assert str(problems[0]).startswith(f"--{field}: ")


def test_missing_required_options_are_all_named_at_once() -> None:
    settings, problems = check_settings(RawSettings())
    assert settings is None
    assert [p.option for p in problems] == ["--hostname", "--ip", "--gateway", "--dns"]
    assert all("is required" in p.message for p in problems)
    with pytest.raises(BadInput) as info:
        parse_settings(RawSettings(ip="10.0.0.1/24"))
    assert info.value.exit_code == 2
    assert "--hostname: is required" in info.value.message and "--gateway: is required" in info.value.message


def test_several_bad_values_are_reported_together() -> None:
    _, problems = check_settings(raw(hostname="bad_name", vlan="5000", nic="eth1"))
    assert {p.field for p in problems} == {"hostname", "vlan", "nic"}


def test_normalised_values() -> None:
    settings = parse_settings(
        raw(
            hostname="ESX01.Depot7.Example.",
            nic="vmnic007",
            disk="LOCAL",
            vlan=" 70 ",
            dns=["10.7.0.2", " 10.7.0.3 "],
        )
    )
    assert settings.hostname == "ESX01.Depot7.Example"  # the trailing root dot dropped
    assert settings.nic == "vmnic7" and settings.disk == DiskChoice("local") and settings.vlan == 70


@pytest.mark.parametrize(
    ("value", "option"),
    [
        ("local", "--firstdisk=local"),
        ("first", "--firstdisk=local,remote"),
        ("t10.NVMe____Samsung_SSD_980_1TB", "--disk=t10.NVMe____Samsung_SSD_980_1TB"),
        ("mpx.vmhba0:C0:T0:L0", "--disk=mpx.vmhba0:C0:T0:L0"),
    ],
)
def test_disk_choice_never_lets_esxi_pick_a_usb_disk(value: str, option: str) -> None:
    disk = parse_settings(raw(disk=value)).disk
    assert disk.install_option() == option
    assert "usb" not in disk.install_option()


def test_site_defaults_fill_only_what_was_not_given() -> None:
    site, warnings = settings_from_site(
        {
            "hostname": "esx-{site}.corp.example",
            "prefix": 24,
            "gateway": "10.7.0.1",
            "dns": ["10.7.0.2"],
            "vlan": 70,
            "ntp": ["10.7.0.2"],
            "nic": "vmnic1",
            "disk": "first",
            "colour": "blue",
        },
        "depot-7",
    )
    assert warnings == [
        "site depot-7: install.colour is not a known setting (known: hostname, prefix, "
        "gateway, dns, ntp, vlan, nic, disk)"
    ]
    typed = RawSettings(ip="10.7.0.11", gateway="10.7.0.254")
    merged = typed.filled_from(site)
    settings = parse_settings(merged)
    assert settings.hostname == "esx-depot-7.corp.example"
    assert str(settings.interface) == "10.7.0.11/24"  # the site's prefix completes a bare --ip
    assert str(settings.gateway) == "10.7.0.254"  # typed wins over the site
    assert settings.vlan == 70 and settings.nic == "vmnic1" and settings.disk == DiskChoice("first")
    assert "gateway" not in merged.origins and merged.origins["dns"] == "site depot-7"


def test_a_bad_site_default_names_the_site() -> None:
    site, _ = settings_from_site({"gateway": "10.9.9.1", "dns": "10.7.0.2", "vlan": True}, "depot-7")
    _, problems = check_settings(RawSettings(hostname="esx01", ip="10.7.0.10/24").filled_from(site))
    by_field = {p.field: p for p in problems}
    assert str(by_field["gateway"]).startswith("--gateway (default from site depot-7): 10.9.9.1 is outside")
    assert "must be text" in by_field["vlan"].message
    assert FieldProblem("x", "m").option == "--x"


def test_empty_or_missing_site_mapping() -> None:
    assert settings_from_site(None, "s") == (RawSettings(), [])
    assert settings_from_site({}, "s") == (RawSettings(), [])
