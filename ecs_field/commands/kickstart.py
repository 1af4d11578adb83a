"""``ecs-field kickstart``: write an ESXi kickstart (ks.cfg) that installs a host unattended.

Exit 0 written, 2 a bad value (each named by its option), a refused password, or no password.
The root password is read from an environment variable (--root-password-env VAR) or asked twice
on the terminal; only its SHA-512 crypt hash leaves this process, in the file.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from pathlib import Path
from typing import Any

from ecs_field.commands.output import say
from ecs_field.errors import BadInput

TRIES = 3  # like ESXi's passwdqc "retry=3"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

EPILOG = """\
what it writes:
  vmaccepteula
  install --firstdisk=local --overwritevmfs      (--disk first: --firstdisk=local,remote;
                                                 --disk NAME: --disk=NAME; a USB disk is never chosen)
  rootpw --iscrypted $6$...                      (SHA-512 crypt of the root password)
  network --bootproto=static --ip= --netmask= --gateway= --nameserver= --hostname= [--vlanid=] [--device=]
  reboot
  %firstboot --interpreter=busybox               (only with --ntp)
  esxcli system ntp set --server=S ... --enabled=true

root password rules (ESXi 8 default policy): 7 to 39 characters, at least three of lower case,
upper case, digits and other characters (an upper-case first letter and a digit at the end do not
count), at least 5 different characters, no 'root', no runs like 'qwerty' or '1234'.

examples:
  ecs-field kickstart --hostname esx01.depot7.example --ip 10.7.0.10/24 --gateway 10.7.0.1 \\
      --dns 10.7.0.2,10.7.0.3 --vlan 70 --ntp 10.7.0.2 -o ks.cfg
  ESX_ROOT='...' ecs-field kickstart --site depot-7 --ip 10.7.0.11/24 --root-password-env ESX_ROOT -o ks.cfg
"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "kickstart",
        help="write an ESXi kickstart (ks.cfg) for an unattended host install",
        description="Write an ESXi 8 kickstart that installs a host with the site's network settings, "
        "so nobody types addresses on the host console. Put it on a stick with "
        "`ecs-field write IMAGE DEVICE --kickstart FILE`. Unset options are taken from --site.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--hostname", metavar="H", help="host name, short or fully qualified")
    parser.add_argument("--ip", metavar="A.B.C.D/NN", help="management address with prefix length")
    parser.add_argument("--gateway", metavar="G", help="default gateway (inside the --ip subnet)")
    parser.add_argument("--dns", metavar="D[,D]", help="one or two DNS server addresses")
    parser.add_argument("--vlan", metavar="N", help="management VLAN ID, 1-4094 (leave out for untagged)")
    parser.add_argument("--ntp", metavar="S[,S]", help="NTP servers (addresses or names), set at first boot")
    parser.add_argument("--nic", metavar="vmnicN", help="management NIC (default: the installer's choice)")
    parser.add_argument(
        "--disk",
        metavar="local|first|NAME",
        help="install disk: 'local' (default) first local disk; 'first' first local or SAN "
        "disk; or an ESXi disk name (naa..., t10..., mpx...). 'local' and 'first' never pick a USB disk.",
    )
    parser.add_argument(
        "--root-password-env",
        metavar="VAR",
        help="read the root password from this environment variable (else: asked twice)",
    )
    parser.add_argument("--site", metavar="SITE", help="fill unset options from the site's install defaults")
    parser.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="where to write ks.cfg ('-' = stdout)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ecs_field.media.kickstart.cryptpw import sha512_crypt
    from ecs_field.media.kickstart.model import RawSettings, parse_settings
    from ecs_field.media.kickstart.render import render_kickstart
    from ecs_field.media.kickstart.validate import errors, validate_kickstart

    raw = RawSettings(
        hostname=args.hostname,
        ip=args.ip,
        gateway=args.gateway,
        dns=args.dns,
        vlan=args.vlan,
        ntp=args.ntp,
        nic=args.nic,
        disk=args.disk,
    )
    if args.site:
        raw = raw.filled_from(_site_defaults(args.site))
    # Every value is checked before the password is asked: nobody types it twice for nothing.
    settings = parse_settings(raw)
    password = _root_password(args.root_password_env, settings.hostname)
    root_hash = sha512_crypt(password)
    del password
    text = render_kickstart(settings, root_hash)
    bad = errors(validate_kickstart(text, "generated ks.cfg"))
    if bad:  # our own output must pass our own validator; if not, that is a bug, not bad input
        raise RuntimeError("generated kickstart fails validation: " + "; ".join(str(p) for p in bad))
    _write(args.output, text)
    _summary(args.output, settings, raw.origins)
    return 0


