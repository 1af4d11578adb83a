"""Checks an existing ks.cfg before it goes on a stick: readable, ESXi commands only, the required
ones present, the values sane. Each Problem names the line.

What ESXi 8 documents (sources in kickstart-reference.md): the command section comes first;
``vmaccepteula`` (or ``accepteula``), one of ``install``/``upgrade``/``installorupgrade`` and
``rootpw`` are required; ``%pre``, ``%post`` and ``%firstboot`` start script sections that run
to the next ``%`` line. This kit also requires ``network``: a stick that installs a site's host
unattended must bring it up on the site's address (without it ESXi takes DHCP on the first NIC).

Errors stop the writer; warnings are shown and the file is still used. Nothing here raises on
odd input: any text or bytes gives a list of Problems.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_field.errors import BadInput
from ecs_field.media.kickstart import model
from ecs_field.media.kickstart.model import ValueRefused

MAX_BYTES = 1024 * 1024  # a kickstart is a few KiB; anything this large is the wrong file
_LINE_END = re.compile(r"\r\n|\r|\n")
ERROR = "error"
WARNING = "warning"

REQUIRED_HINT = (
    "A minimal ESXi kickstart: vmaccepteula, install --firstdisk=local --overwritevmfs, "
    "rootpw --iscrypted HASH, network --bootproto=static ... (`ecs-field kickstart` writes one)."
)


@dataclass(frozen=True)
class Problem:
    source: str
    line: int | None  # 1-based; None = the file as a whole
    severity: str  # "error" | "warning"
    message: str
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "line": self.line,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


# Option kinds: a flag takes no value, VALUE needs "=value", OPTIONAL may have one.
FLAG, VALUE, OPTIONAL = "flag", "value", "optional"


@dataclass(frozen=True)
class CommandSpec:
    options: dict[str, str] = field(default_factory=dict)
    positional: tuple[int, int] = (0, 0)  # (min, max) bare words after the command
    single: bool = False  # may appear once


_DISK_OPTIONS = {"--disk": VALUE, "--drive": VALUE, "--firstdisk": OPTIONAL, "--dpupcislots": VALUE}
COMMANDS: dict[str, CommandSpec] = {
    "vmaccepteula": CommandSpec(),
    "accepteula": CommandSpec(),
    "clearpart": CommandSpec(
        {
            "--drives": VALUE,
            "--alldrives": FLAG,
            "--ignoredrives": VALUE,
            "--overwritevmfs": FLAG,
            "--firstdisk": OPTIONAL,
        }
    ),
    "dryrun": CommandSpec(single=True),
    "install": CommandSpec(
        {
            **_DISK_OPTIONS,
            "--ignoressd": FLAG,
            "--overwritevsan": FLAG,
            "--overwritevmfs": FLAG,
            "--preservevmfs": FLAG,
            "--novmfsondisk": FLAG,
            "--forceunsupportedinstall": FLAG,
        },
        single=True,
    ),
    "installorupgrade": CommandSpec(
        {**_DISK_OPTIONS, "--overwritevsan": FLAG, "--overwritevmfs": FLAG, "--forcemigrate": FLAG},
        single=True,
    ),
    "upgrade": CommandSpec({**_DISK_OPTIONS, "--forcemigrate": FLAG}, single=True),
    "keyboard": CommandSpec(positional=(1, 4), single=True),
    "serialnum": CommandSpec({"--esx": VALUE}, single=True),
    "vmserialnum": CommandSpec({"--esx": VALUE}, single=True),
    "network": CommandSpec(
        {
            "--bootproto": VALUE,
            "--device": VALUE,
            "--ip": VALUE,
            "--gateway": VALUE,
            "--nameserver": VALUE,
            "--netmask": VALUE,
            "--hostname": VALUE,
            "--vlanid": VALUE,
            "--addvmportgroup": VALUE,
        },
        single=True,
    ),
    "paranoid": CommandSpec(single=True),
    "part": CommandSpec(
        {"--ondisk": VALUE, "--ondrive": VALUE, "--onfirstdisk": OPTIONAL}, positional=(1, 1)
    ),
    "partition": CommandSpec(
        {"--ondisk": VALUE, "--ondrive": VALUE, "--onfirstdisk": OPTIONAL}, positional=(1, 1)
    ),
    "reboot": CommandSpec({"--noeject": FLAG}, single=True),
    "rootpw": CommandSpec({"--iscrypted": FLAG}, positional=(1, 1), single=True),
    "include": CommandSpec(positional=(1, 1)),
    "%include": CommandSpec(positional=(1, 1)),
}
SECTIONS: dict[str, dict[str, str]] = {
    "%pre": {"--interpreter": VALUE, "--timeout": VALUE, "--ignorefailure": VALUE},
    "%post": {"--interpreter": VALUE, "--timeout": VALUE, "--ignorefailure": VALUE},
    "%firstboot": {"--interpreter": VALUE},
}
INSTALL_COMMANDS = ("install", "upgrade", "installorupgrade")
# Red Hat (anaconda) kickstart commands people paste in; ESXi has none of them.
_REDHAT_ONLY = frozenset(
    {
        "auth",
        "authconfig",
        "autopart",
        "autostep",
        "bootloader",
        "cdrom",
        "cmdline",
        "device",
        "driverdisk",
        "esxlocation",
        "firewall",
        "firewallport",
        "firstboot",
        "graphical",
        "halt",
        "harddrive",
        "ignoredisk",
        "interactive",
        "iscsi",
        "lang",
        "langsupport",
        "logging",
        "logvol",
        "mediacheck",
        "monitor",
        "mouse",
        "multipath",
        "nfs",
        "poweroff",
        "raid",
        "repo",
        "selinux",
        "services",
        "shutdown",
        "skipx",
        "sshpw",
        "text",
        "timezone",
        "url",
        "user",
        "virtualdisk",
        "vnc",
        "volgroup",
        "xconfig",
        "zerombr",
        "zfcp",
        "%packages",
        "%addon",
        "%anaconda",
        "%onerror",
    }
)


@dataclass
class _Line:
    number: int
    command: str
    options: dict[str, str | None]  # "--ip" -> "10.0.0.1"; a flag -> None
    words: list[str]


@dataclass
class _State:
    source: str
    problems: list[Problem] = field(default_factory=list)
    commands: dict[str, list[_Line]] = field(default_factory=dict)
    in_scripts: dict[str, int] = field(default_factory=dict)  # command word seen inside a script -> line
    first_section: int | None = None

    def add(self, line: int | None, severity: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.source, line, severity, message, hint))


def _decode(data: bytes, state: _State) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        state.add(
            1,
            ERROR,
            "is UTF-16 text (Windows Notepad's 'Unicode'); ESXi reads UTF-8 or ASCII",
            "Save the file again as UTF-8 (or ANSI/ASCII).",
        )
        return None
    if len(data) > MAX_BYTES:
        state.add(
            None,
            ERROR,
            f"{len(data)} bytes: far too large for a kickstart (at most {MAX_BYTES})",
            "Is this the right file? A kickstart is a short text file.",
        )
        return None
    if b"\x00" in data:
        state.add(
            data[: data.index(b"\x00")].count(b"\n") + 1,
            ERROR,
            "holds NUL bytes: this is a binary file, not a kickstart text",
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        state.add(
            line,
            ERROR,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "Save the file as UTF-8 (or plain ASCII).",
        )
        return None


def _split(text: str, number: int, state: _State) -> list[str] | None:
    try:
        return shlex.split(text, comments=True, posix=True)
    except ValueError as exc:  # "No closing quotation", "No escaped character"
        state.add(number, ERROR, f"cannot be read: {exc}", "Close the quote or remove it.")
        return None


def _parse_options(
    words: list[str], number: int, spec_options: dict[str, str], command: str, state: _State
) -> tuple[dict[str, str | None], list[str]]:
    options: dict[str, str | None] = {}
    bare: list[str] = []
    for word in words:
        if not word.startswith("--"):
            bare.append(word)
            continue
        name, has_value, value = word.partition("=")
        kind = spec_options.get(name)
        if kind is None:
            close = difflib.get_close_matches(name, list(spec_options), n=1)
            known = ", ".join(spec_options) or "none"
            hint = f"Did you mean {close[0]}?" if close else f"{command} takes: {known}."
            state.add(number, ERROR, f"{command}: unknown option {name}", hint)
            continue
        if name in options:
            state.add(number, ERROR, f"{command}: {name} is given twice")
        if kind == FLAG and has_value:
            state.add(number, ERROR, f"{command}: {name} takes no value")
        if kind == VALUE and (not has_value or not value):
            state.add(number, ERROR, f"{command}: {name} needs a value ({name}=VALUE)")
        options[name] = value if has_value else None
    return options, bare


def _command_line(number: int, words: list[str], state: _State) -> None:
    word = words[0]
    command = word.lower() if word.lower() in COMMANDS else word
    if command != word:
        state.add(number, WARNING, f"'{word}' is written in lower case in ESXi's documentation ('{command}')")
    spec = COMMANDS.get(command)
    if spec is None:
        if word.lower() in _REDHAT_ONLY:
            state.add(
                number,
                ERROR,
                f"'{word}' is a Red Hat kickstart command; ESXi does not support it",
                "Remove the line; ESXi's commands are listed in the README (kickstart).",
            )
        else:
            close = difflib.get_close_matches(word.lower(), list(COMMANDS), n=1)
            state.add(
                number,
                ERROR,
                f"unknown command '{word}'",
                f"Did you mean '{close[0]}'?" if close else REQUIRED_HINT,
            )
        return
    options, bare = _parse_options(words[1:], number, spec.options, command, state)
    low, high = spec.positional
    if len(bare) > high:
        extra = " ".join(bare[high:])
        state.add(
            number,
            ERROR,
            f"{command}: unexpected '{extra}'"
            + (" (options are written --name=value)" if any(not b.startswith("-") for b in bare) else ""),
        )
    elif len(bare) < low:
        state.add(number, ERROR, f"{command}: a value is missing")
    state.commands.setdefault(command, []).append(_Line(number, command, options, bare))


def _section_line(number: int, words: list[str], state: _State) -> None:
    name = words[0].lower()
    if state.first_section is None:
        state.first_section = number
    spec = SECTIONS.get(name)
    if spec is None:
        if name == "%end":
            state.add(number, WARNING, "ESXi does not document %end; a section runs to the next % line")
        elif name in _REDHAT_ONLY:
            state.add(number, ERROR, f"'{words[0]}' is a Red Hat kickstart section; ESXi does not support it")
        else:
            state.add(number, ERROR, f"unknown section '{words[0]}' (ESXi knows %pre, %post, %firstboot)")
        return
    options, bare = _parse_options(words[1:], number, spec, name, state)
    if bare:
        state.add(number, ERROR, f"{name}: unexpected '{' '.join(bare)}'")
    interpreter = options.get("--interpreter")
    if interpreter and interpreter not in ("busybox", "python"):
        state.add(number, ERROR, f"{name}: --interpreter must be busybox or python, not {interpreter!r}")
    timeout = options.get("--timeout")
    if timeout and not timeout.isdigit():
        state.add(number, ERROR, f"{name}: --timeout must be a number of seconds")
    failure = options.get("--ignorefailure")
    if failure and failure not in ("true", "false"):
        state.add(number, ERROR, f"{name}: --ignorefailure must be true or false")


def _checked(state: _State, line: _Line, check: Callable[[str], object], option: str) -> object | None:
    value = line.options.get(option)
    if not value:
        return None
    try:
        return check(value)
    except ValueRefused as exc:
        state.add(line.number, ERROR, f"{line.command} {option}: {exc}")
        return None


def _netmask(value: str) -> ipaddress.IPv4Address:
    try:
        network = ipaddress.IPv4Network(f"0.0.0.0/{value}")
    except ValueError:
        raise ValueRefused(f"{value!r} is not a netmask (like 255.255.255.0)") from None
    if "." not in value or network.prefixlen in (0, 31, 32):
        raise ValueRefused(f"{value!r} is not a netmask for a host's subnet (like 255.255.255.0)")
    return network.netmask


def _check_network(state: _State, line: _Line) -> None:
    opts = line.options
    proto = opts.get("--bootproto")
    if proto is None or proto not in ("dhcp", "static"):
        state.add(
            line.number,
            ERROR,
            "network: --bootproto must be dhcp or static" + ("" if proto is None else f", not {proto!r}"),
        )
    checks: dict[str, Callable[[str], object]] = {
        "--ip": lambda v: model.check_ipv4(v, "the address"),
        "--gateway": lambda v: model.check_ipv4(v, "the gateway"),
        "--netmask": _netmask,
        "--nameserver": model.check_dns,
        "--hostname": model.check_hostname,
        "--vlanid": model.check_vlan,
    }
    values = {name: _checked(state, line, check, name) for name, check in checks.items()}
    device = opts.get("--device")
    if device and not _is_mac(device):
        _checked(state, line, model.check_nic, "--device")
    port_group = opts.get("--addvmportgroup")
    if port_group is not None and port_group not in ("0", "1"):
        state.add(line.number, ERROR, "network: --addvmportgroup must be 0 or 1")
    if proto == "static":
        for needed in ("--ip", "--netmask"):
            if not opts.get(needed):
                state.add(line.number, ERROR, f"network: --bootproto=static needs {needed}=")
        if not opts.get("--gateway"):
            state.add(line.number, WARNING, "network: no --gateway: the host reaches only its own subnet")
        address, netmask, gateway = values["--ip"], values["--netmask"], values["--gateway"]
        if isinstance(address, ipaddress.IPv4Address) and isinstance(netmask, ipaddress.IPv4Address):
            interface = ipaddress.IPv4Interface(f"{address}/{netmask}")
            if address in (interface.network.network_address, interface.network.broadcast_address):
                state.add(
                    line.number, ERROR, f"network: {address} is not a host address in {interface.network}"
                )
            if isinstance(gateway, ipaddress.IPv4Address):
                if gateway not in interface.network:
                    state.add(
                        line.number,
                        ERROR,
                        f"network: --gateway {gateway} is outside {interface.network}, the subnet of --ip",
                    )
                elif gateway == address:
                    state.add(line.number, ERROR, "network: --gateway is the host's own address")
    elif proto == "dhcp":
        ignored = [n for n in ("--ip", "--netmask", "--gateway", "--nameserver", "--hostname") if n in opts]
        if ignored:
            state.add(
                line.number, WARNING, f"network: {', '.join(ignored)} only apply with --bootproto=static"
            )


def _is_mac(value: str) -> bool:
    parts = value.split(":")
    return len(parts) == 6 and all(
        len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p) for p in parts
    )


def _check_clearpart(state: _State, line: _Line) -> None:
    opts = line.options
    if "--alldrives" in opts:
        state.add(
            line.number,
            WARNING,
            "clearpart --alldrives clears every disk the installer sees, "
            "the USB stick it booted from included",
            "Name the disks with --drives=, or leave clearpart out.",
        )
    if "--firstdisk" in opts:
        kinds = [k.strip().lower() for k in (opts["--firstdisk"] or "").split(",") if k.strip()]
        if not kinds or "usb" in kinds:
            state.add(
                line.number,
                WARNING,
                "clearpart: --firstdisk may choose a USB disk, the stick included",
                "Use --firstdisk=local.",
            )
    targets = [n for n in ("--drives", "--alldrives", "--ignoredrives", "--firstdisk") if n in opts]
    if not targets:
        state.add(
            line.number,
            ERROR,
            "clearpart: say which disks (--drives=, --alldrives, --ignoredrives= or --firstdisk)",
        )


def _check_install(state: _State, line: _Line) -> None:
    opts = line.options
    targets = [name for name in ("--disk", "--drive", "--firstdisk") if name in opts]
    if not targets:
        state.add(
            line.number,
            ERROR,
            f"{line.command}: no disk given",
            "Add --firstdisk=local (the first local disk, never a USB stick) or --disk=NAME.",
        )
    elif len(targets) > 1:
        state.add(line.number, ERROR, f"{line.command}: give one of {', '.join(targets)}, not several")
    if "--firstdisk" in opts:
        given = opts["--firstdisk"] or ""
        kinds = [k.strip().lower() for k in given.split(",") if k.strip()]
        if not kinds or "usb" in kinds:
            state.add(
                line.number,
                WARNING,
                f"{line.command}: --firstdisk{'=' + given if kinds else ''} may choose a "
                "USB disk (ESXi's default order is local, remote, usb): with no local disk found it "
                "installs over the stick it booted from",
                "Use --firstdisk=local.",
            )
    for name in ("--disk", "--drive"):
        value = opts.get(name)
        if value:
            try:
                model.check_disk(value)
            except ValueRefused as exc:
                state.add(line.number, ERROR, f"{line.command} {name}: {exc}")
    if line.command == "install" and "--overwritevmfs" not in opts and "--preservevmfs" not in opts:
        state.add(
            line.number,
            WARNING,
            "install: without --overwritevmfs the install stops on a disk "
            "that already holds a VMFS datastore",
        )


def _check_rootpw(state: _State, line: _Line) -> None:
    from ecs_field.media.kickstart import cryptpw, password

    value = line.words[0] if line.words else ""
    if "--iscrypted" in line.options:
        if cryptpw.is_sha512_crypt(value):
            return
        if value.startswith(("$1$", "$5$", "$2")) and value.count("$") >= 3:
            state.add(
                line.number, WARNING, "rootpw: the hash is not SHA-512 crypt ($6$), ESXi 8's own format"
            )
        else:
            state.add(
                line.number,
                ERROR,
                "rootpw --iscrypted: the value is not a crypt hash ($6$salt$...)",
                "Write the hash with `ecs-field kickstart` (or `openssl passwd -6`).",
            )
        return
    if not value:
        state.add(line.number, ERROR, "rootpw: the password is empty")
        return
    state.add(
        line.number,
        WARNING,
        "rootpw: the password is in plain text; anyone holding the stick can read it",
        "`ecs-field kickstart` writes it as a SHA-512 hash (rootpw --iscrypted).",
    )
    verdict = password.check_root_password(value)
    for reason in verdict.problems:
        state.add(line.number, WARNING, f"rootpw: ESXi 8 would refuse this password: {reason}")
    for reason in verdict.guessable:
        state.add(line.number, WARNING, f"rootpw: do not use this password: {reason}")


def _check_required(state: _State) -> None:
    def missing(what: str, words: tuple[str, ...]) -> None:
        inside = [state.in_scripts[w] for w in words if w in state.in_scripts]
        hint = REQUIRED_HINT
        if inside:
            hint = (
                f"Line {inside[0]} is inside a script section (from line {state.first_section}); "
                "commands must come before the first %pre/%post/%firstboot."
            )
        state.add(None, ERROR, f"no {what} command", hint)

    if not ({"vmaccepteula", "accepteula"} & state.commands.keys()):
        missing("vmaccepteula", ("vmaccepteula", "accepteula"))
    installs = [line for name in INSTALL_COMMANDS for line in state.commands.get(name, [])]
    if not installs:
        missing("install (or upgrade / installorupgrade)", INSTALL_COMMANDS)
    elif len(installs) > 1:
        numbers = ", ".join(str(line.number) for line in sorted(installs, key=lambda x: x.number))
        state.add(
            installs[-1].number,
            ERROR,
            f"install, upgrade and installorupgrade appear more than once "
            f"(lines {numbers}); ESXi takes exactly one",
        )
    if "rootpw" not in state.commands:
        missing("rootpw", ("rootpw",))
    if "network" not in state.commands:
        missing("network", ("network",))
    for name, lines in state.commands.items():
        if COMMANDS[name].single and len(lines) > 1 and name not in INSTALL_COMMANDS:
            numbers = ", ".join(str(line.number) for line in lines)
            state.add(lines[1].number, ERROR, f"{name} is given more than once (lines {numbers})")
    if "dryrun" in state.commands:
        state.add(
            state.commands["dryrun"][0].number,
            WARNING,
            "dryrun: the installer only checks the script and installs nothing",
        )
    for name in ("include", "%include"):
        for line in state.commands.get(name, []):
            state.add(line.number, WARNING, f"{name}: the included file is not checked here")


def _scan(text: str | bytes, source_name: str) -> _State:
    """The file read command by command; an _Unreadable state when it is not a text file."""
    state = _State(source_name)
    if isinstance(text, bytes | bytearray):
        decoded = _decode(bytes(text), state)
        if decoded is None:
            return _Unreadable(state)
        text = decoded
    elif len(text) > MAX_BYTES:
        state.add(None, ERROR, f"{len(text)} characters: far too large for a kickstart")
        return _Unreadable(state)
    if "\x00" in text:
        state.add(text[: text.index("\x00")].count("\n") + 1, ERROR, "holds NUL characters: not a text file")
        return _Unreadable(state)
    if text.startswith("\ufeff"):
        state.add(
            1,
            ERROR,
            "starts with a byte-order mark, which ESXi reads as part of the first command",
            "Save the file as UTF-8 without BOM.",
        )
        text = text[1:]
    in_section = False
    # Lines end at \n, \r\n or \r, as a file read in text mode does (str.splitlines would also
    # split at \v, \f and other separators the installer does not see as line ends).
    for number, raw in enumerate(_LINE_END.split(text), start=1):
        stripped = raw.strip()
        if stripped.startswith("%") and not stripped.lower().startswith("%include"):
            words = _split(stripped, number, state)
            if words:
                _section_line(number, words, state)
                in_section = True
            continue
        if in_section:
            head = stripped.split(maxsplit=1)[0].lower() if stripped else ""
            if head in COMMANDS and head not in state.in_scripts:
                state.in_scripts[head] = number
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            state.add(number, ERROR, "ends with '\\': ESXi reads one command per line, with no continuation")
            stripped = stripped.rstrip("\\").rstrip()
        words = _split(stripped, number, state)
        if words:
            _command_line(number, words, state)
    return state


class _Unreadable(_State):
    """A scan that stopped before reading commands (binary, not UTF-8, too large)."""

    def __init__(self, state: _State) -> None:
        super().__init__(state.source, state.problems)


def validate_kickstart(text: str | bytes, source_name: str) -> list[Problem]:
    """Every problem in the kickstart ``text`` (or raw bytes of a file), errors and warnings, by line."""
    state = _scan(text, source_name)
    if isinstance(state, _Unreadable):
        return state.problems
    if "network" in state.commands:
        _check_network(state, state.commands["network"][0])
    for name in INSTALL_COMMANDS:
        for line in state.commands.get(name, []):
            _check_install(state, line)
    for line in state.commands.get("clearpart", []):
        _check_clearpart(state, line)
    if state.commands.get("rootpw"):
        _check_rootpw(state, state.commands["rootpw"][0])
    _check_required(state)
    return sorted(state.problems, key=lambda p: (p.line or 0, p.severity != ERROR))


def kickstart_facts(text: str | bytes) -> dict[str, str]:
    """What a kickstart sets, for the write history and the GUI: host name, addresses, disk.

    Keys (present when the file sets them): hostname, bootproto, ip, netmask, gateway, nameserver,
    vlanid, device, install (e.g. "install --firstdisk=local"). Never the root password or its hash.
    """
    state = _scan(text, "kickstart")
    if isinstance(state, _Unreadable):
        return {}
    facts: dict[str, str] = {}
    network = state.commands.get("network")
    if network:
        for name in ("hostname", "bootproto", "ip", "netmask", "gateway", "nameserver", "vlanid", "device"):
            value = network[0].options.get(f"--{name}")
            if value:
                facts[name] = value
    for command in INSTALL_COMMANDS:
        for line in state.commands.get(command, [])[:1]:
            disk = [
                f"{k}={v}" if v is not None else k
                for k, v in line.options.items()
                if k in ("--disk", "--drive", "--firstdisk")
            ]
            facts["install"] = " ".join([command, *disk])
    return facts


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def read_kickstart(path: Path) -> tuple[bytes, list[Problem]]:
    """The file's bytes and its problems; an unreadable file is one error Problem (no exception)."""
    name = str(path)
    try:
        if path.is_dir():
            return b"", [Problem(name, None, ERROR, "is a folder, not a kickstart file")]
        if path.exists() and not path.is_file():
            return b"", [Problem(name, None, ERROR, "is not a regular file (a device or a pipe?)")]
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return b"", [Problem(name, None, ERROR, "does not exist")]
    except OSError as exc:
        return b"", [Problem(name, None, ERROR, f"cannot be read: {exc.strerror or exc}")]
    return data, validate_kickstart(data, name)


def check_kickstart_file(path: Path) -> tuple[bytes, list[Problem]]:
    """For the writer: the file's exact bytes and its warnings; BadInput (exit 2) when any error.

    Call it before the stick is touched. The bytes returned are what was validated: put exactly
    these on the stick (not a second read of the path).
    """
    data, problems = read_kickstart(path)
    bad = errors(problems)
    if bad:
        shown = "\n  ".join(str(p) + (f"\n    hint: {p.hint}" if p.hint else "") for p in bad[:20])
        more = f"\n  ... and {len(bad) - 20} more" if len(bad) > 20 else ""
        count = f"{len(bad)} error{'s' if len(bad) != 1 else ''}"
        raise BadInput(
            f"kickstart {path} cannot be used ({count}):\n  {shown}{more}",
            "Fix the file, or write a new one with `ecs-field kickstart`.",
        )
    return data, problems
