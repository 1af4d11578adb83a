"""Lint reads the repository as Flux applies it: applied sets, ownership, not-applied files.

Every case is a real git repository (built with the git CLI) in a layout people use: flux2
bootstrap (clusters/<site> + infrastructure + apps, tests/fixtures/sites/flux-bootstrap) and the
ECS example style (tests/fixtures/sites/ecs-example-style). Each test names the decision kustomize
or Flux makes in that case (see /work/notes/sites-lint-readme.md, "How lint compares with Flux").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ecs_field.sites.findings import Finding
from ecs_field.sites.lint.linter import lint
from tests.unit.sites.repo_builder import commit_files, make_repo, run_git

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sites"
BOOTSTRAP = FIXTURES / "flux-bootstrap"
ECS_STYLE = FIXTURES / "ecs-example-style"


def git_copy(src: Path, dest: Path) -> Path:
    """``src`` committed into a new git repository at ``dest``."""
    shutil.copytree(src, dest)
    make_repo(dest)
    run_git(dest, "add", "-A")
    run_git(dest, "commit", "-q", "-m", "site")
    return dest


def write(root: Path, files: dict[str, str]) -> None:
    commit_files(root, "change", files)


def rules(findings: list[Finding], severity: str | None = None) -> list[str]:
    return [f.rule for f in findings if severity is None or f.severity == severity]


def only(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def line_of(root: Path, rel: str, needle: str) -> int:
    for number, line in enumerate((root / rel).read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


KS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
spec:
  interval: 10m
  path: {path}
  prune: true
  sourceRef:
    kind: GitRepository
    name: {source}
"""


def ks(name: str, path: str, source: str = "flux-system", extra: str = "") -> str:
    return KS.format(name=name, path=path, source=source) + extra


CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  namespace: {namespace}
data:
  mode: {mode}
"""


def cm(name: str, namespace: str = "default", mode: str = "a") -> str:
    return CM.format(name=name, namespace=namespace, mode=mode)


@pytest.fixture
def bootstrap(tmp_path: Path) -> Path:
    return git_copy(BOOTSTRAP, tmp_path / "fleet")


# -- flux2 bootstrap layout --------------------------------------------------------------------------


def test_bootstrap_repo_linted_at_the_root_is_two_clusters_with_no_false_duplicates(bootstrap: Path) -> None:
    report = lint(bootstrap)
    # Both sites apply infrastructure/controllers and apps/base/podinfo: different clusters,
    # so no duplicate or owned-twice (the old linter reported every shared object twice).
    assert report.findings == [], [str(f) for f in report.findings]
    sets = [(s["name"], s["path"], s["cluster"].rpartition("@")[2]) for s in report.applied]
    assert sets == [
        ("Kustomization/flux-system/flux-system", "./clusters/depot-7", "./clusters/depot-7"),
        ("Kustomization/flux-system/infra-controllers", "./infrastructure/controllers", "./clusters/depot-7"),
        ("Kustomization/flux-system/apps", "./apps/depot-7", "./clusters/depot-7"),
        ("Kustomization/flux-system/flux-system", "./clusters/depot-9", "./clusters/depot-9"),
        ("Kustomization/flux-system/infra-controllers", "./infrastructure/controllers", "./clusters/depot-9"),
        ("Kustomization/flux-system/apps", "./apps/depot-9", "./clusters/depot-9"),
    ]
    apps = report.applied[2]
    # dependsOn order: infrastructure before apps; the overlay builds ../base/podinfo.
    assert apps["depends_on"] == ["Kustomization/flux-system/infra-controllers"]
    assert (apps["kustomization_file"], apps["objects"]) == ("apps/depot-7/kustomization.yaml", 2)


def test_site_path_selects_one_cluster_and_reports_nothing_of_the_other(bootstrap: Path) -> None:
    report = lint(bootstrap, "./clusters/depot-9")
    assert report.findings == []
    assert [s["path"] for s in report.applied] == [
        "./clusters/depot-9",
        "./infrastructure/controllers",
        "./apps/depot-9",
    ]
    # The set of the site path carries the name of the Kustomization that applies it (bootstrap).
    assert report.applied[0]["name"] == "Kustomization/flux-system/flux-system"


def test_kustomization_namespace_is_applied_to_the_base(bootstrap: Path) -> None:
    # apps/base/podinfo/kustomization.yaml sets namespace: podinfo; two overlays of one cluster
    # listing the same base would own Deployment/podinfo/podinfo twice.
    write(bootstrap, {"clusters/depot-7/more-apps.yaml": ks("more-apps", "./apps/depot-9")})
    found = lint(bootstrap, "clusters/depot-7").findings
    owned = only(found, "owned-twice")
    assert {f.object for f in owned} == {"Deployment/podinfo/podinfo", "Namespace/podinfo"}
    assert all("Kustomization/flux-system/apps" in f.message for f in owned)
    assert all(f.severity == "error" for f in owned)


def test_target_namespace_makes_two_applications_of_one_base_distinct(bootstrap: Path) -> None:
    extra = "  targetNamespace: podinfo-canary\n"
    write(bootstrap, {"clusters/depot-7/canary.yaml": ks("canary", "./apps/depot-9", extra=extra)})
    found = lint(bootstrap, "clusters/depot-7").findings
    # Deployment moves to podinfo-canary, so only the cluster-scoped Namespace is owned twice.
    assert [f.object for f in only(found, "owned-twice")] == ["Namespace/podinfo"]


def test_missing_resource_in_kustomization_is_an_error_at_its_line(bootstrap: Path) -> None:
    rel = "apps/base/podinfo/kustomization.yaml"
    write(bootstrap, {rel: (bootstrap / rel).read_text() + "  - service.yaml\n"})
    found = only(lint(bootstrap).findings, "kustomization-resource")
    assert [(f.severity, f.file, f.line) for f in found] == [
        ("error", rel, line_of(bootstrap, rel, "service.yaml"))
    ]
    assert "'service.yaml' does not exist" in found[0].message


def test_folder_resource_without_kustomization_is_an_error(bootstrap: Path) -> None:
    rel = "apps/depot-7/kustomization.yaml"
    write(
        bootstrap,
        {rel: (bootstrap / rel).read_text() + "  - extras\n", "apps/depot-7/extras/cm.yaml": cm("x")},
    )
    found = only(lint(bootstrap, "clusters/depot-7").findings, "kustomization-resource")
    assert [(f.file, f.line) for f in found] == [(rel, line_of(bootstrap, rel, "extras"))]
    assert "has no kustomization.yaml" in found[0].message


def test_flux_path_missing_in_this_repo_is_an_error_and_another_source_is_not_read(bootstrap: Path) -> None:
    other = """---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: vendor
  namespace: flux-system
