"""The ks.cfg text for a host (the commands ESXi 8 documents; sources in kickstart-reference.md).

The file holds, in this order: ``vmaccepteula``, ``install``, ``rootpw --iscrypted``, ``network``,
``reboot``, then a ``%firstboot`` busybox script that sets NTP when servers are given (ESXi's
kickstart has no NTP command; ``esxcli system ntp`` exists since ESXi 7.0 Update 1). Values come
from a validated HostSettings, so none can hold a space, quote or shell character.
"""

from __future__ import annotations

from ecs_field import __version__
from ecs_field.media.kickstart.cryptpw import is_sha512_crypt
from ecs_field.media.kickstart.model import HostSettings

FILE_NAME = "KS.CFG"  # the name the writer gives it on the stick (kernelopt ks=usb:/KS.CFG)


def install_line(settings: HostSettings) -> str:
    # --overwritevmfs: a reused box has a VMFS datastore; without it the install stops there.
    # No --ignoressd (edge boxes often have only SSD/NVMe: it would leave no eligible disk) and
    # no --novmfsondisk (the site's workloads need the datastore on the install disk).
    return f"install {settings.disk.install_option()} --overwritevmfs"


def network_line(settings: HostSettings) -> str:
    parts = [
        "network",
        "--bootproto=static",
        f"--ip={settings.address}",
        f"--netmask={settings.netmask}",
        f"--gateway={settings.gateway}",
        "--nameserver=" + ",".join(str(server) for server in settings.dns),
        f"--hostname={settings.hostname}",
    ]
    if settings.vlan is not None:
        parts.append(f"--vlanid={settings.vlan}")
    if settings.nic:
        parts.append(f"--device={settings.nic}")
    return " ".join(parts)


def ntp_line(settings: HostSettings) -> str:
    servers = " ".join(f"--server={server}" for server in settings.ntp)
    return f"esxcli system ntp set {servers} --enabled=true"


def render_kickstart(settings: HostSettings, root_hash: str) -> str:
    """ks.cfg for ``settings``; ``root_hash`` is a ``$6$`` hash (cryptpw.sha512_crypt)."""
    if not is_sha512_crypt(root_hash):
        raise ValueError("root_hash must be a SHA-512 crypt hash ($6$...), never a password")
    lines = [
        f"# ESXi kickstart for {settings.hostname} ({settings.interface}), by ecs-field {__version__}",
        "# The root password is stored only as a SHA-512 crypt hash.",
        "vmaccepteula",
        install_line(settings),
        f"rootpw --iscrypted {root_hash}",
        network_line(settings),
        "reboot",
    ]
    if settings.ntp:
        lines += [
            "",
            "%firstboot --interpreter=busybox",
            ntp_line(settings),
        ]
    return "\n".join(lines) + "\n"
