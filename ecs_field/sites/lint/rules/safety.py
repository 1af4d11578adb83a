"""Safety: changes that strand a host or leak a secret.

The management network carries the host's pull from Git: a configuration that leaves it
without an active uplink (or with uplinks the box lacks) cuts the host off from the very
repository that could fix it, so that is an error. Plaintext passwords in cloud-init
user-data or sysprep answers are readable by anyone with the repository: a warning at the
line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.rules.base import LintContext, at
from ecs_field.sites.lint.rules.known import CLOUD_INIT_KEYS, SYSPREP_KEYS
from ecs_field.sites.repo import safe_yaml
from ecs_field.sites.repo.manifests import K8sObject
from ecs_field.sites.repo.profile import MANAGEMENT_PORT_GROUP

_PLAINTEXT_XML = re.compile(r"<PlainText>\s*true\s*</PlainText>", re.IGNORECASE)
_HASH = re.compile(r"^\$(1|2[abxy]?|5|6|y|7|gy|sha1|md5)\$")


def check(ctx: LintContext) -> Iterator[Finding]:
    yield from _management_uplinks(ctx)
    yield from _bootstrap_passwords(ctx)
    yield from _esx_accounts(ctx)


def _management_uplinks(ctx: LintContext) -> Iterator[Finding]:
    host = ctx.host
    for vmk, hc in host.vmknics:
        if not vmk.management or not vmk.port_group or vmk.port_group == MANAGEMENT_PORT_GROUP:
            continue
        if vmk.port_group not in host.port_groups():
            yield at(
                "error",
                "management-portgroup-missing",
                hc.obj,
                vmk.line,
                f"{vmk.device or 'the management vmknic'} uses port group {vmk.port_group!r}, "
                "which no HostConfiguration creates",
                "Create the port group on a switch with a working uplink, or keep management on "
                "the existing port group; otherwise the host loses its network.",
            )
    for d in host.management_defs():
        sw, obj = d.switch, d.source.obj
        active = sw.effective_active
        if not active:
            yield at(
                "error",
                "management-no-uplink",
                obj,
                sw.teaming_line if sw.has_teaming else sw.bridge_line,
                f"{sw.name} carries the management network but has no active uplink",
                "The host would lose its network and could not pull a fix from Git; keep at least one "
                "active NIC on the management switch.",
            )
            continue
        if ctx.inventory is None:
            continue
        present = [n for n in active if n in ctx.nic_names]
        if not present:
            standby = [n for n in sw.standby_nics if n in ctx.nic_names]
            yield at(
                "error",
                "management-uplink-absent",
                obj,
                sw.teaming_line if sw.has_teaming else sw.bridge_line,
                f"{sw.name} carries the management network but its active uplinks "
                f"({', '.join(active)}) are not on this box"
                + (f"; only standby {', '.join(standby)} would carry it" if standby else ""),
                "The host would lose its network and could not pull a fix from Git; name a NIC the box has.",
            )


def _bootstrap_passwords(ctx: LintContext) -> Iterator[Finding]:
    """Look in every ConfigMap/Secret value stored under a cloud-init or sysprep key."""
    for holder in ctx.manifests.objects:
        if holder.group != "" or holder.kind not in ("ConfigMap", "Secret"):
            continue
        for section in ("data", "stringData"):
            values = holder.get(section)
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if not isinstance(value, str):
                    continue
                if holder.kind == "Secret" and section == "data":
                    continue  # base64: decoding to hunt passwords would only re-report what Git hides poorly
                if key in CLOUD_INIT_KEYS:
                    yield from _cloud_init(holder, section, key, value)
                elif key in SYSPREP_KEYS or (
                    value.lstrip().startswith("<?xml") and "unattend" in value[:500]
                ):
                    yield from _sysprep(holder, section, key, value)


def _value_line(holder: K8sObject, section: str, key: str, inner_line: int) -> int:
    """File line of line ``inner_line`` (1-based) of a block scalar value."""
    start = holder.block_start(section, key)
    if start is None:
        return holder.line_of(section, key)
    return start + inner_line - 1


def _cloud_init(holder: K8sObject, section: str, key: str, text: str) -> Iterator[Finding]:
    result = safe_yaml.load_text(text)
    if not result.documents:
        return
    doc = result.documents[0]
    data = doc.value
    if not isinstance(data, dict):
        return

    def report(path: tuple[Any, ...], what: str) -> Finding:
        return at(
            "warning",
            "plaintext-password",
            holder,
            _value_line(holder, section, key, doc.line_of(*path)),
            f"{section}.{key}: {what} in cloud-init user-data",
            "Anyone who can read the repository can log in; use a password hash (mkpasswd -m sha-512) "
            "or SSH keys with lock_passwd: true.",
        )

    if isinstance(data.get("password"), str) and not _HASH.match(data["password"]):
        yield report(("password",), "plaintext password for the default user")
    users = data.get("users")
    if isinstance(users, list):
        for i, user in enumerate(users):
            if not isinstance(user, dict):
                continue
            name = user.get("name", f"user {i + 1}")
            if isinstance(user.get("plain_text_passwd"), str):
                yield report(("users", i, "plain_text_passwd"), f"plain_text_passwd for {name}")
            passwd = user.get("passwd")
            if isinstance(passwd, str) and passwd and not _HASH.match(passwd):
                yield report(("users", i, "passwd"), f"passwd for {name} is not a hash")
    chpasswd = data.get("chpasswd")
    if isinstance(chpasswd, dict):
        listed = chpasswd.get("list")
        if isinstance(listed, str):
            for offset, entry in enumerate(listed.splitlines()):
                _user, sep, password = entry.strip().partition(":")
                if sep and password and password not in ("R", "RANDOM") and not _HASH.match(password):
                    line = doc.line_of("chpasswd", "list") + 1 + offset
                    yield at(
                        "warning",
                        "plaintext-password",
                        holder,
                        _value_line(holder, section, key, line),
                        f"{section}.{key}: chpasswd sets a plaintext password in cloud-init user-data",
                        "Use a password hash, or SSH keys.",
                    )
        elif isinstance(listed, list):
            for j, entry in enumerate(listed):
                if isinstance(entry, str) and ":" in entry and not _HASH.match(entry.partition(":")[2]):
                    yield report(("chpasswd", "list", j), "chpasswd sets a plaintext password")
        chusers = chpasswd.get("users")
        if isinstance(chusers, list):
            for j, entry in enumerate(chusers):
                if (
                    isinstance(entry, dict)
                    and isinstance(entry.get("password"), str)
                    and entry.get("type", "text") == "text"
                    and entry["password"] not in ("R", "RANDOM")
                ):
                    yield report(("chpasswd", "users", j, "password"), "chpasswd sets a plaintext password")


def _sysprep(holder: K8sObject, section: str, key: str, text: str) -> Iterator[Finding]:
    for number, line in enumerate(text.splitlines(), 1):
        if _PLAINTEXT_XML.search(line):
            yield at(
                "warning",
                "plaintext-password",
                holder,
                _value_line(holder, section, key, number),
                f"{section}.{key}: sysprep answer file stores a password as plain text",
                "Set <PlainText>false</PlainText> with an encoded password, or inject it at deploy time.",
            )


def _esx_accounts(ctx: LintContext) -> Iterator[Finding]:
    for hc in ctx.manifests.host_configurations():
        if hc.profile is None:
            continue
        for account in hc.profile.user_accounts:
            if account.plaintext_password:
                yield at(
                    "warning",
                    "plaintext-password",
                    hc.obj,
                    account.password_line,
                    f"ESXi account {account.name} has a plaintext password in the profile",
                    "Use password_hash (a crypt SHA-512 hash) instead.",
                )