spec:
  url: https://example.invalid/vendor/manifests
"""
    write(
        bootstrap,
        {
            "clusters/depot-7/broken.yaml": ks("broken", "./apps/depot-8"),
            "clusters/depot-7/vendor.yaml": ks("vendor-apps", "./deploy/prod", source="vendor") + other,
        },
    )
    found = lint(bootstrap, "clusters/depot-7").findings
    path = only(found, "flux-path")
    assert [(f.severity, f.file, f.line) for f in path] == [
        ("error", "clusters/depot-7/broken.yaml", line_of(bootstrap, "clusters/depot-7/broken.yaml", "path:"))
    ]
    assert [(f.severity, f.object) for f in only(found, "flux-other-source")] == [
        ("info", "Kustomization/flux-system/vendor-apps")
    ]


def test_postbuild_variables_unresolved_are_reported_and_defaults_pass(bootstrap: Path) -> None:
    rel = "apps/base/podinfo/deployment.yaml"
    text = (bootstrap / rel).read_text()
    text = text.replace(
        "    site: ${SITE_NAME}\n", "    site: ${SITE_NAME}\n    zone: ${ZONE}\n    tier: ${TIER:=edge}\n"
    )
    write(bootstrap, {rel: text})
    found = only(lint(bootstrap, "clusters/depot-7").findings, "flux-var-unresolved")
    assert [(f.severity, f.file, f.line) for f in found] == [
        ("warning", rel, line_of(bootstrap, rel, "${ZONE}"))
    ]
    assert "${ZONE}" in found[0].message and "Kustomization/flux-system/apps" in found[0].message


def test_depends_on_cycle_and_missing_dependency(bootstrap: Path) -> None:
    rel = "clusters/depot-7/infrastructure.yaml"
    text = (
        (bootstrap / rel)
        .read_text()
        .replace("spec:\n", "spec:\n  dependsOn:\n    - name: apps\n    - name: cert-manager\n", 1)
    )
    write(bootstrap, {rel: text})
    found = lint(bootstrap, "clusters/depot-7").findings
    deps = only(found, "flux-depends-on")
    assert ("error", "Kustomization/flux-system/apps") in {(f.severity, f.object) for f in deps}
    assert any(f.severity == "warning" and "cert-manager" in f.message for f in deps)


def test_helm_chart_source_defined_but_not_applied_is_an_error_outside_is_a_warning(bootstrap: Path) -> None:
    rel = "infrastructure/controllers/ingress-nginx.yaml"
    text = (bootstrap / rel).read_text()
    repo_doc = text[
        text.index("apiVersion: source.toolkit.fluxcd.io/v1") : text.index("---\napiVersion: helm")
    ]
    write(bootstrap, {rel: text.replace(repo_doc, ""), "infrastructure/sources/ingress.yaml": repo_doc})
    found = lint(bootstrap, "clusters/depot-7").findings
    assert [(f.severity, f.rule) for f in found if f.rule.startswith("helm-")] == [
        ("error", "helm-source-missing")
    ]
    # Not in the repository at all: created on the host or by another repo -> warning.
    (bootstrap / "infrastructure/sources/ingress.yaml").unlink()
    found = lint(bootstrap, "clusters/depot-7").findings
    assert [(f.severity, f.rule) for f in found if f.rule.startswith("helm-")] == [
        ("warning", "helm-source-outside")
    ]


# -- ECS example style: flux-system at the root with path ./, no kustomization.yaml ------------------


def test_ecs_example_style_root_is_generated_like_flux(tmp_path: Path) -> None:
    root = git_copy(ECS_STYLE, tmp_path / "ecs")
    report = lint(root)
    assert [(s["name"], s["path"], s["generated"]) for s in report.applied] == [
        ("Kustomization/flux-system/flux-system", "./", True)
    ]
    # *.example files are not YAML by name: Flux's generated kustomization never lists them.
    assert not [f for f in report.findings if f.file.endswith(".example")]
    assert sorted(set(rules(report.findings))) == ["deprecated-api", "image-tag"]


def test_non_manifest_yaml_in_a_generated_path_fails_the_build(tmp_path: Path) -> None:
    root = git_copy(ECS_STYLE, tmp_path / "ecs")
    write(root, {"helm-values/values.yaml": "replicas: 2\nimage: nginx\n"})
    found = only(lint(root).findings, "not-an-object")
    assert [(f.severity, f.file) for f in found] == [("error", "helm-values/values.yaml")]
    assert "Flux's generated kustomization fails" in found[0].message


def test_file_no_set_applies_is_one_info_never_a_duplicate(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "site")
    write(
        root,
        {
            "flux-system/sync.yaml": ks("flux-system", "./clusters/a"),
            "clusters/a/kustomization.yaml": "resources:\n  - cm.yaml\n  - ../../flux-system/sync.yaml\n",
            "clusters/a/cm.yaml": cm("settings"),
            "clusters/a/old/cm-copy.yaml": cm("settings", mode="b"),
        },
    )
    found = [f for f in lint(root).findings if f.rule != "flux-source-outside"]
    assert [(f.rule, f.severity, f.file) for f in found] == [
        ("not-applied", "info", "clusters/a/old/cm-copy.yaml")
    ]


def test_duplicates_within_one_set_are_errors_kustomize_refuses(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "site")
    write(root, {"apps/a.yaml": cm("settings"), "apps/b.yaml": cm("settings", mode="b")})
    found = lint(root).findings
    assert [(f.rule, f.severity, f.file) for f in found] == [("duplicate-object", "error", "apps/b.yaml")]


def test_name_prefix_and_suffix_change_identity(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "site")
    write(
        root,
        {
            "base/kustomization.yaml": "resources:\n  - cm.yaml\n",
            "base/cm.yaml": cm("settings"),
            "blue/kustomization.yaml": "namePrefix: blue-\nresources:\n  - ../base\n",
            "green/kustomization.yaml": "nameSuffix: -green\nresources:\n  - ../base\n",
            "kustomization.yaml": "resources:\n  - blue\n  - green\n",
        },
    )
    report = lint(root)
    assert report.findings == []
    assert report.objects == 2


def test_unknown_kustomization_field_and_missing_patch(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "site")
    write(
        root,
        {
            "kustomization.yaml": (
                "resources:\n  - cm.yaml\nresource:\n  - other.yaml\npatches:\n  - path: fix.yaml\n"
            ),
            "cm.yaml": cm("settings"),
        },
    )
    found = lint(root).findings
    assert [(f.rule, f.severity, f.line) for f in found if f.severity == "error"] == [
        ("kustomization-field", "error", 3),
        ("kustomization-patch", "error", 6),
    ]
    assert "patches are not applied" in only(found, "kustomization-patches")[0].message