def _site_defaults(name: str) -> Any:
    from ecs_field.media.kickstart.model import settings_from_site
    from ecs_field.sites.registry import Registry

    site = Registry.load().get(name)
    defaults, warnings = settings_from_site(site.install, site.name)
    for warning in warnings:
        say(f"warning: {warning}")
    if not site.install:
        say(
            f"note: site {site.name} has no install defaults (an `install:` mapping in sites.yaml); "
            "every value comes from the command line."
        )
    return defaults


def _root_password(env_name: str | None, hostname: str) -> str:
    from ecs_field.media.kickstart.password import NOT_CHECKED, RULES_SUMMARY, check_root_password

    if env_name is not None:
        if not _ENV_NAME.match(env_name):
            raise BadInput(
                f"--root-password-env {env_name!r} is not an environment variable name",
                "Give the variable's name (e.g. ESX_ROOT), never the password itself.",
            )
        value = os.environ.get(env_name)
        if value is None:
            raise BadInput(
                f"--root-password-env: the environment variable {env_name} is not set",
                f"Set it first, e.g. read -rs {env_name} && export {env_name}",
            )
        verdict = check_root_password(value)
        if not verdict.ok:
            raise BadInput(
                _refusal(f"the root password in {env_name}", verdict.reasons()),
                RULES_SUMMARY + " " + NOT_CHECKED,
            )
        return value
    if not sys.stdin.isatty():
        raise BadInput(
            "no root password: there is no terminal to ask on",
            "Put it in an environment variable and pass --root-password-env VAR.",
        )
    say(RULES_SUMMARY)
    for attempt in range(1, TRIES + 1):
        try:
            first = getpass.getpass(f"Root password for {hostname}: ")
            verdict = check_root_password(first)
            if not verdict.ok:
                say(_refusal("that password", verdict.reasons()))
                continue
            if getpass.getpass("Again, to be sure: ") != first:
                say("The two entries differ." + (" Try again." if attempt < TRIES else ""))
                continue
            return first
        except EOFError:
            break
    raise BadInput("no root password accepted", RULES_SUMMARY)


def _refusal(what: str, reasons: tuple[str, ...]) -> str:
    return f"{what} is refused: " + "; ".join(reasons)


def _write(output: str, text: str) -> None:
    from ecs_field import storage

    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(output).expanduser()
    if path.is_dir():
        raise BadInput(f"-o {output} is a folder", "Give a file name, e.g. -o ks.cfg")
    if path.exists() and not path.is_file():  # a device or a pipe: never replaced by a file
        raise BadInput(f"-o {output} is not a regular file", "Write the kickstart to a file, e.g. -o ks.cfg")
    try:
        storage.atomic_write_text(path, text)  # a temp file (mode 0600) renamed over the target
    except OSError as exc:
        raise BadInput(
            f"cannot write {output}: {exc.strerror or exc}", "Pick a folder you can write to."
        ) from exc


def _summary(output: str, settings: Any, origins: dict[str, str]) -> None:
    where = "stdout" if output == "-" else output
    network = f"{settings.interface} via {settings.gateway}"
    if settings.vlan is not None:
        network += f", VLAN {settings.vlan}"
    network += f", NIC {settings.nic}" if settings.nic else ", NIC chosen by ESXi"
    lines = [
        f"Wrote {where} for {settings.hostname}:",
        f"  network  {network}",
        f"  DNS      {', '.join(str(a) for a in settings.dns)}",
        f"  NTP      {', '.join(settings.ntp) + ' (set at first boot)' if settings.ntp else 'not set'}",
        f"  disk     {settings.disk.describe()}; a VMFS datastore on it is overwritten",
        "  root     password stored as a SHA-512 crypt hash only",
    ]
    from_site = sorted({origin for origin in origins.values()})
    if from_site:
        fields = ", ".join(name for name in origins)
        lines.append(f"  defaults from {', '.join(from_site)}: {fields}")
    if output != "-":
        lines.append(f"Next: ecs-field write IMAGE DEVICE --kickstart {output}")
    say("\n".join(lines))
