"""The workload, secret, RBAC and API-version rules, schema validation, and property tests of the
YAML / kustomization reading (Hypothesis: no traceback, no hang, whatever the files hold)."""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.linter import lint
from tests.unit.sites.repo_builder import commit_files, make_repo


def lint_files(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    root = make_repo(tmp_path / "site")
    commit_files(root, "site", files)
    return lint(root).findings


def hits(findings: list[Finding], rule: str) -> list[tuple[str, str, int]]:
    return [(f.severity, f.file, f.line) for f in findings if f.rule == rule]


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: {image}
          env:
            - name: DB_PASSWORD
              value: hunter2-secret-value
            - name: LOG_LEVEL
              value: debug
            - name: API_TOKEN
              valueFrom:
                secretKeyRef: {{name: web, key: token}}
          securityContext:
            privileged: true
      volumes:
        - name: host-logs
          hostPath:
            path: /var/log
"""


def test_workload_rules_at_their_lines_and_values_never_printed(tmp_path: Path) -> None:
    found = lint_files(tmp_path, {"apps/web.yaml": DEPLOY.format(image="nginx:latest")})
    assert hits(found, "image-tag") == [("warning", "apps/web.yaml", 15)]
    assert hits(found, "literal-secret") == [("warning", "apps/web.yaml", 18)]
    assert hits(found, "privileged") == [("info", "apps/web.yaml", 25)]
    assert hits(found, "host-path") == [("info", "apps/web.yaml", 28)]
    assert all("hunter2" not in f.message + f.hint for f in found)
    untagged = lint_files(
        tmp_path / "b", {"apps/web.yaml": DEPLOY.format(image="registry.local:5000/team/web")}
    )
    assert "has no tag" in next(f.message for f in untagged if f.rule == "image-tag")
    pinned = lint_files(tmp_path / "c", {"apps/web.yaml": DEPLOY.format(image="nginx@sha256:" + "a" * 64)})
    assert hits(pinned, "image-tag") == []


SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: default
type: Opaque
data:
  password: {value}
"""

SOPS_SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: default
data:
  password: ENC[AES256_GCM,data:p673w==,iv:YY=,tag:rp9Q==,type:str]
sops:
  age:
    - recipient: age1example
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2026-11-20T10:00:00Z"
  mac: ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]
  version: 3.9.0
"""


def test_secrets_unencrypted_warn_sops_passes_configmap_keys_named_like_secrets(tmp_path: Path) -> None:
    value = base64.b64encode(b"s3cr3t-value").decode()
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\ndata:\n"
    cm += "  api_token: abcdef123456\n  mode: fast\n"
    found = lint_files(tmp_path, {"a/secret.yaml": SECRET.format(value=value), "a/cm.yaml": cm})
    assert hits(found, "secret-unencrypted") == [("warning", "a/secret.yaml", 7)]
    assert hits(found, "literal-secret") == [("warning", "a/cm.yaml", 7)]
    assert all(
        value not in f.message and "s3cr3t" not in f.message and "abcdef" not in f.message for f in found
    )
    sops = lint_files(tmp_path / "b", {"a/secret.yaml": SOPS_SECRET})
    assert hits(sops, "secret-unencrypted") == []


def test_cluster_admin_binding_and_shared_pv_host_path(tmp_path: Path) -> None:
    crb = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ops-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: ops
    namespace: default
"""
    pv = """apiVersion: v1
kind: PersistentVolume
metadata:
  name: {name}
spec:
  capacity: {{storage: 1Gi}}
  accessModes: [ReadWriteOnce]
  hostPath:
    path: /data/shared{slash}
"""
    found = lint_files(
        tmp_path,
        {
            "rbac.yaml": crb,
            "pv/a.yaml": pv.format(name="a", slash=""),
            "pv/b.yaml": pv.format(name="b", slash="/"),
        },
    )
    assert hits(found, "cluster-admin") == [("info", "rbac.yaml", 8)]
    assert "ServiceAccount/ops" in next(f.message for f in found if f.rule == "cluster-admin")
    assert hits(found, "pv-hostpath-shared") == [("warning", "pv/b.yaml", 9)]


