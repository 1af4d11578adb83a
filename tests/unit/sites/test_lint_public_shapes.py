"""Shapes met in a real public ECS GitOps repository: valid ones stay quiet, real faults stay loud.

Each test writes a small site of its own (modelled on the shape, not copied) into tmp_path:
upstream RBAC names with ':' , a removed PodSecurityPolicy, two HostConfigurations that put
one vmnic on two standard switches, a profile wrapped in a top-level "profile" key, and
Services asking for the same nodePort.
"""

from __future__ import annotations

import json
from pathlib import Path

from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.linter import lint


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def line_of(root: Path, rel: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate((root / rel).read_text().splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {rel}")


RBAC = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: lb-agent
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: lb-system:agent
rules:
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: lb-system:agent
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: lb-system:agent
subjects:
- kind: ServiceAccount
  name: lb-agent
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: Agent:Reader_1
  namespace: kube-system
rules: []
"""


def test_rbac_names_follow_path_segment_rules_not_dns(tmp_path: Path) -> None:
    write(tmp_path, "rbac.yaml", RBAC)
    assert lint(tmp_path).findings == []


def test_invalid_names_are_still_reported_for_rbac_and_other_kinds(tmp_path: Path) -> None:
    text = RBAC.replace("name: Agent:Reader_1", "name: agents/reader").replace(
        "  name: lb-agent\n  namespace: kube-system\n---",
        "  name: lb:agent\n  namespace: kube-system\n---",
        1,
    )
    write(tmp_path, "rbac.yaml", text)
    found = [f for f in lint(tmp_path).findings if f.rule == "invalid-name"]
    assert [(f.object, f.line) for f in found] == [
        ("ServiceAccount/kube-system/lb:agent", line_of(tmp_path, "rbac.yaml", "name: lb:agent")),
        ("Role/kube-system/agents/reader", line_of(tmp_path, "rbac.yaml", "name: agents/reader")),
    ]
    assert "not a valid Kubernetes name" in found[0].message
    assert "'/'" in found[1].message and "Role names may not contain" in found[1].message


def test_removed_pod_security_policy_says_there_is_no_successor(tmp_path: Path) -> None:
    write(
        tmp_path,
        "psp.yaml",
        "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: restricted\n"
        "spec:\n  privileged: false\n---\n"
        "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n"
        "spec:\n  selector:\n    matchLabels: {app: web}\n"
        "  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n",
    )
    psp, deployment = lint(tmp_path).findings
    assert (psp.rule, psp.severity, psp.line) == ("removed-api", "error", 1)
    assert "removed in Kubernetes 1.25" in psp.message
    assert "no replacement API" in psp.hint and "pod-security.kubernetes.io/enforce" in psp.hint
    assert "Use apiVersion" not in psp.hint
    assert (deployment.rule, deployment.line) == ("removed-api", 8)
    assert "removed in Kubernetes 1.16" in deployment.message
    assert deployment.hint.startswith("Use apiVersion: apps/v1")


def host_config(
    name: str, switch: str, nic: str, port_group: str, wrapped: bool = False, vlan: int = 0
) -> str:
    esx = {
        "network_vss": {
            "switches": [
                {
                    "name": switch,
                    "policy": {"nic_teaming": {"active_nics": [nic], "standby_nics": []}},
                    "bridge": {"nics": [nic]},
                    "mtu": 1500,
                    "port_groups": [{"name": port_group, "vlan_id": vlan}],
                }
            ]
        }
    }
    document = {"profile": {"esx": esx}} if wrapped else {"esx": esx}
    body = "\n".join("    " + line for line in json.dumps(document, indent=2).splitlines())
    return (
        "apiVersion: esx.vmware.com/v1alpha1\nkind: HostConfiguration\nmetadata:\n"
        f"  name: {name}\n  namespace: esx-system\nspec:\n  layertype: Incremental\n  profile: |\n{body}\n"
    )


def test_one_vmnic_on_two_switches_in_two_layers_is_an_error_naming_both_files(tmp_path: Path) -> None:
    write(tmp_path, "host/lab-switch.yaml", host_config("lab-switch", "vSwitchLab", "vmnic2", "Lab"))
    write(tmp_path, "host/timing.yaml", host_config("timing", "TimingSwitch", "vmnic2", "Timing"))
    found = lint(tmp_path).findings
    assert rules(found) == ["uplink-shared", "uplink-shared"]
    lab, timing = found
    lab_line = line_of(tmp_path, "host/lab-switch.yaml", '"nics"')
    timing_line = line_of(tmp_path, "host/timing.yaml", '"nics"')
    assert (lab.file, lab.line, lab.severity) == ("host/lab-switch.yaml", lab_line, "error")
    assert lab.message == (
        "vmnic2 is bound to vSwitchLab and also to TimingSwitch "
        f"(HostConfiguration/esx-system/timing, host/timing.yaml:{timing_line})"
    )
    assert (timing.file, timing.line) == ("host/timing.yaml", timing_line)
    assert f"host/lab-switch.yaml:{lab_line}" in timing.message


def test_distinct_vmnics_in_two_layers_are_fine(tmp_path: Path) -> None:
    write(tmp_path, "host/lab-switch.yaml", host_config("lab-switch", "vSwitchLab", "vmnic2", "Lab"))
    write(tmp_path, "host/timing.yaml", host_config("timing", "TimingSwitch", "vmnic3", "Timing"))
    assert lint(tmp_path).findings == []


def test_profile_wrapped_in_profile_key_is_read_and_checked(tmp_path: Path) -> None:
    write(
        tmp_path, "host/timing.yaml", host_config("timing", "TimingSwitch", "vmnic3", "Timing", wrapped=True)
    )
    found = lint(tmp_path).findings
    assert [(f.rule, f.severity) for f in found] == [("profile-wrapper", "info")]
    assert "configuration-document layout" in found[0].message
    # The inner document is really checked, not skipped.
    write(
        tmp_path,
        "host/timing.yaml",
        host_config("timing", "TimingSwitch", "vmnic3", "Timing", wrapped=True, vlan=4096),
    )
    found = lint(tmp_path).findings
    assert ("profile-vlan", "error") in [(f.rule, f.severity) for f in found]
    vlan = next(f for f in found if f.rule == "profile-vlan")
    assert vlan.line == line_of(tmp_path, "host/timing.yaml", '"vlan_id": 4096')


def service(name: str, namespace: str, node_port: int) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n"
        f"  type: NodePort\n  selector:\n    app: {name}\n  ports:\n    - port: 80\n"
        f"      nodePort: {node_port}\n"
    )


def test_two_services_on_one_node_port_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "apps/camera.yaml", service("camera", "default", 30888))
    write(tmp_path, "monitoring/dash.yaml", service("dash", "default", 30888))
    write(tmp_path, "monitoring/other.yaml", service("other", "default", 30889))
    found = lint(tmp_path).findings
    assert len(found) == 1
    conflict = found[0]
    assert (conflict.rule, conflict.severity, conflict.file) == (
        "node-port-conflict",
        "error",
        "monitoring/dash.yaml",
    )
    assert conflict.line == line_of(tmp_path, "monitoring/dash.yaml", "nodePort: 30888")
    assert (
        conflict.message == "nodePort 30888 is already used by Service/default/camera (apps/camera.yaml:12)"
    )


def test_node_port_out_of_range_and_same_service_twice(tmp_path: Path) -> None:
    write(tmp_path, "apps/camera.yaml", service("camera", "default", 8080))
    write(tmp_path, "apps/a.yaml", service("web", "default", 30100))
    write(tmp_path, "apps/b.yaml", service("web", "default", 30100))
    found = lint(tmp_path).findings
    # The copied Service is reported once, as the duplicate it is, not also as a port clash.
    assert sorted(rules(found)) == ["duplicate-object", "node-port-range"]
    out = next(f for f in found if f.rule == "node-port-range")
    assert (out.file, out.line) == ("apps/camera.yaml", 12)
    assert "30000-32767" in out.message


def test_same_object_in_two_files_of_a_folder_without_kustomization_stays_an_error(tmp_path: Path) -> None:
    # Flux generates a kustomization.yaml listing every manifest when the folder has none, and
    # kustomize refuses to build two objects with the same kind/namespace/name.
    write(tmp_path, "host/ntp.yaml", host_config("time-sync", "vSwitchA", "vmnic4", "A"))
    write(tmp_path, "host/ptp.yaml", host_config("time-sync", "vSwitchB", "vmnic5", "B"))
    found = lint(tmp_path).findings
    assert rules(found) == ["duplicate-object"]
    assert found[0].file == "host/ptp.yaml"
    assert found[0].message == (
        "HostConfiguration/esx-system/time-sync in path ./ is already defined at host/ntp.yaml:1"
    )
    # A third copy points at the first one too, and each copy is reported once.
    write(tmp_path, "host/spare.yaml", host_config("time-sync", "vSwitchC", "vmnic6", "C"))
    found = lint(tmp_path).findings
    assert [(f.file, f.message.rpartition(" ")[2]) for f in found] == [
        ("host/ptp.yaml", "host/ntp.yaml:1"),
        ("host/spare.yaml", "host/ntp.yaml:1"),
    ]
