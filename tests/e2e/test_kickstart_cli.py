"""``ecs-field kickstart`` end to end: the real entry point, a real terminal (pty), openssl, sites.yaml."""

from __future__ import annotations

import os
import pty
import select
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field import paths
from ecs_field.media.kickstart.cryptpw import HASH_PATTERN, verify
from ecs_field.media.kickstart.validate import validate_kickstart
from ecs_field.sites.registry import Registry, Site
from tests.clirun import run_cli, run_process

PASSWORD = "Edge#Depot7-kx"  # ESXi 8 accepts it: 4 classes, 14 characters
BASE = (
    "--hostname",
    "esx01.depot7.example",
    "--ip",
    "10.7.0.10/24",
    "--gateway",
    "10.7.0.1",
    "--dns",
    "10.7.0.2,10.7.0.3",
)


def kickstart(out: Path, *extra: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {"ESX_ROOT": password} if password is not None else {}
    return run_process("kickstart", *BASE, *extra, "--root-password-env", "ESX_ROOT", "-o", str(out), env=env)


def root_hash(text: str) -> str:
    line = next(line for line in text.splitlines() if line.startswith("rootpw "))
    return line.split()[-1]


def test_writes_the_documented_lines(tmp_path: Path) -> None:
    out = tmp_path / "ks.cfg"
    done = kickstart(out, "--vlan", "70", "--ntp", "10.7.0.2,ntp.depot7.example", "--nic", "vmnic1")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # messages go to stderr
    text = out.read_text()
    lines = text.splitlines()
    body = [line for line in lines if not line.startswith("#")]
    hashed = root_hash(text)
    assert body == [
        "vmaccepteula",
        "install --firstdisk=local --overwritevmfs",
        f"rootpw --iscrypted {hashed}",
        "network --bootproto=static --ip=10.7.0.10 --netmask=255.255.255.0 --gateway=10.7.0.1 "
        "--nameserver=10.7.0.2,10.7.0.3 --hostname=esx01.depot7.example --vlanid=70 --device=vmnic1",
        "reboot",
        "",
        "%firstboot --interpreter=busybox",
        "esxcli system ntp set --server=10.7.0.2 --server=ntp.depot7.example --enabled=true",
    ]
    assert HASH_PATTERN.match(hashed) and verify(PASSWORD, hashed)
    assert validate_kickstart(out.read_bytes(), str(out)) == []
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # the hash can be attacked offline: owner only
    assert "Wrote" in done.stderr and "VLAN 70" in done.stderr and "Next: ecs-field write" in done.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_hash_is_what_openssl_makes_with_the_same_salt(tmp_path: Path) -> None:
    out = tmp_path / "ks.cfg"
    assert kickstart(out).returncode == 0
    hashed = root_hash(out.read_text())
    salt = hashed.split("$")[2]
    made = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert made == hashed


def test_the_password_is_written_nowhere(tmp_path: Path, ecs_home: Path) -> None:
    out = tmp_path / "ks.cfg"
    done = kickstart(out, "--ntp", "10.7.0.2")
    assert done.returncode == 0
    places = {"ks.cfg": out.read_text(), "stdout": done.stdout, "stderr": done.stderr}
    for log in paths.log_dir().glob("*.log*"):
        places[log.name] = log.read_text(errors="replace")
    assert any(name.endswith(".log") for name in places), "the command logs its run"
    for name, content in places.items():
        assert PASSWORD not in content, name
    for leftover in ecs_home.rglob("*"):  # nothing else kept it either
        if leftover.is_file():
            assert PASSWORD.encode() not in leftover.read_bytes(), leftover


@pytest.mark.parametrize(
    ("extra", "options"),
    [
        (("--ip", "10.7.0.10"), ["--ip"]),
        (("--gateway", "10.8.0.1", "--vlan", "4095", "--nic", "eth0"), ["--gateway", "--vlan", "--nic"]),
        (("--hostname", "esx_01", "--dns", "10.7.0.2,10.7.0.3,10.7.0.4"), ["--hostname", "--dns"]),
        (
            (
                "--disk",
                "usb",
            ),
            ["--disk"],
        ),
        (
            (
                "--ntp",
                "pool.ntp.org;reboot",
            ),
            ["--ntp"],
        ),
    ],
)
def test_bad_values_exit_2_naming_each_option(
    tmp_path: Path, extra: tuple[str, ...], options: list[str]
) -> None:
    out = tmp_path / "ks.cfg"
    done = run_cli("kickstart", *BASE, *extra, "--root-password-env", "NOT_SET_ANYWHERE", "-o", str(out))
    assert done.returncode == 2
    for option in options:
        assert f"  {option}: " in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()  # values are checked before the password is even looked for


def test_missing_required_options(tmp_path: Path) -> None:
    done = run_cli("kickstart", "-o", str(tmp_path / "ks.cfg"))
    assert done.returncode == 2
    for option in ("--hostname", "--ip", "--gateway", "--dns"):
        assert f"{option}: is required" in done.stderr


@pytest.mark.parametrize(
    ("password", "needle"),
    [
        ("VMware1", "it mixes 2 character classes"),
        ("short1A!", None),
        ("xQaT3#Aroot", "user name 'root'"),
        ("myp@ssw0rd", "VMware's sample kickstarts"),
        ("", "is empty"),
    ],
)
def test_passwords_esxi_would_refuse_are_refused(tmp_path: Path, password: str, needle: str | None) -> None:
    out = tmp_path / "ks.cfg"
    done = kickstart(out, password=password)
    if needle is None:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2
    assert "the root password in ESX_ROOT is refused" in done.stderr and needle in done.stderr
    assert "ESXi 8 accepts root passwords of 7 to 39 characters" in done.stderr  # the rules, in the hint
    assert not out.exists()
    if password:
        assert password not in done.stderr


def test_no_password_source(tmp_path: Path) -> None:
    out = tmp_path / "ks.cfg"
    unset = kickstart(out, password=None)
    assert unset.returncode == 2 and "environment variable ESX_ROOT is not set" in unset.stderr
    no_tty = run_process("kickstart", *BASE, "-o", str(out))  # stdin is /dev/null: nobody to ask
    assert no_tty.returncode == 2 and "no terminal to ask on" in no_tty.stderr
    assert "--root-password-env VAR" in no_tty.stderr
    bad_name = run_cli("kickstart", *BASE, "--root-password-env", "my password", "-o", str(out))
    assert bad_name.returncode == 2 and "is not an environment variable name" in bad_name.stderr
    assert not out.exists()


def test_output_to_stdout_and_bad_output(tmp_path: Path) -> None:
    done = kickstart(Path("-"))
    assert done.returncode == 0
    assert done.stdout.splitlines()[2] == "vmaccepteula"
    assert "Wrote stdout" in done.stderr
    folder = kickstart(tmp_path)
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    special = kickstart(fifo)
    assert special.returncode == 2 and "is not a regular file" in special.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # left as it was


def test_site_defaults_fill_unset_options(tmp_path: Path) -> None:
    registry = Registry.load()
    registry.add(
        Site(
            "depot-7",
            str(tmp_path / "repo"),
            install={
                "hostname": "esx-{site}.corp.example",
                "prefix": 24,
                "gateway": "10.7.0.1",
                "dns": ["10.7.0.2"],
                "ntp": ["10.7.0.2", "ntp.corp.example"],
                "vlan": 70,
                "nic": "vmnic2",
                "disk": "first",
            },
        )
    )
    out = tmp_path / "ks.cfg"
    done = run_process(
        "kickstart",
        "--site",
        "depot-7",
        "--ip",
        "10.7.0.11",
        "--dns",
        "10.7.0.53",
        "--root-password-env",
        "ESX_ROOT",
        "-o",
        str(out),
        env={"ESX_ROOT": PASSWORD},
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert (
        "network --bootproto=static --ip=10.7.0.11 --netmask=255.255.255.0 --gateway=10.7.0.1 "
        "--nameserver=10.7.0.53 --hostname=esx-depot-7.corp.example --vlanid=70 --device=vmnic2\n"
    ) in text
    assert "install --firstdisk=local,remote --overwritevmfs\n" in text
    assert "esxcli system ntp set --server=10.7.0.2 --server=ntp.corp.example --enabled=true\n" in text
    assert "defaults from site depot-7" in done.stderr and "dns" not in done.stderr.split("defaults from")[1]


def test_a_bad_site_default_names_the_site_and_unknown_sites_exit_2(tmp_path: Path) -> None:
    Registry.load().add(
        Site("depot-8", str(tmp_path / "repo"), install={"gateway": "10.9.0.1", "dns": "10.7.0.2"})
    )
    done = run_cli(
        "kickstart",
        "--site",
        "depot-8",
        "--hostname",
        "esx01",
        "--ip",
        "10.7.0.10/24",
        "-o",
        str(tmp_path / "ks.cfg"),
    )
    assert done.returncode == 2
    assert "--gateway (default from site depot-8): 10.9.0.1 is outside 10.7.0.0/24" in done.stderr
    unknown = run_cli("kickstart", *BASE, "--site", "nowhere", "-o", str(tmp_path / "ks.cfg"))
    assert unknown.returncode == 2 and "unknown site 'nowhere'" in unknown.stderr
    plain = Registry.load()
    plain.add(Site("depot-9", str(tmp_path / "repo")))
    done = run_process(
        "kickstart",
        *BASE,
        "--site",
        "depot-9",
        "--root-password-env",
        "ESX_ROOT",
        "-o",
        str(tmp_path / "ks.cfg"),
        env={"ESX_ROOT": PASSWORD},
    )
    assert done.returncode == 0 and "site depot-9 has no install defaults" in done.stderr


def test_help_describes_what_is_written() -> None:
    done = run_cli("kickstart", "--help")
    assert done.returncode == 0
    for needle in ("--root-password-env", "--firstdisk=local", "rootpw --iscrypted", "%firstboot", "7 to 39"):
        assert needle in done.stdout


# --- asked on a real terminal -------------------------------------------------------------------


def _on_terminal(args: list[str], answers: list[str], timeout: float = 60) -> tuple[int, str]:
    """Run the CLI with a pty as its controlling terminal; answer each password prompt in turn."""
    try:
        pid, fd = pty.fork()
    except OSError as exc:  # a container without /dev/ptmx
        pytest.skip(f"no pseudo-terminal here: {exc}")
    if pid == 0:  # the child: becomes `python -m ecs_field ...` on the terminal
        os.execvpe(sys.executable, [sys.executable, "-m", "ecs_field", *args], dict(os.environ))
    seen = b""
    answered = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            prompts = seen.count(b"Root password for") + seen.count(b"Again, to be sure:")
            if answered < len(answers) and prompts > answered:
                os.write(fd, answers[answered].encode() + b"\n")
                answered += 1
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_asked_twice_on_a_terminal_without_echo(tmp_path: Path) -> None:
    out = tmp_path / "ks.cfg"
    code, screen = _on_terminal(["kickstart", *BASE, "-o", str(out)], [PASSWORD, PASSWORD])
    assert code == 0, screen
    assert "ESXi 8 accepts root passwords" in screen  # the rules are shown before asking
    assert PASSWORD not in screen  # getpass does not echo it
    assert verify(PASSWORD, root_hash(out.read_text()))


def test_terminal_retries_then_gives_up(tmp_path: Path) -> None:
    out = tmp_path / "ks.cfg"
    code, screen = _on_terminal(
        ["kickstart", *BASE, "-o", str(out)], ["weak", PASSWORD, "different-Pw#1", PASSWORD, PASSWORD]
    )
    assert code == 0, screen
    assert "that password is refused: it is 4 characters long" in screen
    assert "The two entries differ. Try again." in screen
    out.unlink()
    code, screen = _on_terminal(["kickstart", *BASE, "-o", str(out)], ["weak", "weaker", "Xqat3hi"])
    assert code == 2 and "no root password accepted" in screen
    assert not out.exists()


# --- any option values: exit 0 or 2, never a traceback or exit 70 -------------------------------

_VALUE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "10.7.0.10/24",
            "10.7.0.1",
            "10.7.0.2,10.7.0.3",
            "70",
            "vmnic1",
            "local",
            "first",
            "esx01",
            "pool.ntp.org",
            "-",
            "--",
            "/",
            "0",
            "4094",
            "x/33",
        ]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.fixed_dictionaries(
        {
            name: st.one_of(st.none(), _VALUE)
            for name in ("--hostname", "--ip", "--gateway", "--dns", "--vlan", "--ntp", "--nic", "--disk")
        }
    ),
    password=st.text(max_size=45),
)
def test_any_option_values_exit_0_or_2(tmp_path: Path, values: dict, password: str) -> None:
    args = [item for name, value in values.items() if value is not None for item in (f"{name}={value}",)]
    out = tmp_path / "any.cfg"
    os.environ["ESX_ROOT_ANY"] = password.replace("\x00", "")
    try:
        done = run_cli("kickstart", *args, "--root-password-env", "ESX_ROOT_ANY", "-o", str(out))
    finally:
        del os.environ["ESX_ROOT_ANY"]
    assert done.returncode in (0, 2), done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    if done.returncode == 0:
        assert validate_kickstart(out.read_bytes(), str(out)) == []
        out.unlink()
