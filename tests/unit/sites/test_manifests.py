"""Loading a site's manifests: objects, lines, typed views, and hostile input."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

from ecs_field.errors import BadInput
from ecs_field.sites.repo import safe_yaml
from ecs_field.sites.repo.manifests import HostConfiguration, load_manifests

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "sites" / "ecs-site"


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_fixture_site_loads_every_object_with_file_and_line() -> None:
    ms = load_manifests(FIXTURE)
    assert ms.findings == []
    refs = {o.ref for o in ms}
    assert "VirtualMachine/ec-system/ec-worker" in refs
    assert "VirtualMachineClass/best-effort-ec-small" in refs
    assert "Kustomization/flux-system/flux-system" in refs
    worker = ms.get("VirtualMachine", "ec-worker", "ec-system")
    assert worker is not None
    assert worker.file == "worker/worker-node.yaml"
    assert worker.line == 17  # the "apiVersion:" line of its document
    assert worker.line_of("spec", "className") == line_of(
        FIXTURE / worker.file, "className: best-effort-ec-small"
    )
    assert ms.declared_namespaces() == {"ec-system", "hello-depot"}
    assert "README.md" not in ms.files


def test_typed_views_over_the_fixture() -> None:
    ms = load_manifests(FIXTURE)
    vms = {vm.obj.name: vm for vm in ms.virtual_machines()}
    gw = vms["cam-gateway"]
    assert gw.class_name == "best-effort-small" and gw.power_state == "poweredOn"
    assert gw.vm_metadata is not None and gw.vm_metadata.transport == "CloudInit"
    assert gw.vm_metadata.config_map_name == "cam-gateway-init"
    assert gw.network_interfaces[0]["networkName"] == "Cameras"
    classes = {c.obj.name: c for c in ms.vm_classes()}
    assert classes["best-effort-ec-small"].cpus == 2
    assert classes["best-effort-ec-small"].memory_bytes == 6 * 2**30
    assert classes["best-effort-ec-small"].controller_name == "vmoperator.vmware.com/ecworker"
    assert classes["analytics-medium"].memory_request_bytes == 4 * 2**30
    repo = ms.git_repositories()[0]
    assert repo.branch == "main" and repo.url.endswith("depot-7.git")
    ks = ms.kustomizations()[0]
    assert (
        ks.path == "./"
        and ks.prune
        and ks.source_name == "flux-system"
        and ks.source_namespace == "flux-system"
    )
    cms = {c.obj.name: c for c in ms.config_maps()}
    assert "#cloud-config" in cms["cam-gateway-init"].data["user-data"]


def test_profile_fields_map_to_yaml_lines() -> None:
    ms = load_manifests(FIXTURE)
    hcs = {h.obj.name: h for h in ms.host_configurations()}
    net = hcs["host-network"]
    assert net.issues == () and net.profile is not None
    path = FIXTURE / net.obj.file
    vs0 = net.profile.switch("vSwitch0")
    assert vs0 is not None
    assert vs0.active_nics == ("vmnic0",) and vs0.standby_nics == ("vusb0",)
    assert vs0.bridge_nics == ("vmnic0", "vusb0")
    assert vs0.bridge_line == line_of(path, '"bridge": { "nics": ["vmnic0", "vusb0"] }')
    assert [(pg.name, pg.vlan_id) for pg in vs0.port_groups] == [("Management Network", 0), ("VM Network", 0)]
    assert vs0.port_groups[0].line == line_of(path, '"name": "Management Network"')
    assert [s.name for s in net.profile.management_switches()] == ["vSwitch0"]
    vs1 = net.profile.switch("vSwitch1")
    assert vs1 is not None and vs1.port_groups[0].vlan_id == 20
    usb = hcs["usb-nic-boot-scan"].profile
    assert usb is not None and usb.module_option("vmkusb_nic_fling", "usbBusFullScanOnBootEnabled") == "1"
    time_profile = hcs["time-sync"].profile
    assert time_profile is not None and time_profile.system_time is not None
    assert time_profile.system_time.protocol == "NTP" and len(time_profile.system_time.servers) == 2
    extras = hcs["monitor-account"].profile
    assert extras is not None and extras.user_accounts[0].has_password_hash
    assert not extras.user_accounts[0].plaintext_password
    nfs = hcs["depot-nfs"].profile
    assert nfs is not None and nfs.nfs_datastores[0].volume_name == "depot-share"
    banner = hcs["banner"].profile
    assert banner is not None and banner.welcome_message and "Depot 7" in banner.welcome_message


def test_invalid_profile_json_points_at_the_yaml_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "host.yaml",
        """apiVersion: esx.vmware.com/v1alpha1
kind: HostConfiguration
metadata:
  name: broken
  namespace: esx-system
