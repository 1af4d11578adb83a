"""The site linter: the fixture site is clean; each rule fails on one targeted change.

Every failing case copies the fixture site, changes one thing the way a technician might,
and checks the rule, its severity, and the line it points at.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ecs_field.hardware.importer import load_inputs
from ecs_field.hardware.inventory import Inventory
from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.linter import lint

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sites"
SITE = FIXTURES / "ecs-site"
INVENTORY_FILE = FIXTURES / "inventory-depot7.json"
NETWORK = "host-config/network.yaml"
USB = "host-config/usb-nic.yaml"
GATEWAY = "vms/gateway-vm.yaml"
WORKER = "worker/worker-node.yaml"
ANALYTICS = "vms/analytics-class.yaml"


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inputs([INVENTORY_FILE], ["0bda:8156"])


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def line_of(root: Path, rel: str, needle: str) -> int:
    for number, line in enumerate((root / rel).read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


# The fixture uses the Flux v1beta2 APIs of the public ECS example: removed in Flux 2.8.
FLUX_V1BETA2 = [
    ("deprecated-api", "flux-system/gotk-sync.yaml", "GitRepository/flux-system/flux-system"),
    ("deprecated-api", "flux-system/gotk-sync.yaml", "Kustomization/flux-system/flux-system"),
]


def test_fixture_site_is_clean_with_and_without_inventory(inventory: Inventory) -> None:
    assert [(f.rule, f.file, f.object) for f in lint(SITE).findings] == FLUX_V1BETA2
    report = lint(SITE, inventory=inventory)
    assert [(f.rule, f.file, f.object) for f in report.findings] == FLUX_V1BETA2
    assert all("Flux 2.8" in f.message for f in report.findings)
    doc = report.to_dict()
    assert doc["counts"] == {"error": 0, "warning": 2, "info": 0}
    assert [s["name"] for s in doc["applied"]] == ["Kustomization/flux-system/flux-system"]


def test_report_is_deterministic_and_json_shaped(site: Path) -> None:
    edit(site, GATEWAY, "className: best-effort-small", "className: no-such-class")
    edit(site, WORKER, "configMapName: worker-net", "configMapName: missing-cm")
    first, second = lint(site).to_dict(), lint(site).to_dict()
    assert first == second
    assert set(first) == {"findings", "counts", "applied"}
    for item in first["findings"]:
        assert set(item) == {"severity", "rule", "file", "line", "object", "message", "hint"}
        assert item["severity"] in ("error", "warning", "info")
    assert first["counts"] == {"error": 2, "warning": 2, "info": 0}
    assert [f["file"] for f in first["findings"] if f["severity"] == "error"] == [GATEWAY, WORKER]


Mutation = Callable[[Path], None]

# (id, mutation, rule, severity, file, needle on the expected line)
CASES: list[tuple[str, Mutation, str, str, str, str]] = [
    (
        "vm class unknown",
        lambda r: edit(r, GATEWAY, "className: best-effort-small", "className: best-effort-smal"),
        "vm-class-unknown",
        "error",
        GATEWAY,
        "className: best-effort-smal",
    ),
    (
        "configmap missing",
        lambda r: edit(r, GATEWAY, "configMapName: cam-gateway-init", "configMapName: cam-gw-init"),
        "vm-configmap-missing",
        "error",
        GATEWAY,
        "configMapName: cam-gw-init",
    ),
    (
        "configmap in another namespace",
        lambda r: edit(
            r,
            WORKER,
            "  name: worker-net\n  namespace: ec-system",
            "  name: worker-net\n  namespace: default",
        ),
        "vm-configmap-missing",
        "error",
        WORKER,
        "configMapName: worker-net",
    ),
    (
        "secret missing",
        lambda r: edit(r, GATEWAY, "configMapName: cam-gateway-init", "secretName: cam-gateway-init"),
        "vm-secret-missing",
        "error",
        GATEWAY,
        "secretName: cam-gateway-init",
    ),
    (
        "bad transport",
        lambda r: edit(r, GATEWAY, "transport: CloudInit", "transport: cloudinit"),
        "vm-transport",
        "error",
        GATEWAY,
        "transport: cloudinit",
    ),
    (
        "bad power state",
        lambda r: edit(r, GATEWAY, "powerState: poweredOn", "powerState: on"),
        "vm-power-state",
        "error",
        GATEWAY,
        "powerState: on",
    ),
    (
        "namespace not declared",
        lambda r: edit(
            r, "apps/hello.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hello-depot\n---\n", ""
        ),
        "namespace-unknown",
        "warning",
        "apps/hello.yaml",
        "namespace: hello-depot",
    ),
    (
        "unknown port group",
        lambda r: edit(r, GATEWAY, 'networkName: "Cameras"', 'networkName: "Camera"'),
        "vm-network-unknown",
        "warning",
        GATEWAY,
        'networkName: "Camera"',
    ),
    (
        "flux path missing",
        lambda r: edit(r, "flux-system/gotk-sync.yaml", "path: ./", "path: ./clusters/depot-7"),
        "flux-path",
        "error",
        "flux-system/gotk-sync.yaml",
        "path: ./clusters/depot-7",
    ),
    (
        "missing name",
        lambda r: edit(r, ANALYTICS, "  name: analytics-medium\n", ""),
        "missing-name",
        "error",
        ANALYTICS,
        "metadata:",
    ),
    (
        "missing kind",
        lambda r: edit(r, ANALYTICS, "kind: VirtualMachineClass\n", ""),
        "missing-kind",
        "error",
        ANALYTICS,
        "apiVersion: vmoperator.vmware.com/v1alpha1",
    ),
    (
        "missing apiVersion",
        lambda r: edit(r, "apps/hello.yaml", "apiVersion: apps/v1\n", ""),
        "missing-apiversion",
        "error",
        "apps/hello.yaml",
        "kind: Deployment",
    ),
    (
        "invalid name",
        lambda r: edit(
            r,
            "apps/hello.yaml",
            "  name: hello\n  namespace: hello-depot\nspec:\n  replicas",
            "  name: Hello_World\n  namespace: hello-depot\nspec:\n  replicas",
        ),
        "invalid-name",
        "error",
        "apps/hello.yaml",
        "name: Hello_World",
    ),
    (
        "label not text",
        lambda r: edit(
            r,
            "apps/hello.yaml",
            "kind: Namespace\nmetadata:\n  name: hello-depot\n",
            "kind: Namespace\nmetadata:\n  name: hello-depot\n  labels:\n    tier: 3\n",
        ),
        "wrong-type",
        "error",
        "apps/hello.yaml",
        "tier: 3",
    ),
    (
        "duplicate object",
        lambda r: (r / "vms" / "copy.yaml").write_text((r / GATEWAY).read_text().split("---")[1]),
        "duplicate-object",
        "error",
        "vms/gateway-vm.yaml",
        "apiVersion: v1",
    ),
    (
        "removed api version",
        lambda r: edit(r, "apps/hello.yaml", "apiVersion: apps/v1", "apiVersion: extensions/v1beta1"),
        "removed-api",
        "error",
        "apps/hello.yaml",
        "apiVersion: extensions/v1beta1",
    ),
    (
        "profile json broken",
        lambda r: edit(
            r,
            NETWORK,
            '"mtu": 1500,\n              "port_groups"',
            '"mtu": 1500\n              "port_groups"',
        ),
        "profile-json",
        "error",
        NETWORK,
        '"port_groups": [',
    ),
    (
        "bad vlan",
        lambda r: edit(
            r, NETWORK, '{ "name": "Cameras", "vlan_id": 20 }', '{ "name": "Cameras", "vlan_id": 4096 }'
        ),
        "profile-vlan",
        "error",
        NETWORK,
        '"vlan_id": 4096',
    ),
    (
        "unchecked profile section",
        lambda r: edit(
            r, NETWORK, '"esx": {\n', '"esx": {\n        "services": { "ssh": { "enabled": false } },\n'
        ),
        "profile-unchecked",
        "info",
        NETWORK,
        '"services"',
    ),
    (
        "yaml syntax",
        lambda r: edit(r, "apps/hello.yaml", "  replicas: 1", "  replicas: [1"),
        "yaml-syntax",
        "error",
        "apps/hello.yaml",
        "  selector:",
    ),
    (
        "not an object",
        lambda r: (r / "values.yaml").write_text("replicas: 2\nimage: nginx\n"),
        "not-an-object",
        "error",
        "values.yaml",
        "replicas: 2",
    ),
    (
        "standby not in bridge",
        lambda r: edit(
            r, NETWORK, '"bridge": { "nics": ["vmnic0", "vusb0"] }', '"bridge": { "nics": ["vmnic0"] }'
        ),
        "uplink-not-in-bridge",
        "error",
        NETWORK,
        '"nic_teaming": {',
    ),
    (
        "nic on two switches",
        lambda r: edit(
            r, NETWORK, '"bridge": { "nics": ["vmnic1"] }', '"bridge": { "nics": ["vmnic1", "vmnic0"] }'
        ),
        "uplink-shared",
        "error",
        NETWORK,
        '"bridge": { "nics": ["vmnic0", "vusb0"] }',
    ),
    (
        "usb nic without boot scan",
        lambda r: (r / USB).unlink(),
        "usb-nic-boot-scan",
        "warning",
        NETWORK,
        '"bridge": { "nics": ["vmnic0", "vusb0"] }',
    ),
    (
        "management without active uplink",
        lambda r: edit(
            r,
            NETWORK,
            '"active_nics": ["vmnic0"],\n                  "standby_nics": ["vusb0"]',
            '"active_nics": [],\n                  "standby_nics": ["vmnic0", "vusb0"]',
        ),
        "management-no-uplink",
        "error",
        NETWORK,
        '"nic_teaming": {',
    ),
    (
        "management moved to a port group nobody creates",
        lambda r: edit(r, NETWORK, '"port_group": "Management Network"', '"port_group": "Mgmt"'),
        "management-portgroup-missing",
        "error",
        NETWORK,
        '"device": "vmk0"',
    ),
    (
        "cloud-init plaintext passwd",
        lambda r: edit(
            r, GATEWAY, "        lock_passwd: true\n", "        lock_passwd: false\n        passwd: depot7!\n"
        ),
        "plaintext-password",
        "warning",
        GATEWAY,
        "passwd: depot7!",
    ),
    (
        "cloud-init chpasswd list",
        lambda r: edit(
            r,
            GATEWAY,
            "    write_files:\n",
            "    chpasswd:\n      list: |\n        ops:depot7\n      expire: false\n    write_files:\n",
        ),
        "plaintext-password",
        "warning",
        GATEWAY,
        "ops:depot7",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "rule", "severity", "rel", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_fires_on_one_change(
    site: Path, mutate: Mutation, rule: str, severity: str, rel: str, needle: str
) -> None:
    mutate(site)
    findings = lint(site).findings
    hits = by_rule(findings, rule)
    assert hits, f"{rule} not reported; got {[(f.rule, f.file, f.line) for f in findings]}"
    hit = hits[0]
    assert hit.severity == severity
    assert hit.file == rel
    assert hit.line == line_of(site, rel, needle)
    assert hit.message and (hit.hint or severity == "info")
    if severity != "error":
        assert lint(site).counts["error"] == 0 or rule in ("yaml-syntax",)


def test_duplicate_names_both_files(site: Path) -> None:
    (site / "vms" / "copy.yaml").write_text((site / GATEWAY).read_text())
    dups = by_rule(lint(site).findings, "duplicate-object")
    assert {f.object for f in dups} == {
        "VirtualMachine/default/cam-gateway",
        "ConfigMap/default/cam-gateway-init",
    }
    assert all("already defined at vms/copy.yaml:" in f.message for f in dups)


def test_sysprep_plaintext_password_is_warned_at_its_line(site: Path) -> None:
    (site / "vms" / "windows.yaml").write_text(
        "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\nmetadata:\n  name: win\n"
        "  namespace: default\nspec:\n  className: best-effort-medium\n  imageName: win.ova\n"
        "  powerState: poweredOn\n  vmMetadata:\n    secretName: win-sysprep\n    transport: Sysprep\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: win-sysprep\n  namespace: default\nstringData:\n"
        '  unattend: |\n    <?xml version="1.0"?>\n    <unattend>\n      <AdministratorPassword>\n'
        "        <Value>NotSecret1</Value>\n        <PlainText>true</PlainText>\n      </AdministratorPassword>\n"  # noqa: E501
        "    </unattend>\n"
    )
    findings = lint(site).findings
    hits = by_rule(findings, "plaintext-password")
    assert [(h.file, h.line, h.object) for h in hits] == [
        (
            "vms/windows.yaml",
            line_of(site, "vms/windows.yaml", "<PlainText>true"),
            "Secret/default/win-sysprep",
        )
    ]
    assert lint(site).counts["error"] == 0


def test_hashed_passwords_are_fine(site: Path) -> None:
    edit(
        site,
        GATEWAY,
        "        lock_passwd: true\n",
        "        lock_passwd: false\n        passwd: $6$rounds=4096$abc$hashhashhash\n",
    )
    assert by_rule(lint(site).findings, "plaintext-password") == []


def test_esx_account_plaintext_password(site: Path) -> None:
    edit(
        site,
        "host-config/host-extras.yaml",
        '"password_hash": "$6$saltsalt$',
        '"password": "Depot7!", "x": "',
    )
    hits = by_rule(lint(site).findings, "plaintext-password")
    assert len(hits) == 1 and hits[0].line == line_of(
        site, "host-config/host-extras.yaml", '"password": "Depot7!"'
    )


# ------------------------------------------------------------------ with the box's inventory


def test_nic_the_box_lacks(site: Path, inventory: Inventory) -> None:
    edit(site, NETWORK, '"active_nics": ["vmnic1"]', '"active_nics": ["vmnic2"]')
    edit(site, NETWORK, '"bridge": { "nics": ["vmnic1"] }', '"bridge": { "nics": ["vmnic2"] }')
    hits = by_rule(lint(site, inventory=inventory).findings, "nic-missing")
    assert len(hits) == 1
    assert (
        hits[0].severity == "error"
        and "vmnic2" in hits[0].message
        and "vmnic0, vmnic1, vusb0" in hits[0].message
    )
    assert hits[0].line == line_of(site, NETWORK, '"bridge": { "nics": ["vmnic2"] }')
    assert by_rule(lint(site).findings, "nic-missing") == []  # not checked without an inventory


def test_management_uplink_absent_from_box(site: Path, inventory: Inventory) -> None:
    edit(site, NETWORK, '"active_nics": ["vmnic0"]', '"active_nics": ["vmnic4"]')
    edit(
        site,
        NETWORK,
        '"bridge": { "nics": ["vmnic0", "vusb0"] }',
        '"bridge": { "nics": ["vmnic4", "vusb0"] }',
    )
    findings = lint(site, inventory=inventory).findings
    (hit,) = by_rule(findings, "management-uplink-absent")
    assert hit.severity == "error" and "standby vusb0" in hit.message
    assert by_rule(lint(site).findings, "management-uplink-absent") == []


def test_management_only_on_usb_without_boot_scan_is_an_error(site: Path) -> None:
    (site / USB).unlink()
    edit(
        site,
        NETWORK,
        '"active_nics": ["vmnic0"],\n                  "standby_nics": ["vusb0"]',
        '"active_nics": ["vusb0"],\n                  "standby_nics": ["vmnic0"]',
    )
    (hit,) = by_rule(lint(site).findings, "usb-nic-boot-scan")
    assert hit.severity == "error" and "lose its management network" in hit.message


def test_vm_class_bigger_than_the_box(site: Path, inventory: Inventory) -> None:
    edit(site, GATEWAY, "className: best-effort-small", "className: best-effort-4xlarge")
    findings = lint(site, inventory=inventory).findings
    assert [f.severity for f in by_rule(findings, "vm-cpu-too-many")] == ["error"]
    assert [f.severity for f in by_rule(findings, "vm-memory-too-much")] == ["error"]


def test_memory_overcommit_warning_and_reservations_error(site: Path, inventory: Inventory) -> None:
    edit(site, ANALYTICS, "memory: 4Gi\n  policies", "memory: 26Gi\n  policies")
    findings = lint(site, inventory=inventory).findings
    (warn,) = by_rule(findings, "memory-overcommit")
    assert warn.severity == "warning"
    assert by_rule(findings, "memory-reservations") == []
    edit(site, ANALYTICS, "        memory: 4Gi", "        memory: 29Gi")
    (err,) = by_rule(lint(site, inventory=inventory).findings, "memory-reservations")
    assert err.severity == "error"


def test_passthrough_device_present_or_not(site: Path, inventory: Inventory) -> None:
    gpu_class = (
        "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachineClass\nmetadata:\n  name: gpu\n"
        "spec:\n  hardware:\n    cpus: 2\n    memory: 4Gi\n    devices:\n      dynamicDirectPathIODevices:\n"
        "      - vendorID: 0x10de\n        deviceID: 0x25b6\n"
    )
    (site / "vms" / "gpu-class.yaml").write_text(gpu_class)
    assert by_rule(lint(site, inventory=inventory).findings, "passthrough-missing") == []
    (site / "vms" / "gpu-class.yaml").write_text(gpu_class.replace("0x25b6", "0x2236"))
    (hit,) = by_rule(lint(site, inventory=inventory).findings, "passthrough-missing")
    assert "10de:2236" in hit.message and hit.line == line_of(site, "vms/gpu-class.yaml", "- vendorID")
    assert hit.severity == "warning"  # no VM uses the class yet
    edit(site, ANALYTICS, "className: analytics-medium", "className: gpu")
    (hit,) = by_rule(lint(site, inventory=inventory).findings, "passthrough-missing")
    assert hit.severity == "error"


def test_ecs_example_shapes_lint_without_false_errors(tmp_path: Path) -> None:
    """Shapes seen in the public ECS example: a wrapped PTP profile with its own management
    vmknic, a class with namespace, CloudInit without data, a comment-only file."""
    root = tmp_path / "example"
    (root / "edge").mkdir(parents=True)
    (root / "edge" / "ptp.yaml").write_text(
        "apiVersion: esx.vmware.com/v1alpha1\nkind: HostConfiguration\nmetadata:\n  name: ptp\n"
        "  namespace: esx-system\nspec:\n  layertype: Incremental\n  profile: |\n"
        '    {"profile": {"esx": {\n'
        '      "network_vss": {"switches": [{"name": "PTP-Switch",\n'
        '        "policy": {"nic_teaming": {"policy": "LOADBALANCE_SRCID", "active_nics": ["vmnic1"], "standby_nics": []}},\n'  # noqa: E501
        '        "bridge": {"nics": ["vmnic1"]}, "num_ports": 1024, "mtu": 1500,\n'
        '        "port_groups": [{"name": "PTP-PG", "vlan_id": 0}]}]},\n'
        '      "network": {"vmknics": [{"device": "vmk1", "port_group": "PTP-PG",\n'
        '        "enabled_services": {"management": true, "precision_time_protocol": true}}],\n'
        '        "net_stacks": [{"key": "defaultTcpipStack", "name": "defaultTcpipStack"}]},\n'
        '      "system": {"system_time": {"protocol": "PTP", "enabled": true}}\n'
        "    }}}\n"
    )
    (root / "edge" / "monitoring.yaml").write_text(
        "# apiVersion: esx.vmware.com/v1alpha1\n# kind: HostConfiguration\n"
    )
    (root / "vm.yaml").write_text(
        "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachineClass\nmetadata:\n  name: gpu-small\n"  # noqa: E501
        "  namespace: default\nspec:\n  hardware:\n    cpus: 2\n    memory: 8Gi\n  policies:\n    resources:\n"  # noqa: E501
        "      requests:\n        cpu: 2000m\n        memory: 8Gi\n---\n"
        "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\nmetadata:\n  name: linux-gpu\n"
        "  namespace: default\nspec:\n  className: gpu-small\n  imageName: 172.20.0.200/ubuntu.ova\n"
        "  networkInterfaces:\n  - ethernetCardType: vmxnet3\n    networkName: VM Network\n  powerState: poweredOn\n"  # noqa: E501
        "---\napiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\nmetadata:\n  name: ec-worker\n"  # noqa: E501
        "  namespace: ec-system\nspec:\n  className: best-effort-xsmall\n  imageName: ec-wrkr.ova\n"
        "  powerState: poweredOff\n  vmMetadata:\n    transport: CloudInit\n"
    )
    report = lint(root)
    assert report.counts["error"] == 0, [str(f) for f in report.findings]
    assert {f.rule for f in report.findings} <= {"profile-wrapper", "profile-unchecked"}


def test_no_namespace_and_default_are_the_same_object(site: Path) -> None:
    (site / "vms" / "again.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cam-gateway-init\ndata:\n  a: b\n"
    )
    (hit,) = by_rule(lint(site).findings, "duplicate-object")
    assert hit.file == GATEWAY and "vms/again.yaml" in hit.message