def test_deprecated_and_removed_apis_name_the_release(tmp_path: Path) -> None:
    files = {
        "hr.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n"
        "  name: a\n  namespace: default\nspec:\n  interval: 5m\n",
        "repo.yaml": "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: HelmRepository\nmetadata:\n"
        "  name: a\n  namespace: default\nspec:\n  url: https://example.invalid/charts\n",
        "pdb.yaml": "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: a\n"
        "  namespace: default\nspec:\n  maxUnavailable: 1\n",
        "flow.yaml": (
            "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n  name: a\n"
        ),
    }
    found = lint_files(tmp_path, files)
    by_file = {f.file: f for f in found if f.rule in ("deprecated-api", "removed-api")}
    assert (by_file["hr.yaml"].severity, by_file["hr.yaml"].rule) == ("warning", "deprecated-api")
    assert "Flux 2.7" in by_file["hr.yaml"].message
    assert "Flux 2.8" in by_file["repo.yaml"].message
    assert (by_file["pdb.yaml"].severity, by_file["pdb.yaml"].rule) == ("error", "removed-api")
    assert "Kubernetes 1.25" in by_file["pdb.yaml"].message
    assert (by_file["flow.yaml"].severity, by_file["flow.yaml"].rule) == ("warning", "deprecated-api")
    assert "Kubernetes 1.32" in by_file["flow.yaml"].message
    assert all(f.line == 1 for f in by_file.values())


def test_schema_unknown_and_mistyped_fields_at_their_line(tmp_path: Path) -> None:
    deploy = DEPLOY.format(image="nginx:1.27").replace("  selector:", "  replicas: two\n  selector:")
    deploy = deploy.replace(
        "          image:", "          imagePullPolicy: Always\n          imagePolicy: x\n          image:"
    )
    vm = """apiVersion: vmoperator.vmware.com/v1alpha1
kind: VirtualMachine
metadata:
  name: vm1
  namespace: default
spec:
  className: best-effort-small
  imageName: photon
  powerState: poweredOn
  networkInterfaces:
    - networkName: VM Network
      netwrokType: standard
  storageClass: 5
"""
    found = lint_files(tmp_path, {"apps/web.yaml": deploy, "vms/vm.yaml": vm})
    # vm-operator: the CRD schemas shipped in resources/schemas/vm-operator.
    assert ("error", "vms/vm.yaml", 13) in hits(found, "schema-type")
    assert ("warning", "vms/vm.yaml", 12) in hits(found, "schema-unknown-field")
    if importlib.util.find_spec("kubernetes_validate") is None:
        # Without the package that ships the Kubernetes schemas: said once, never silently skipped.
        assert [f.severity for f in found if f.rule == "schema-not-checked"] == ["info"]
        return
    assert hits(found, "schema-type") == [("error", "apps/web.yaml", 7), ("error", "vms/vm.yaml", 13)]
    assert hits(found, "schema-unknown-field") == [
        ("error", "apps/web.yaml", 17),
        ("warning", "vms/vm.yaml", 12),
    ]
    unknown = next(f for f in found if f.rule == "schema-unknown-field" and f.file == "apps/web.yaml")
    assert "spec.template.spec.containers[0].imagePolicy" in unknown.message
    assert "Kubernetes 1.30" in unknown.message


def test_without_the_schema_package_core_kinds_are_not_checked_and_it_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecs_field.sites.lint import schemas

    monkeypatch.setattr(schemas, "core_definitions", lambda: None)
    deploy = DEPLOY.format(image="nginx:1.27").replace("  selector:", "  replicas: two\n  selector:")
    found = lint_files(tmp_path, {"apps/web.yaml": deploy})
    assert hits(found, "schema-type") == []
    note = [f for f in found if f.rule == "schema-not-checked"]
    assert [(f.severity, f.file) for f in note] == [("info", "")]
    assert "1 Kubernetes object(s) not checked" in note[0].message
    assert "kubernetes-validate" in note[0].hint


