"""What every lint rule gets: the manifests, the box's inventory, and the host as all
HostConfiguration layers describe it together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ecs_field.sites.findings import Finding, Severity
from ecs_field.sites.repo.manifests import HostConfiguration, K8sObject, ManifestSet
from ecs_field.sites.repo.profile import ModuleSetting, VmkNic, VSwitch, management_switches

if TYPE_CHECKING:  # the inventory model is only needed when a box is given (a cold start pays ~5 ms)
    from ecs_field.hardware.inventory import Inventory


@dataclass(frozen=True)
class SwitchDef:
    switch: VSwitch
    source: HostConfiguration


@dataclass
class HostModel:
    """All HostConfiguration profiles layered together (ECS applies them incrementally)."""

    switches: list[SwitchDef] = field(default_factory=list)
    vmknics: list[tuple[VmkNic, HostConfiguration]] = field(default_factory=list)
    modules: list[tuple[ModuleSetting, HostConfiguration]] = field(default_factory=list)

    @classmethod
    def of(cls, hostconfigs: Iterable[HostConfiguration]) -> HostModel:
        model = cls()
        for hc in hostconfigs:
            if hc.profile is None:
                continue
            model.switches += [SwitchDef(s, hc) for s in hc.profile.switches]
            model.vmknics += [(v, hc) for v in hc.profile.vmknics]
            model.modules += [(m, hc) for m in hc.profile.module_settings]
        return model

    def management_defs(self) -> list[SwitchDef]:
        vmks = [v for v, _ in self.vmknics]
        chosen = {id(s) for s in management_switches([d.switch for d in self.switches], vmks)}
        return [d for d in self.switches if id(d.switch) in chosen]

    def port_groups(self) -> set[str]:
        return {pg.name for d in self.switches for pg in d.switch.port_groups}

    def module_option(self, module: str, option: str) -> str | None:
        for setting, _ in self.modules:
            if setting.module_name == module and option in setting.values:
                return setting.values[option]
        return None


@dataclass
class LintContext:
    manifests: ManifestSet
    inventory: Inventory | None = None

    @cached_property
    def host(self) -> HostModel:
        return HostModel.of(self.manifests.host_configurations())

    @cached_property
    def nic_names(self) -> set[str]:
        """ESXi names of the box's NICs (vmnicN, vusbN); empty without an inventory."""
        if self.inventory is None:
            return set()
        return {n.esxi_name for n in self.inventory.nics if n.esxi_name}


def at(  # noqa: PLR0917 - reads like the finding itself: severity, rule, object, line, message, hint
    severity: Severity,
    rule: str,
    obj: K8sObject | None,
    line: int,
    message: str,
    hint: str = "",
    *,
    file: str = "",
) -> Finding:
    """A finding about ``obj`` (or about ``file`` when there is no object)."""
    return Finding(
        severity,
        rule,
        obj.file if obj is not None else file,
        line,
        obj.ref if obj is not None else "",
        message,
        hint,
    )
