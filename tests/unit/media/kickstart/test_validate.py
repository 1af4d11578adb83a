"""validate_kickstart: real ESXi kickstarts pass, each kind of mistake is named with its line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecs_field.errors import BadInput
from ecs_field.media.kickstart.cryptpw import sha512_crypt
from ecs_field.media.kickstart.validate import (
    Problem,
    check_kickstart_file,
    errors,
    kickstart_facts,
    read_kickstart,
    validate_kickstart,
)

SAMPLES = Path(__file__).parent / "samples"
HASH = sha512_crypt("xQaT3#A-example", "saltsaltsaltsalt")
NETWORK = (
    "network --bootproto=static --ip=10.0.0.10 --netmask=255.255.255.0 --gateway=10.0.0.1 "
    "--nameserver=10.0.0.2 --hostname=esx01"
)
GOOD = f"""vmaccepteula
install --firstdisk=local --overwritevmfs
rootpw --iscrypted {HASH}
{NETWORK}
reboot
"""


def problems(text: str | bytes) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.severity, p.message) for p in validate_kickstart(text, "ks.cfg")]


def only_errors(text: str | bytes) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in validate_kickstart(text, "ks.cfg") if p.is_error]


def test_a_good_file_has_no_problem() -> None:
    assert problems(GOOD) == []
    assert problems(GOOD.replace("\n", "\r\n")) == []  # Windows line ends are read as lines too


@pytest.mark.parametrize(
    ("name", "warnings"),
    [
        ("vmware-8.0-default.cfg", ["may choose a USB disk", "plain text", "do not use this password"]),
        ("esxi-http-boot.cfg", ["plain text", "do not use this password", "may choose a USB disk"]),
        ("lam-usb.cfg", ["may choose a USB disk", "plain text", "do not use this password"]),
        ("bunchc-gist.cfg", ["plain text", "do not use this password", "may choose a USB disk"]),
        ("gowatana.cfg", ["plain text", "do not use this password", "may choose a USB disk"]),
    ],
)
def test_real_esxi_kickstarts_pass_with_their_warnings(name: str, warnings: list[str]) -> None:
    found = validate_kickstart((SAMPLES / name).read_bytes(), name)
    assert errors(found) == [], [str(p) for p in found]
    messages = " | ".join(p.message for p in found)
    for needle in warnings:
        assert needle in messages, messages
    assert all(p.source == name and p.line for p in found)


def test_the_usb_warning_names_the_line() -> None:
    found = validate_kickstart((SAMPLES / "lam-usb.cfg").read_text(), "lam-usb.cfg")
    usb = [p for p in found if "USB disk" in p.message]
    assert [p.line for p in usb] == [4] and "--firstdisk=usb" in usb[0].message
    assert str(usb[0]).startswith("lam-usb.cfg:4: warning: install: --firstdisk=usb may choose a USB disk")


@pytest.mark.parametrize(
    ("missing", "needle"),
    [
        ("vmaccepteula\n", "no vmaccepteula command"),
        ("install --firstdisk=local --overwritevmfs\n", "no install (or upgrade / installorupgrade) command"),
        (f"rootpw --iscrypted {HASH}\n", "no rootpw command"),
        ("reboot\n", None),
    ],
)
def test_required_commands(missing: str, needle: str | None) -> None:
    found = only_errors(GOOD.replace(missing, ""))
    if needle is None:
        assert found == []
    else:
        assert found == [(None, needle)]


def test_network_is_required_here() -> None:
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith("network"))
    assert only_errors(text) == [(None, "no network command")]


def test_a_command_inside_a_script_section_does_not_count_and_the_hint_says_so() -> None:
    text = (
        GOOD.replace(f"rootpw --iscrypted {HASH}\n", "")
        + f"%firstboot --interpreter=busybox\nrootpw --iscrypted {HASH}\n"
    )
    found = [p for p in validate_kickstart(text, "ks.cfg") if p.is_error]
    assert [p.message for p in found] == ["no rootpw command"]
    assert "Line 6 is inside a script section (from line 5)" in found[0].hint


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("timezone UTC", "'timezone' is a Red Hat kickstart command"),
        ("autopart", "'autopart' is a Red Hat kickstart command"),
        ("netwrok --bootproto=dhcp", "unknown command 'netwrok'"),
        ("keyboard", "keyboard: a value is missing"),
        ("paranoid --fast", "paranoid: unknown option --fast"),
        ("clearpart --alldrives=yes", "--alldrives takes no value"),
        ("clearpart --drives", "--drives needs a value"),
        ("dryrun extra", "dryrun: unexpected 'extra'"),
        ('paranoid "unclosed', "cannot be read: No closing quotation"),
        ("vmaccepteula \\", "ends with '\\'"),
        ("reboot", "reboot is given more than once"),
        ("%end", None),
        ("%packages", "'%packages' is a Red Hat kickstart section"),
        ("%whatever", "unknown section '%whatever'"),
        ("%post --interpreter=perl", "--interpreter must be busybox or python"),
        ("%pre --timeout=soon", "--timeout must be a number"),
        ("%post --ignorefailure=yes", "--ignorefailure must be true or false"),
        ("%firstboot --level=3", "%firstboot: unknown option --level"),
    ],
)
def test_each_mistake_is_an_error_on_its_line(line: str, needle: str | None) -> None:
    found = only_errors(GOOD + line + "\n")
    if needle is None:
        assert found == []
        return
    assert len(found) == 1, found
    number, message = found[0]
    assert number == 6 and needle in message


@pytest.mark.parametrize(
    ("network", "needle"),
    [
        (
            "network --bootproto=static --netmask=255.255.255.0 --gateway=10.0.0.1",
            "--bootproto=static needs --ip=",
        ),
        (
            "network --bootproto=static --ip=10.0.0.10 --gateway=10.0.0.1",
            "--bootproto=static needs --netmask=",
        ),
        (
            "network --bootproto=fixed --ip=10.0.0.10 --netmask=255.255.255.0",
            "--bootproto must be dhcp or static",
        ),
        ("network --ip=10.0.0.10 --netmask=255.255.255.0", "--bootproto must be dhcp or static"),
        (
            "network --bootproto=static --ip=10.0.0.300 --netmask=255.255.255.0",
            "--ip: '10.0.0.300' is not an IPv4",
        ),
        (
            "network --bootproto=static --ip=10.0.0.10 --netmask=255.0.255.0",
            "--netmask: '255.0.255.0' is not a netmask",
        ),
        ("network --bootproto=static --ip=10.0.0.10 --netmask=24", "is not a netmask for a host's subnet"),
        (
            "network --bootproto=static --ip=10.0.0.10 --netmask=255.255.255.0 --gateway=10.0.1.1",
            "--gateway 10.0.1.1 is outside 10.0.0.0/24",
        ),
        (
            "network --bootproto=static --ip=10.0.0.0 --netmask=255.255.255.0 --gateway=10.0.0.1",
            "10.0.0.0 is not a host address",
        ),
        ("network --bootproto=dhcp --vlanid=4095", "VLAN 4095 is outside 1 to 4094"),
        ("network --bootproto=dhcp --vlan=20", "unknown option --vlan"),
        ("network --bootproto=dhcp --device=eth0", "not an ESXi NIC name"),
        ("network --bootproto=dhcp --device=vusb0", "USB NIC"),
        ("network --bootproto=dhcp --addvmportgroup=yes", "--addvmportgroup must be 0 or 1"),
        ("network --bootproto=dhcp --nameserver=1.1.1.1,8.8.8.8,9.9.9.9", "at most 2"),
        ("network --bootproto=static --ip=10.0.0.10 --netmask=255.255.255.0 --hostname=bad_name", "'_'"),
        ("network --bootproto=dhcp --bootproto=static", "--bootproto is given twice"),
    ],
)
def test_network_values(network: str, needle: str) -> None:
    lines = [line for line in GOOD.splitlines() if not line.startswith("network")] + [network]
    found = only_errors("\n".join(lines))
    assert any(needle in message and number == 5 for number, message in found), found


def test_network_values_that_are_fine_or_only_warned() -> None:
    base = [line for line in GOOD.splitlines() if not line.startswith("network")]
    ok = "network --bootproto=dhcp --device=00:50:56:aa:bb:cc --vlanid=20 --addvmportgroup=0"
    assert problems("\n".join([*base, ok])) == []
    quoted = (
        "network --bootproto=static --ip=10.0.0.10 --netmask=255.255.255.0 --gateway=10.0.0.1 "
        '--nameserver="10.0.0.2,10.0.0.3" --hostname=esx01'
    )
    assert problems("\n".join([*base, quoted])) == []  # the quoted form VMware's documentation shows
    no_gw = "network --bootproto=static --ip=10.0.0.10 --netmask=255.255.255.0"
    assert [m for _, s, m in problems("\n".join([*base, no_gw]))] == [
        "network: no --gateway: the host reaches only its own subnet"
    ]
    dhcp = "network --bootproto=dhcp --ip=10.0.0.10"
    assert [m for _, s, m in problems("\n".join([*base, dhcp]))] == [
        "network: --ip only apply with --bootproto=static"
    ]


@pytest.mark.parametrize(
    ("install", "needle"),
    [
        ("install --overwritevmfs", "install: no disk given"),
        (
            "install --disk=naa.1 --firstdisk=local --overwritevmfs",
            "give one of --disk, --firstdisk, not several",
        ),
        ("install --disk=usb --overwritevmfs", "is an ESXi disk type"),
        (
            "install --firstdisk=local --overwritevmfs\nupgrade --firstdisk=local",
            "appear more than once (lines 2, 3)",
        ),
    ],
)
def test_install_errors(install: str, needle: str) -> None:
    found = only_errors(GOOD.replace("install --firstdisk=local --overwritevmfs", install))
    assert any(needle in message for _, message in found), found


def test_install_warnings() -> None:
    for line, needle in [
        ("install --firstdisk --overwritevmfs", "--firstdisk may choose a USB disk"),
        ("install --firstdisk=local,usb --overwritevmfs", "--firstdisk=local,usb may choose a USB disk"),
        ("install --firstdisk=local", "without --overwritevmfs"),
    ]:
        found = problems(GOOD.replace("install --firstdisk=local --overwritevmfs", line))
        assert [(n, s) for n, s, _ in found] == [(2, "warning")] and needle in found[0][2], found
    assert (
        problems(
            GOOD.replace(
                "install --firstdisk=local --overwritevmfs",
                "installorupgrade --disk=mpx.vmhba0:C0:T0:L0 --overwritevmfs",
            )
        )
        == []
    )


@pytest.mark.parametrize(
    ("rootpw", "severity", "needle"),
    [
        ("rootpw --iscrypted notahash", "error", "not a crypt hash"),
        ("rootpw --iscrypted", "error", "a value is missing"),
        ("rootpw", "error", "a value is missing"),
        ('rootpw ""', "error", "the password is empty"),
        ("rootpw --iscrypted $1$abcdefgh$abcdefghijklmnopqrstuv", "warning", "not SHA-512 crypt"),
        ("rootpw xQaT3#A-lab", "warning", "plain text"),
        ("rootpw abc", "warning", "ESXi 8 would refuse this password: it is 3 characters long"),
    ],
)
def test_rootpw(rootpw: str, severity: str, needle: str) -> None:
    found = problems(GOOD.replace(f"rootpw --iscrypted {HASH}", rootpw))
    assert any(n == 3 and s == severity and needle in m for n, s, m in found), found


def test_rootpw_hash_with_dollar_signs_needs_no_quotes() -> None:
    # shlex must not treat "$6$..." specially: it is one word, as ESXi reads it
    assert problems(GOOD) == []


def test_comments_blank_lines_and_lower_case_advice() -> None:
    text = "# header\n\n   # indented comment\n" + GOOD.replace("vmaccepteula", "VMAcceptEULA")
    found = problems(text)
    assert found == [
        (4, "warning", "'VMAcceptEULA' is written in lower case in ESXi's documentation ('vmaccepteula')")
    ]


def test_include_is_not_followed() -> None:
    found = problems(GOOD + "%include /tmp/net.cfg\n")
    assert found == [(6, "warning", "%include: the included file is not checked here")]


@pytest.mark.parametrize(
    ("data", "needle", "line"),
    [
        (b"vmaccepteula\n\xff\xfe bad\n", "is not UTF-8 text (byte 0xff at offset 13)", 2),
        (b"vmaccepteula\nrootpw\x00x\n", "NUL bytes", 2),
        ("\ufeffvmaccepteula\n".encode(), "byte-order mark", 1),
        (b"#" * (1024 * 1024 + 1), "far too large", None),
    ],
)
def test_unreadable_content(data: bytes, needle: str, line: int | None) -> None:
    found = [p for p in validate_kickstart(data, "ks.cfg") if needle in p.message]
    assert len(found) == 1 and found[0].is_error and found[0].line == line


def test_problem_text_and_dict() -> None:
    problem = Problem("ks.cfg", 3, "error", "message", "hint")
    assert str(problem) == "ks.cfg:3: error: message"
    assert str(Problem("ks.cfg", None, "error", "m")) == "ks.cfg: error: m"
    assert problem.to_dict() == {
        "file": "ks.cfg",
        "line": 3,
        "severity": "error",
        "message": "message",
        "hint": "hint",
    }


def test_read_and_check_a_file(tmp_path: Path) -> None:
    path = tmp_path / "ks.cfg"
    path.write_text(GOOD)
    data, found = check_kickstart_file(path)
    assert data == GOOD.encode() and found == []
    path.write_text(GOOD + "timezone UTC\nnetwrok\n")
    with pytest.raises(BadInput) as info:
        check_kickstart_file(path)
    assert info.value.exit_code == 2
    assert f"{path}:6: error: 'timezone' is a Red Hat kickstart command" in info.value.message
    assert f"{path}:7: error: unknown command 'netwrok'" in info.value.message
    assert "(2 errors)" in info.value.message


def test_unreadable_files_are_problems_not_exceptions(tmp_path: Path) -> None:
    assert read_kickstart(tmp_path / "nope.cfg")[1][0].message == "does not exist"
    assert read_kickstart(tmp_path)[1][0].message == "is a folder, not a kickstart file"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # a FIFO would block a reader forever: it is refused without being opened
    assert "not a regular file" in read_kickstart(fifo)[1][0].message
    with pytest.raises(BadInput):
        check_kickstart_file(fifo)


def test_a_red_hat_kickstart_is_refused() -> None:
    text = (
        """#version=RHEL8