spec:
  layertype: Incremental
  profile: |
    {
      "esx": {
        "system": {
          "welcome_message": { "message": "hi" },
        }
      }
    }
""",
    )
    hc = load_manifests(tmp_path).host_configurations()[0]
    assert hc.profile is None
    (issue,) = hc.issues
    assert issue.rule == "profile-json"
    assert issue.line == line_of(path, "        }")


def test_wrapped_profile_and_unknown_keys_are_info(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ptp.yaml",
        """apiVersion: esx.vmware.com/v1alpha1
kind: HostConfiguration
metadata:
  name: ptp
  namespace: esx-system
spec:
  profile: |
    {"profile": {"esx": {
      "network_vss": {"switches": [{"name": "PTP", "bridge": {"nics": ["vmnic1"]},
        "policy": {"nic_teaming": {"active_nics": ["vmnic1"], "standby_nics": []}},
        "port_groups": [{"name": "PTP-PG", "vlan_id": 0}]}]},
      "network": {"vmknics": [{"device": "vmk1", "port_group": "PTP-PG",
        "enabled_services": {"management": true, "precision_time_protocol": true}}]},
      "services": {"ssh": {"enabled": false}}
    }}}
""",
    )
    hc = load_manifests(tmp_path).host_configurations()[0]
    assert hc.profile is not None and hc.profile.wrapped
    assert [i.rule for i in hc.issues] == ["profile-wrapper"]
    assert hc.issues[0].severity == "info"
    assert ("esx.services", 14) in hc.profile.unknown_keys
    assert [s.name for s in hc.profile.management_switches()] == ["PTP"]


def test_profile_written_as_a_mapping_is_an_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        "h.yaml",
        "apiVersion: esx.vmware.com/v1alpha1\nkind: HostConfiguration\nmetadata:\n"
        "  name: m\n  namespace: esx-system\nspec:\n  profile:\n    esx: {}\n",
    )
    hc = load_manifests(tmp_path).host_configurations()[0]
    assert hc.issues[0].rule == "profile-shape" and hc.issues[0].line == 7


def test_profile_with_a_bad_vlan(tmp_path: Path) -> None:
    obj_text = (
        "apiVersion: esx.vmware.com/v1alpha1\nkind: HostConfiguration\nmetadata: {name: v, namespace: esx-system}\n"  # noqa: E501
        'spec:\n  profile: |\n    {"esx": {"network_vss": {"switches": [{"name": "s", "port_groups": [\n'
        '      {"name": "pg", "vlan_id": 5000}]}]}}}\n'
    )
    write(tmp_path, "v.yaml", obj_text)
    hc = load_manifests(tmp_path).host_configurations()[0]
    assert [(i.rule, i.line) for i in hc.issues] == [("profile-vlan", 7)]


def test_lists_non_objects_kustomize_files_and_hidden_folders(tmp_path: Path) -> None:
    write(
        tmp_path,
        "list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n"
        "  metadata: {name: a, namespace: default}\n",
    )
    write(
        tmp_path,
        "kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [list.yaml]\n",
    )
    write(tmp_path, "values.yaml", "- just\n- a list\n")
    write(tmp_path, ".github/workflows/ci.yaml", "on: push\n")
    write(tmp_path, "empty.yaml", "# only a comment\n---\n")
    ms = load_manifests(tmp_path)
    assert [o.ref for o in ms] == ["ConfigMap/default/a"]
    assert ms.objects[0].line == 4
    assert ms.kustomize_files == ["kustomization.yaml"]
    assert [(f.rule, f.file) for f in ms.findings] == [("not-an-object", "values.yaml")]
    assert all(not f.startswith(".github") for f in ms.files)


def test_subpath_and_bad_paths(tmp_path: Path) -> None:
    write(tmp_path, "sites/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    write(tmp_path, "sites/b/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    ms = load_manifests(tmp_path, "sites/a")
    assert [o.name for o in ms] == ["a"] and ms.objects[0].file == "sites/a/cm.yaml"
    assert [o.name for o in load_manifests(tmp_path, "./sites/b/")] == ["b"]
    with pytest.raises(BadInput, match="leaves the repository"):
        load_manifests(tmp_path, "../elsewhere")
    with pytest.raises(BadInput, match="no such folder"):
        load_manifests(tmp_path, "sites/c")
    with pytest.raises(BadInput, match="no such folder"):
        load_manifests(tmp_path / "missing")


def test_syntax_errors_and_duplicate_keys_are_findings(tmp_path: Path) -> None:
    write(tmp_path, "ok.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fine\n")
    write(
        tmp_path,
        "bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [1, 2\n  b: 3\n",
    )
    write(tmp_path, "dup.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  name: e\n")
    ms = load_manifests(tmp_path)
    by_rule = {(f.rule, f.file): f for f in ms.findings}
    assert by_rule[("yaml-syntax", "bad.yaml")].line == 7
    assert by_rule[("yaml-duplicate-key", "dup.yaml")].line == 5
    assert by_rule[("yaml-syntax", "bad.yaml")].severity == "error"
    assert "Namespace/fine" in {o.ref for o in ms}


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    write(
        tmp_path,
        "evil.yaml",
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: e}}\n"
        f"data:\n  x: !!python/object/apply:os.system ['touch {marker}']\n",
    )
    ms = load_manifests(tmp_path)
    assert not marker.exists()
    assert any(f.rule == "yaml-tag" for f in ms.findings)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_alias_bomb_is_a_finding_not_memory_exhaustion(tmp_path: Path) -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    write(tmp_path, "bomb.yaml", "\n".join(levels) + "\n")
    before = _peak_rss_mb()
    ms = load_manifests(tmp_path)
    assert [f.rule for f in ms.findings] == ["yaml-alias-bomb"]
    assert _peak_rss_mb() - before < 100


def test_oversized_binary_and_undecodable_files(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing it
    write(tmp_path, "blob.yaml", b"\x7fELF\x00\x01\x02" * 100)
    write(tmp_path, "latin1.yaml", "name: caf\xe9\n".encode("latin-1"))
    ms = load_manifests(tmp_path)
    rules = {f.file: f.rule for f in ms.findings}
    assert rules == {
        "huge.yaml": "file-too-large",
        "blob.yaml": "file-binary",
        "latin1.yaml": "file-encoding",
    }


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_named_yaml_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    ms = load_manifests(tmp_path)
    assert [f.rule for f in ms.findings] == ["file-unreadable"]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        "- " * 100_000 + "x\n",
        "a:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(300)),
    ],
    ids=["flow", "block-sequence", "block-mapping"],
)
def test_deep_nesting_is_refused_without_crashing(tmp_path: Path, text: str) -> None:
    write(tmp_path, "deep.yaml", text)
    ms = load_manifests(tmp_path)
    assert [f.rule for f in ms.findings] == ["yaml-too-deep"]


def test_many_manifests_load_quickly_and_are_cached(tmp_path: Path) -> None:
    doc = (FIXTURE / "vms" / "gateway-vm.yaml").read_text()
    for i in range(100):
        write(
            tmp_path,
            f"vms/vm{i:03d}.yaml",
            "\n---\n".join(doc.replace("cam-gateway", f"vm-{i}-{j}") for j in range(10)),
        )
    started = time.perf_counter()
    ms = load_manifests(tmp_path)
    first = time.perf_counter() - started
    assert len(ms) == 2000 and not ms.findings
    started = time.perf_counter()
    again = load_manifests(tmp_path)
    second = time.perf_counter() - started
    assert len(again) == 2000
    # Not a timing gate: the cached run must simply do less work than the first one.
    assert second < first


def test_safe_yaml_merge_keys_and_lines() -> None:
    result = safe_yaml.load_text("base: &b {cpu: 2, mem: 4}\nvm:\n  <<: *b\n  mem: 8\n")
    (doc,) = result.documents
    assert doc.value["vm"] == {"cpu": 2, "mem": 8}
    assert doc.line_of("vm", "mem") == 4
    assert doc.line_of("vm", "nothing", "deeper") == 2


def test_hostconfiguration_without_profile(tmp_path: Path) -> None:
    write(
        tmp_path,
        "h.yaml",
        "apiVersion: esx.vmware.com/v1alpha1\nkind: HostConfiguration\n"
        "metadata: {name: h, namespace: esx-system}\nspec:\n  layertype: Incremental\n",
    )
    (hc,) = load_manifests(tmp_path).host_configurations()
    assert isinstance(hc, HostConfiguration) and hc.issues[0].rule == "profile-missing"
    assert hc.layertype == "Incremental"


def test_json_positions_with_escapes_nesting_and_scalars() -> None:
    from ecs_field.sites.repo.jsonpos import index_lines

    text = '{\n  "a": [1,\n   {"b": "x\\"y,]}", "c": []},\n   [2, 3]\n  ],\n  "d\\u00e9": {"e": null}\n}'
    lines = index_lines(text)
    assert lines[("a",)] == 1 and lines[("a", 0)] == 1
    assert lines[("a", 1)] == 2 and lines[("a", 1, "c")] == 2
    assert lines[("a", 2, 1)] == 3
    assert lines[("d\u00e9", "e")] == 5


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("8Gi", 8 * 2**30),
        ("512Mi", 512 * 2**20),
        ("2G", 2 * 10**9),
        (4096, 4096),
        ("1.5Gi", 3 * 2**29),
        ("lots", None),
        (True, None),
    ],
)
def test_quantities(given: object, expected: int | None) -> None:
    from ecs_field.sites.repo.quantity import parse_bytes

    assert parse_bytes(given) == expected
