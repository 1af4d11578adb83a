"""Lint's kustomize model against the real `kustomize build` (issue 9, section 1: "compare each
decision with what kustomize build would do").

kustomize is run as `kustomize build DIR` or, where only kubectl is installed, `kubectl kustomize
DIR` (kubectl embeds kustomize; v5 here). Both run offline on local folders. For every folder with a
kustomization file, in the repository fixtures and in layouts built below, the set of objects
lint's builder says the folder applies (kind, namespace, name after `namespace`/`namePrefix`/
`nameSuffix`) must equal what kustomize prints; where kustomize refuses a folder (a duplicate
object, a missing resource, a cycle), lint must report an error for it. The known differences
(generator hash suffixes: lint checks generated ConfigMaps/Secrets under their written names;
patches are not applied) are asserted as such, so a change in either side shows up here. The
README's "Where lint is not kustomize" lists the same cases.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ecs_field.sites.lint.kustomize import Builder
from ecs_field.sites.lint.linter import lint
from ecs_field.sites.lint.rules.known import CLUSTER_SCOPED_KINDS
from ecs_field.sites.lint.tree import open_tree
from ecs_field.sites.repo.manifests import parse_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sites"


def _kustomize_command() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


KUSTOMIZE = _kustomize_command()
pytestmark = pytest.mark.skipif(KUSTOMIZE is None, reason="neither kustomize nor kubectl is installed")

Identity = tuple[str, str, str]  # kind, namespace ("" when none), name


def kustomize_build(folder: Path) -> tuple[set[Identity] | None, str]:
    """The objects `kustomize build` makes of ``folder``, or None and its error."""
    assert KUSTOMIZE is not None
    done = subprocess.run([*KUSTOMIZE, str(folder)], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        return None, done.stderr
    out: set[Identity] = set()
    for doc in yaml.safe_load_all(done.stdout):
        if isinstance(doc, dict):
            meta = doc.get("metadata") or {}
            out.add((doc["kind"], meta.get("namespace") or "", meta["name"]))
    return out, ""


def lint_build(root: Path, folder: str) -> set[Identity]:
    tree = open_tree(root)
    built = Builder(tree, lambda rel: parse_file(rel, tree.read(rel))).build(folder, generate=False)
    return {
        (o.kind, "" if o.kind in CLUSTER_SCOPED_KINDS else (o.namespace or ""), o.name) for o in built.objects
    }


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{ns}data:\n  k: v\n"


def cm(name: str, namespace: str = "") -> str:
    return CM.format(name=name, ns=f"  namespace: {namespace}\n" if namespace else "")


NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
CLUSTER_ROLE = (
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\nrules: []\n"
)
CRD = (
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
    "metadata:\n  name: widgets.example.com\n"
    "spec:\n  group: example.com\n"
    "  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}\n"
    "  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n"
    "    schema: {openAPIV3Schema: {type: object}}\n"
)
DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
    "spec:\n  selector: {{matchLabels: {{app: a}}}}\n"
    "  template:\n    metadata: {{labels: {{app: a}}}}\n    spec:\n      containers:\n      - name: a\n"
    "        image: nginx:1.27\n"
)

# Layouts whose objects lint and kustomize must agree on exactly.
AGREE: dict[str, dict[str, str]] = {
    "namespace-prefix-suffix": {
        "kustomization.yaml": "namespace: edge\nnamePrefix: site-\nnameSuffix: -a\n"
        "resources: [ns.yaml, cr.yaml, crd.yaml, cms.yaml]\n",
        "ns.yaml": NAMESPACE.format(name="edge"),
        "cr.yaml": CLUSTER_ROLE.format(name="reader"),
        "crd.yaml": CRD,
        "cms.yaml": cm("one") + "---\n" + cm("two", "other"),
    },
    "nested-bases-and-folders": {
        "overlay/kustomization.yaml": (
            "namespace: prod\nnamePrefix: p-\nresources:\n- ../base\n- extra.yaml\n"
        ),
        "overlay/extra.yaml": cm("extra"),
        "base/kustomization.yaml": "namePrefix: b-\nresources:\n- app\n- cm.yaml\n",
        "base/cm.yaml": cm("settings", "kept"),
        "base/app/kustomization.yaml": "resources: [deploy.yaml]\n",
        "base/app/deploy.yaml": DEPLOY.format(name="web"),
    },
    "components-and-kustomization-name-variants": {
        "kustomization.yml": "resources: [cm.yaml]\ncomponents: [../comp]\n",
        "cm.yaml": cm("base"),
        "../comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "resources: [extra.yaml]\n",
        "../comp/extra.yaml": cm("from-component"),
    },
    "list-kind-expanded": {
        "kustomization.yaml": "resources: [list.yaml]\n",
        "list.yaml": "apiVersion: v1\nkind: List\nitems:\n- "
        + cm("a").replace("\n", "\n  ").rstrip()
        + "\n- "
        + cm("b").replace("\n", "\n  ").rstrip()
        + "\n",
    },
    "patch-keeps-identity": {
        "kustomization.yaml": "resources: [deploy.yaml]\npatches:\n- path: patch.yaml\n",
        "deploy.yaml": DEPLOY.format(name="web"),
        "patch.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    },
}


def _layout(tmp_path: Path, files: dict[str, str]) -> tuple[Path, str]:
    """Write ``files`` under tmp/repo/site (``../`` names land beside it); return (repo root, site folder)."""
    root = tmp_path / "repo"
    site = root / "site"
    site.mkdir(parents=True)
    for rel, text in files.items():
        path = (site / rel).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root, "site"


def built_folders(root: Path) -> list[str]:
    """Every folder under ``root`` with a kustomization file, except Components (built through a user)."""
    out = []
    for path in sorted(root.rglob("*")):
        is_kustomization = path.name in ("kustomization.yaml", "kustomization.yml", "Kustomization")
        if is_kustomization and "kind: Component" not in path.read_text():
            out.append("" if path.parent == root else str(path.parent.relative_to(root)))
    return out


@pytest.mark.parametrize("case", sorted(AGREE))
def test_lint_builds_the_objects_kustomize_builds(case: str, tmp_path: Path) -> None:
    root, _ = _layout(tmp_path, AGREE[case])
    folders = built_folders(root)
    assert folders
    for folder in folders:
        expected, error = kustomize_build(root / folder)
        assert expected is not None, f"kustomize refused {case}/{folder}: {error}"
        assert lint_build(root, folder) == expected, f"{case}/{folder}"


@pytest.mark.parametrize("repo", ["flux-bootstrap", "ecs-example-style"])
def test_fixture_repositories_agree_with_kustomize(repo: str, tmp_path: Path) -> None:
    root = tmp_path / repo
    shutil.copytree(FIXTURES / repo, root)
    compared = 0
    for folder in built_folders(root):
        expected, error = kustomize_build(root / folder)
        if expected is None:
            # kustomize refuses it: lint must say why at that folder.
            report = lint(root, folder)
            assert report.has_errors, f"{repo}/{folder}: kustomize failed ({error}) but lint found no error"
            continue
        assert lint_build(root, folder) == expected, f"{repo}/{folder}"
        compared += 1
    assert compared >= 1 or not built_folders(root)


# Layouts kustomize refuses: lint must report an error with the rule named.
REFUSED: dict[str, tuple[dict[str, str], str]] = {
    "duplicate-object": (
        {"kustomization.yaml": "resources: [a.yaml, b.yaml]\n", "a.yaml": cm("same"), "b.yaml": cm("same")},
        "duplicate-object",
    ),
    "missing-resource": (
        {"kustomization.yaml": "resources:\n- a.yaml\n- gone.yaml\n", "a.yaml": cm("a")},
        "kustomization-resource",
    ),
    "cycle": (
        {
            "kustomization.yaml": "resources: [../other]\n",
            "../other/kustomization.yaml": "resources: [../site]\n",
        },
        "kustomization-cycle",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_lint_errors_where_kustomize_refuses(case: str, tmp_path: Path) -> None:
    files, rule = REFUSED[case]
    root, folder = _layout(tmp_path, files)
    expected, error = kustomize_build(root / folder)
    assert expected is None and error, f"kustomize accepted {case}"
    report = lint(root, folder)
    rules = {f.rule for f in report.findings if f.severity == "error"}
    assert rule in rules, f"{case}: lint errors {sorted(rules)}; kustomize said {error.strip()[:200]}"


def test_generated_configmap_differs_only_by_kustomizes_hash_suffix(tmp_path: Path) -> None:
    """Known difference: kustomize names a generated ConfigMap ``NAME-<hash>``; lint checks it as ``NAME``."""
    root, folder = _layout(
        tmp_path,
        {
            "kustomization.yaml": "namespace: edge\nresources: [cm.yaml]\n"
            "configMapGenerator:\n- name: settings\n  literals: [MODE=edge]\n",
            "cm.yaml": cm("plain"),
        },
    )
    expected, error = kustomize_build(root / folder)
    assert expected is not None, error
    ours = lint_build(root, folder)
    hashed = {i for i in expected if re.fullmatch(r"settings-[a-z0-9]{10}", i[2])}
    assert len(hashed) == 1  # kustomize appends its content hash
    assert expected - hashed == ours - {("ConfigMap", "edge", "settings")}
    assert ("ConfigMap", "edge", "settings") in ours