lang en_US.UTF-8
keyboard us
timezone Europe/London --isUtc
rootpw --iscrypted $6$saltsaltsaltsalt$"""
        + HASH.split("$")[-1]
        + """
bootloader --location=mbr
network --bootproto=dhcp --device=eth0 --onboot=yes
%packages
@core
%end
"""
    )
    found = only_errors(text)
    messages = " | ".join(m for _, m in found)
    for needle in (
        "'lang' is a Red Hat",
        "'timezone' is a Red Hat",
        "'bootloader' is a Red Hat",
        "unknown option --onboot",
        "'%packages' is a Red Hat",
        "no vmaccepteula command",
        "no install (or upgrade / installorupgrade) command",
    ):
        assert needle in messages


def test_facts_for_the_history_never_hold_the_hash() -> None:
    facts = kickstart_facts(GOOD.replace("--hostname=esx01", "--hostname=esx01 --vlanid=70"))
    assert facts == {
        "hostname": "esx01",
        "bootproto": "static",
        "ip": "10.0.0.10",
        "netmask": "255.255.255.0",
        "gateway": "10.0.0.1",
        "nameserver": "10.0.0.2",
        "vlanid": "70",
        "install": "install --firstdisk=local",
    }
    assert HASH not in repr(facts)
    assert kickstart_facts((SAMPLES / "vmware-8.0-default.cfg").read_bytes()) == {
        "bootproto": "dhcp",
        "device": "vmnic0",
        "install": "install --firstdisk",
    }
    assert kickstart_facts(b"\x00\x01") == {} and kickstart_facts("") == {}


def test_clearpart_that_can_reach_the_stick_is_warned() -> None:
    for line, needle in [
        ("clearpart --alldrives --overwritevmfs", "clearpart --alldrives clears every disk"),
        ("clearpart --firstdisk --overwritevmfs", "clearpart: --firstdisk may choose a USB disk"),
    ]:
        found = problems(GOOD + line + "\n")
        assert [(n, s) for n, s, _ in found] == [(6, "warning")] and needle in found[0][2], found
    assert problems(GOOD + "clearpart --firstdisk=local --overwritevmfs\n") == []
    assert only_errors(GOOD + "clearpart --overwritevmfs\n") == [
        (6, "clearpart: say which disks (--drives=, --alldrives, --ignoredrives= or --firstdisk)")
    ]


def test_utf16_files_are_named_as_such() -> None:
    found = validate_kickstart(GOOD.encode("utf-16"), "ks.cfg")
    assert [(p.line, p.severity) for p in found] == [(1, "error")] and "UTF-16" in found[0].message


def test_full_disk_paths_are_disk_names() -> None:
    text = GOOD.replace("install --firstdisk=local", "install --disk=/vmfs/devices/disks/naa.600508b1001c")
    assert problems(text) == []
