"""The ks.cfg text: the exact lines, their order, and that it passes the validator."""

from __future__ import annotations

import pytest

from ecs_field import __version__
from ecs_field.media.kickstart.cryptpw import sha512_crypt
from ecs_field.media.kickstart.model import RawSettings, parse_settings
from ecs_field.media.kickstart.render import render_kickstart
from ecs_field.media.kickstart.validate import validate_kickstart

HASH = sha512_crypt("xQaT3#A-example", "saltsaltsaltsalt")


def test_full_kickstart_lines() -> None:
    settings = parse_settings(
        RawSettings(
            hostname="esx01.depot7.example",
            ip="10.7.0.10/24",
            gateway="10.7.0.1",
            dns="10.7.0.2,10.7.0.3",
            vlan="70",
            ntp="10.7.0.2,ntp.depot7.example",
            nic="vmnic1",
            disk="first",
        )
    )
    text = render_kickstart(settings, HASH)
    assert text.splitlines() == [
        f"# ESXi kickstart for esx01.depot7.example (10.7.0.10/24), by ecs-field {__version__}",
        "# The root password is stored only as a SHA-512 crypt hash.",
        "vmaccepteula",
        "install --firstdisk=local,remote --overwritevmfs",
        f"rootpw --iscrypted {HASH}",
        "network --bootproto=static --ip=10.7.0.10 --netmask=255.255.255.0 --gateway=10.7.0.1 "
        "--nameserver=10.7.0.2,10.7.0.3 --hostname=esx01.depot7.example --vlanid=70 --device=vmnic1",
        "reboot",
        "",
        "%firstboot --interpreter=busybox",
        "esxcli system ntp set --server=10.7.0.2 --server=ntp.depot7.example --enabled=true",
    ]
    assert text.endswith("\n")
    assert validate_kickstart(text, "ks.cfg") == []


def test_minimal_kickstart_has_no_firstboot_vlan_or_device() -> None:
    settings = parse_settings(
        RawSettings(hostname="esx01", ip="192.168.1.20/23", gateway="192.168.0.1", dns="192.168.0.1")
    )
    text = render_kickstart(settings, HASH)
    lines = text.splitlines()
    assert lines[2:] == [
        "vmaccepteula",
        "install --firstdisk=local --overwritevmfs",
        f"rootpw --iscrypted {HASH}",
        "network --bootproto=static --ip=192.168.1.20 --netmask=255.255.254.0 --gateway=192.168.0.1 "
        "--nameserver=192.168.0.1 --hostname=esx01",
        "reboot",
    ]
    assert "%firstboot" not in text and "--vlanid" not in text and "--device" not in text
    assert validate_kickstart(text.encode(), "ks.cfg") == []


def test_named_disk() -> None:
    settings = parse_settings(
        RawSettings(
            hostname="esx01",
            ip="10.0.0.5/24",
            gateway="10.0.0.1",
            dns="10.0.0.1",
            disk="naa.5000c500a1b2c3d4",
        )
    )
    assert "install --disk=naa.5000c500a1b2c3d4 --overwritevmfs\n" in render_kickstart(settings, HASH)


@pytest.mark.parametrize("not_a_hash", ["xQaT3#A-example", "", "$6$salt$short", HASH + "x"])
def test_only_a_hash_goes_into_rootpw(not_a_hash: str) -> None:
    settings = parse_settings(
        RawSettings(hostname="esx01", ip="10.0.0.5/24", gateway="10.0.0.1", dns="10.0.0.1")
    )
    with pytest.raises(ValueError, match="never a password"):
        render_kickstart(settings, not_a_hash)
