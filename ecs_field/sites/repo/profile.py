"""The HostConfiguration profile: ESXi desired state as a JSON string inside a manifest.

ECS puts a vSphere Configuration Profile document in ``spec.profile`` (a YAML block scalar
holding JSON). We parse it with json (strict, as the host does), then index the line of
every key so findings can point at the line of the YAML file, not of the JSON text.

Shapes follow the public ECS example repository: ``esx.network_vss.switches[]`` with
``policy.nic_teaming.{active_nics,standby_nics}``, ``bridge.nics`` and ``port_groups[]``;
``esx.network.vmknics[]`` with ``port_group`` and ``enabled_services.management``;
``esx.system.system_time``; ``esx.system.welcome_message.message``;
``esx.vmkernel.module_settings[{module_name, options}]``; ``esx.storage.nfs_v3_datastores[]``;
``esx.authentication.user_accounts[]``. Some published examples wrap the document in an
outer ``{"profile": {...}}``; that is accepted and noted. Keys we do not model are kept and
reported as info, never as errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ecs_field.sites.findings import Severity
from ecs_field.sites.repo.jsonpos import index_lines

MANAGEMENT_PORT_GROUP = "Management Network"  # ESXi's default name for the management port group
MANAGEMENT_VMKNIC = "vmk0"  # ESXi's default management VMkernel adapter

# Sections we read (section -> keys inside it we model or knowingly accept).
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "network_vss": frozenset({"switches"}),
    "network": frozenset({"vmknics", "net_stacks"}),
    "system": frozenset({"system_time", "welcome_message"}),
    "vmkernel": frozenset({"module_settings"}),
    "storage": frozenset({"nfs_v3_datastores"}),
    "authentication": frozenset({"user_accounts"}),
    "authorization": frozenset({"permissions"}),
}


@dataclass(frozen=True)
class ProfileIssue:
    rule: str
    severity: Severity
    line: int  # file line, 1-based
    message: str
    hint: str = ""


@dataclass(frozen=True)
class PortGroup:
    name: str
    vlan_id: int | None
    line: int


@dataclass(frozen=True)
class VSwitch:
    name: str
    bridge_nics: tuple[str, ...]  # uplinks bound to the switch ("vmnic0", "vusb0")
    active_nics: tuple[str, ...]
    standby_nics: tuple[str, ...]
    port_groups: tuple[PortGroup, ...]
    mtu: int | None
    line: int
    bridge_line: int
    teaming_line: int
    has_teaming: bool  # False: the switch does not state active/standby (ESXi then uses all bridge NICs)

    @property
    def uplinks(self) -> tuple[str, ...]:
        """Every NIC the switch names, bridge first, without repeats."""
        seen: dict[str, None] = {}
        for nic in (*self.bridge_nics, *self.active_nics, *self.standby_nics):
            seen.setdefault(nic, None)
        return tuple(seen)

    @property
    def effective_active(self) -> tuple[str, ...]:
        """The NICs that carry traffic when all links are up."""
        if self.has_teaming:
            return self.active_nics
        return self.bridge_nics

    def port_group(self, name: str) -> PortGroup | None:
        return next((pg for pg in self.port_groups if pg.name == name), None)


@dataclass(frozen=True)
class VmkNic:
    device: str
    port_group: str
    services: tuple[str, ...]  # enabled services, e.g. ("management",)
    line: int

    @property
    def management(self) -> bool:
        return "management" in self.services


@dataclass(frozen=True)
class SystemTime:
    enabled: bool | None
    protocol: str
    servers: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class ModuleSetting:
    module_name: str
    options: str
    values: dict[str, str]
    line: int


@dataclass(frozen=True)
class NfsDatastore:
    volume_name: str
    hostname: str
    remote_share: str
    read_only: bool | None
    line: int


@dataclass(frozen=True)
class UserAccount:
    name: str
    has_password_hash: bool
    plaintext_password: bool
    line: int
    password_line: int


@dataclass
class Profile:
    raw: dict[str, Any]
    wrapped: bool = False
    switches: list[VSwitch] = field(default_factory=list)
    vmknics: list[VmkNic] = field(default_factory=list)
    system_time: SystemTime | None = None
    module_settings: list[ModuleSetting] = field(default_factory=list)
    nfs_datastores: list[NfsDatastore] = field(default_factory=list)
    user_accounts: list[UserAccount] = field(default_factory=list)
    welcome_message: str | None = None
    welcome_line: int = 0
    unknown_keys: list[tuple[str, int]] = field(default_factory=list)  # ("esx.services", line)

    def switch(self, name: str) -> VSwitch | None:
        return next((s for s in self.switches if s.name == name), None)

    def management_switches(self) -> list[VSwitch]:
        return management_switches(self.switches, self.vmknics)

    def module_option(self, module: str, option: str) -> str | None:
        for setting in self.module_settings:
            if setting.module_name == module and option in setting.values:
                return setting.values[option]
        return None


def management_switches(switches: list[VSwitch], vmknics: list[VmkNic]) -> list[VSwitch]:
    """Switches that carry the management VMkernel adapter.

    A vmknic with the management service names its port group; without one, ESXi's default
    names (port group "Management Network", vmk0) decide.
    """
    groups = {vmk.port_group for vmk in vmknics if vmk.management or vmk.device == MANAGEMENT_VMKNIC}
    groups.add(MANAGEMENT_PORT_GROUP)
    return [s for s in switches if any(pg.name in groups for pg in s.port_groups)]


def parse_module_options(options: str) -> dict[str, str]:
    """ "a=1 b=2" -> {"a": "1", "b": "2"} (the esxcli system module parameters syntax)."""
    values: dict[str, str] = {}
    for part in options.replace(",", " ").split():
        key, sep, value = part.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


class _LineMap:
    def __init__(
        self,
        json_lines: dict[tuple[Any, ...], int],
        first_line: int | None,
        fallback: int,
        prefix: tuple[Any, ...],
    ) -> None:
        self.json_lines = json_lines
        self.first_line = first_line
        self.fallback = fallback
        self.prefix = prefix

    def __call__(self, *path: Any) -> int:
        if self.first_line is None:
            return self.fallback
        p = self.prefix + tuple(path)
        while p:
            if p in self.json_lines:
                return self.first_line + self.json_lines[p]
            p = p[:-1]
        return self.first_line + self.json_lines.get((), 0)


# Profile numbers are ports, sizes, counts: 64-bit at most. A longer digit string is refused before
# int() sees it (Python refuses past 4,300 digits with a ValueError, and a huge int is slow to print).
_MAX_INT_DIGITS = 40


class _HugeNumber(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__("number too long")
        self.token = token


def _bounded_int(token: str) -> int:
    if len(token) > _MAX_INT_DIGITS:
        raise _HugeNumber(token)
    return int(token)


def parse_profile(
    text: str, first_line: int | None, fallback_line: int
) -> tuple[Profile | None, list[ProfileIssue]]:
    """Parse the profile JSON.

    ``first_line``: the file line (1-based) of the text's first line when the text maps line
    for line onto the file (a literal block scalar); None otherwise, and every finding then
    points at ``fallback_line`` (the ``profile:`` key).
    """
    issues: list[ProfileIssue] = []
    try:
        document = json.loads(text, parse_int=_bounded_int)
    except _HugeNumber as huge:
        where = text.find(huge.token)
        number_line = (
            first_line + text.count("\n", 0, max(where, 0)) if first_line is not None else fallback_line
        )
        return None, [
            ProfileIssue(
                "profile-number",
                "error",
                number_line,
                f"spec.profile holds a number {len(huge.token)} digits long; the host cannot read it",
                "Profile numbers are ports, sizes and counts: fix the value.",
            )
        ]
    except json.JSONDecodeError as exc:
        line = first_line + exc.lineno - 1 if first_line is not None else fallback_line
        return None, [
            ProfileIssue(
                "profile-json",
                "error",
                line,
                f"spec.profile is not valid JSON: {exc.msg} (column {exc.colno})",
                "The host rejects the whole HostConfiguration; fix the JSON.",
            )
        ]
    except RecursionError:
        return None, [
            ProfileIssue(
                "profile-json",
                "error",
                fallback_line,
                "spec.profile JSON is nested too deeply",
                "Fix the JSON.",
            )
        ]
    if not isinstance(document, dict):
        return None, [
            ProfileIssue(
                "profile-shape",
                "error",
                fallback_line,
                f"spec.profile must be a JSON object, found {_kind(document)}",
                'Start the profile with {"esx": {...}}.',
            )
        ]
    json_lines = index_lines(text) if first_line is not None else {}
    prefix: tuple[Any, ...] = ()
    wrapped = False
    if "esx" not in document and isinstance(document.get("profile"), dict):
        # Seen in a published ECS example (PTP layer): the vSphere configuration document puts
        # the settings under a top-level "profile" object (vSphere Automation API, esx settings
        # configuration DocumentStructure); check what is inside instead of calling it unknown.
        document = document["profile"]
        prefix = ("profile",)
        wrapped = True
    at = _LineMap(json_lines, first_line, fallback_line, prefix)
    profile = Profile(raw=document, wrapped=wrapped)
    if wrapped:
        issues.append(
            ProfileIssue(
                "profile-wrapper",
                "info",
                at(),
                'profile uses the vSphere configuration-document layout {"profile": {"esx": ...}}; '
                "the inner document was checked",
                'Most ECS examples start with {"esx": ...}; if the host rejects this layer, '
                'remove the outer "profile" key.',
            )
        )
    for key in document:
        if key != "esx":
            profile.unknown_keys.append((key, at(key)))
    esx = document.get("esx")
    if esx is None:
        issues.append(
            ProfileIssue(
                "profile-shape",
                "warning",
                at(),
                'profile has no "esx" section; it configures nothing ecs-field knows',
                'Host settings live under {"esx": {...}}.',
            )
        )
        return profile, issues
    if not isinstance(esx, dict):
        issues.append(
            ProfileIssue("profile-shape", "error", at("esx"), f'"esx" must be an object, found {_kind(esx)}')
        )
        return profile, issues
    for section, value in esx.items():
        known = KNOWN_KEYS.get(section)
        if known is None:
            profile.unknown_keys.append((f"esx.{section}", at("esx", section)))
            continue
        if not isinstance(value, dict):
            issues.append(
                ProfileIssue(
                    "profile-shape",
                    "error",
                    at("esx", section),
                    f'"esx.{section}" must be an object, found {_kind(value)}',
                )
            )
            continue
        for key in value:
            if key not in known:
                profile.unknown_keys.append((f"esx.{section}.{key}", at("esx", section, key)))
    _read_switches(esx, profile, issues, at)
    _read_vmknics(esx, profile, issues, at)
    _read_system(esx, profile, issues, at)
    _read_modules(esx, profile, issues, at)
    _read_nfs(esx, profile, issues, at)
    _read_users(esx, profile, issues, at)
    return profile, issues


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def _obj(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _section(esx: dict[str, Any], section: str, key: str) -> Any:
    part = esx.get(section)
    return part.get(key) if isinstance(part, dict) else None


def _list_of(value: Any, what: str, issues: list[ProfileIssue], line: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        issues.append(
            ProfileIssue("profile-shape", "error", line, f"{what} must be a list, found {_kind(value)}")
        )
        return []
    return value


def _names(value: Any, what: str, issues: list[ProfileIssue], line: int) -> tuple[str, ...]:
    items = _list_of(value, what, issues, line)
    good = [item for item in items if isinstance(item, str)]
    if len(good) != len(items):
        issues.append(ProfileIssue("profile-shape", "error", line, f"{what} must list NIC names as strings"))
    return tuple(good)


def _read_switches(esx: dict[str, Any], profile: Profile, issues: list[ProfileIssue], line: _LineMap) -> None:
    base = ("esx", "network_vss", "switches")
    for i, sw in enumerate(
        _list_of(_section(esx, "network_vss", "switches"), "esx.network_vss.switches", issues, line(*base))
    ):
        here = (*base, i)
        if not isinstance(sw, dict):
            issues.append(
                ProfileIssue("profile-shape", "error", line(*here), "a vSwitch entry must be an object")
            )
            continue
        name = sw.get("name")
        if not isinstance(name, str) or not name:
            issues.append(
                ProfileIssue(
                    "profile-shape",
                    "error",
                    line(*here),
                    "a vSwitch has no name",
                    'Give every switch a "name".',
                )
            )
            name = f"switches[{i}]"
        policy = _obj(sw.get("policy")) or {}
        teaming = _obj(policy.get("nic_teaming"))
        bridge = _obj(sw.get("bridge")) or {}
        bridge_line = line(*here, "bridge", "nics") if "nics" in bridge else line(*here)
        teaming_line = line(*here, "policy", "nic_teaming") if teaming is not None else line(*here)
        active = _names(
            teaming.get("active_nics") if teaming else None,
            f"{name}: active_nics",
            issues,
            line(*here, "policy", "nic_teaming", "active_nics"),
        )
        standby = _names(
            teaming.get("standby_nics") if teaming else None,
            f"{name}: standby_nics",
            issues,
            line(*here, "policy", "nic_teaming", "standby_nics"),
        )
        nics = _names(bridge.get("nics"), f"{name}: bridge.nics", issues, bridge_line)
        groups: list[PortGroup] = []
        for j, pg in enumerate(
            _list_of(sw.get("port_groups"), f"{name}: port_groups", issues, line(*here, "port_groups"))
        ):
            pg_line = line(*here, "port_groups", j)
            if not isinstance(pg, dict) or not isinstance(pg.get("name"), str):
                issues.append(
                    ProfileIssue("profile-shape", "error", pg_line, f"{name}: a port group needs a name")
                )
                continue
            vlan = pg.get("vlan_id")
            if vlan is not None and (
                isinstance(vlan, bool) or not isinstance(vlan, int) or not 0 <= vlan <= 4095
            ):
                issues.append(
                    ProfileIssue(
                        "profile-vlan",
                        "error",
                        line(*here, "port_groups", j, "vlan_id"),
                        f"{name}/{pg['name']}: vlan_id {vlan!r} is not 0-4095",
                        "Use 0 for untagged, 1-4094 for a VLAN, 4095 for all VLANs.",
                    )
                )
                vlan = None
            groups.append(PortGroup(pg["name"], vlan, pg_line))
        mtu = sw.get("mtu")
        profile.switches.append(
            VSwitch(
                name=name,
                bridge_nics=nics,
                active_nics=active,
                standby_nics=standby,
                port_groups=tuple(groups),
                mtu=mtu if isinstance(mtu, int) and not isinstance(mtu, bool) else None,
                line=line(*here),
                bridge_line=bridge_line,
                teaming_line=teaming_line,
                has_teaming=teaming is not None,
            )
        )


def _read_vmknics(esx: dict[str, Any], profile: Profile, issues: list[ProfileIssue], line: _LineMap) -> None:
    base = ("esx", "network", "vmknics")
    for i, vmk in enumerate(
        _list_of(_section(esx, "network", "vmknics"), "esx.network.vmknics", issues, line(*base))
    ):
        if not isinstance(vmk, dict):
            issues.append(
                ProfileIssue("profile-shape", "error", line(*base, i), "a vmknic entry must be an object")
            )
            continue
        services = _obj(vmk.get("enabled_services")) or {}
        profile.vmknics.append(
            VmkNic(
                device=str(vmk.get("device") or ""),
                port_group=str(vmk.get("port_group") or ""),
                services=tuple(sorted(k for k, v in services.items() if v is True)),
                line=line(*base, i),
            )
        )


def _read_system(esx: dict[str, Any], profile: Profile, issues: list[ProfileIssue], line: _LineMap) -> None:
    st = _section(esx, "system", "system_time")
    if isinstance(st, dict):
        ntp = _obj(st.get("ntp_config")) or {}
        servers = [s.get("hostname") for s in ntp.get("server") or [] if isinstance(s, dict)]
        enabled = st.get("enabled")
        profile.system_time = SystemTime(
            enabled=enabled if isinstance(enabled, bool) else None,
            protocol=str(st.get("protocol") or ""),
            servers=tuple(s for s in servers if isinstance(s, str)),
            line=line("esx", "system", "system_time"),
        )
    elif st is not None:
        issues.append(
            ProfileIssue(
                "profile-shape",
                "error",
                line("esx", "system", "system_time"),
                "esx.system.system_time must be an object",
            )
        )
    wm = _section(esx, "system", "welcome_message")
    if isinstance(wm, dict) and isinstance(wm.get("message"), str):
        profile.welcome_message = wm["message"]
        profile.welcome_line = line("esx", "system", "welcome_message")
    elif wm is not None:
        issues.append(
            ProfileIssue(
                "profile-shape",
                "error",
                line("esx", "system", "welcome_message"),
                'esx.system.welcome_message must be {"message": "..."}',
            )
        )


def _read_modules(esx: dict[str, Any], profile: Profile, issues: list[ProfileIssue], line: _LineMap) -> None:
    base = ("esx", "vmkernel", "module_settings")
    for i, ms in enumerate(
        _list_of(
            _section(esx, "vmkernel", "module_settings"), "esx.vmkernel.module_settings", issues, line(*base)
        )
    ):
        if not isinstance(ms, dict) or not isinstance(ms.get("module_name"), str):
            issues.append(
                ProfileIssue(
                    "profile-shape", "error", line(*base, i), "a module setting needs module_name and options"
                )
            )
            continue
        options = ms.get("options")
        if not isinstance(options, str):
            issues.append(
                ProfileIssue(
                    "profile-shape",
                    "error",
                    line(*base, i, "options"),
                    f'{ms["module_name"]}: options must be a string like "key=value"',
                )
            )
            options = ""
        profile.module_settings.append(
            ModuleSetting(ms["module_name"], options, parse_module_options(options), line(*base, i))
        )


def _read_nfs(esx: dict[str, Any], profile: Profile, issues: list[ProfileIssue], line: _LineMap) -> None:
    base = ("esx", "storage", "nfs_v3_datastores")
    for i, ds in enumerate(
        _list_of(
            _section(esx, "storage", "nfs_v3_datastores"),
            "esx.storage.nfs_v3_datastores",
            issues,
            line(*base),
        )
    ):
        if not isinstance(ds, dict):
            issues.append(
                ProfileIssue("profile-shape", "error", line(*base, i), "an NFS datastore must be an object")
            )
            continue
        missing = [k for k in ("volume_name", "hostname", "remote_share") if not ds.get(k)]
        if missing:
            issues.append(
                ProfileIssue(
                    "profile-shape", "error", line(*base, i), f"NFS datastore is missing {', '.join(missing)}"
                )
            )
        ro = ds.get("read_only")
        profile.nfs_datastores.append(
            NfsDatastore(
                str(ds.get("volume_name") or ""),
                str(ds.get("hostname") or ""),
                str(ds.get("remote_share") or ""),
                ro if isinstance(ro, bool) else None,
                line(*base, i),
            )
        )


def _read_users(esx: dict[str, Any], profile: Profile, issues: list[ProfileIssue], line: _LineMap) -> None:
    base = ("esx", "authentication", "user_accounts")
    for i, ua in enumerate(
        _list_of(
            _section(esx, "authentication", "user_accounts"),
            "esx.authentication.user_accounts",
            issues,
            line(*base),
        )
    ):
        if not isinstance(ua, dict) or not isinstance(ua.get("name"), str):
            issues.append(
                ProfileIssue("profile-shape", "error", line(*base, i), "a user account needs a name")
            )
            continue
        plaintext = isinstance(ua.get("password"), str) and bool(ua.get("password"))
        profile.user_accounts.append(
            UserAccount(
                ua["name"],
                bool(ua.get("password_hash")),
                plaintext,
                line(*base, i),
                line(*base, i, "password") if plaintext else line(*base, i),
            )
        )