def test_flux_kinds_checked_against_the_crds_in_flux_system(tmp_path: Path) -> None:
    crd = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: kustomizations.kustomize.toolkit.fluxcd.io
spec:
  group: kustomize.toolkit.fluxcd.io
  names: {kind: Kustomization, plural: kustomizations}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                interval: {type: string}
                path: {type: string}
                prune: {type: boolean}
                sourceRef:
                  type: object
                  properties:
                    kind: {type: string}
                    name: {type: string}
"""
    ks = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  path: ./
  prune: "yes"
  sourceRef: {kind: GitRepository, name: flux-system}
  intervall: 5m
"""
    found = lint_files(tmp_path, {"flux-system/gotk-components.yaml": crd, "flux-system/gotk-sync.yaml": ks})
    assert hits(found, "schema-type") == [("error", "flux-system/gotk-sync.yaml", 9)]
    assert hits(found, "schema-unknown-field") == [("warning", "flux-system/gotk-sync.yaml", 11)]


# -- property tests: reading never crashes nor hangs ----------------------------------------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_entry = st.one_of(
    _text,
    st.sampled_from(
        ["cm.yaml", "../x.yaml", "/etc/passwd", "sub", "sub/", "https://example.invalid/x", "..", "."]
    ),
    st.integers(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
_kustomization = st.fixed_dictionaries(
    {},
    optional={
        "resources": st.one_of(st.lists(_entry, max_size=5), _text, st.integers()),
        "namespace": st.one_of(_text, st.integers()),
        "namePrefix": _text,
        "patches": st.lists(st.one_of(st.fixed_dictionaries({"path": _entry}), _text), max_size=3),
        "configMapGenerator": st.lists(
            st.fixed_dictionaries({"name": _text}, optional={"files": st.lists(_entry, max_size=2)}),
            max_size=2,
        ),
        "bogus": _text,
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kustomization=_kustomization, sub=_kustomization)
def test_any_kustomization_yaml_gives_findings_not_tracebacks(tmp_path_factory, kustomization, sub) -> None:  # type: ignore[no-untyped-def]
    import json

    root = tmp_path_factory.mktemp("k")
    (root / "sub").mkdir()
    (root / "kustomization.yaml").write_text(json.dumps(kustomization))
    (root / "sub" / "kustomization.yaml").write_text(json.dumps(sub))
    (root / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    report = lint(root)
    assert all(f.severity in ("error", "warning", "info") for f in report.findings)
    assert report.to_dict()["counts"]["error"] >= 0


_yaml_chunk = st.sampled_from(
    [
        "apiVersion: v1\n", "kind: Secret\n", "kind: Kustomization\n", "metadata:\n", "  name: a\n",
        "  namespace: default\n", "spec:\n", "  path: ./\n", "  targetNamespace: x\n", "data:\n",
        "  password: cGFzcw==\n", "---\n", "- - - [\n", "{a: &x [*x]}\n", "key: ${VAR}\n",
        "  image: nginx\n", "apiVersion: kustomize.toolkit.fluxcd.io/v1\n",
        "  sourceRef: {name: flux-system}\n",
        "\t\n", "!!binary AAAA\n", "n: 0x" + "f" * 30 + "\n", "  dependsOn: [{name: a}]\n",
    ]
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(files=st.lists(st.lists(_yaml_chunk, max_size=12).map("".join), min_size=1, max_size=4))
def test_any_yaml_files_give_a_report(tmp_path_factory, files) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("y")
    for i, text in enumerate(files):
        (root / f"f{i}.yaml").write_text(text)
    report = lint(root)
    for finding in report.findings:
        assert finding.file == "" or (root / finding.file).exists() or finding.file.endswith(".yaml")
