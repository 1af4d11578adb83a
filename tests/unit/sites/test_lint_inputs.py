"""Nothing read outside, nothing that blocks, nothing that crashes: lint on hostile repositories.

Real git repositories and the real CLI (``python -m ecs_field lint``) in a subprocess with a
timeout, so a blocking open (FIFO) or an endless read fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecs_field.errors import BadInput
from ecs_field.sites.lint.linter import lint
from tests.unit.sites.repo_builder import commit_files, make_repo, run_git

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: default\ndata:\n  mode: a\n"


def cli(*args: str, home: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECS_FIELD_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "ecs_field", "lint", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_symlink_out_of_the_repo_is_an_error_and_its_target_is_never_opened(
    tmp_path: Path, home: Path
) -> None:
    root = make_repo(tmp_path / "site")
    commit_files(root, "one", {"apps/cm.yaml": CM.format(name="a")})
    # The target is a FIFO outside the repository: opening it would block, so a finished run
    # proves it was not opened.
    outside = tmp_path / "outside.yaml"
    os.mkfifo(outside)
    (root / "apps" / "passwd.yaml").symlink_to(outside)
    done = cli(str(root), "--json", home=home, timeout=60)
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)["findings"]
    assert [(f["rule"], f["severity"], f["file"]) for f in found] == [
        ("symlink-outside", "error", "apps/passwd.yaml")
    ]
    assert str(outside) in found[0]["message"]


def test_symlink_inside_the_repo_is_read_at_its_target(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "site")
    commit_files(
        root,
        "one",
        {"shared/cm.yaml": CM.format(name="a"), "kustomization.yaml": "resources:\n- apps/cm.yaml\n"},
    )
    (root / "apps").mkdir()
    (root / "apps" / "cm.yaml").symlink_to("../shared/cm.yaml")
    report = lint(root)
    assert [f.rule for f in report.findings] == ["not-applied"]  # shared/cm.yaml itself is not listed
    assert report.objects == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_fifo_and_dev_null_as_path_exit_2_and_a_fifo_inside_is_a_finding(tmp_path: Path, home: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/null"):
        done = cli(path, home=home, timeout=30)
        assert done.returncode == 2, (path, done.stdout, done.stderr)
        assert "not a repository folder; not opened" in done.stderr
    root = make_repo(tmp_path / "site")
    commit_files(root, "one", {"apps/cm.yaml": CM.format(name="a")})
    os.mkfifo(root / "apps" / "stuck.yaml")
    done = cli(str(root), "--json", home=home, timeout=30)
    found = json.loads(done.stdout)["findings"]
    assert ("file-unreadable", "apps/stuck.yaml") in {(f["rule"], f["file"]) for f in found}
    assert done.returncode == 1


def test_bare_repository_is_read_from_its_branch(tmp_path: Path, home: Path) -> None:
    work = make_repo(tmp_path / "work")
    commit_files(work, "one", {"apps/a.yaml": CM.format(name="same"), "apps/b.yaml": CM.format(name="same")})
    bare = tmp_path / "site.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    from_work = lint(work)
    from_bare = lint(bare)
    assert (
        [(f.rule, f.file, f.line) for f in from_bare.findings]
        == [(f.rule, f.file, f.line) for f in from_work.findings]
        == [("duplicate-object", "apps/b.yaml", 1)]
    )
    empty = tmp_path / "empty.git"
    run_git(tmp_path, "init", "-q", "--bare", str(empty))
    with pytest.raises(BadInput, match="has no commit"):
        lint(empty)
    done = cli(str(empty), home=home)
    assert done.returncode == 2 and "bare Git repository" in done.stderr


def test_control_characters_of_file_names_are_escaped_in_text_output(tmp_path: Path, home: Path) -> None:
    root = make_repo(tmp_path / "site")
    name = "apps/evil\x1b[2J\rname\u202e.yaml"
    commit_files(root, "one", {"apps/a.yaml": CM.format(name="same"), name: CM.format(name="same")})
    done = cli(str(root), home=home)
    assert done.returncode == 1
    assert "\x1b" not in done.stdout and "\r" not in done.stdout and "\u202e" not in done.stdout
    assert "apps/evil\\x1b[2J\\x0dname\\u202e.yaml:1: error [duplicate-object]" in done.stdout
    # JSON keeps the real name (JSON escapes it itself).
    found = json.loads(cli(str(root), "--json", home=home).stdout)["findings"]
    assert name in {f["file"] for f in found}


def test_a_4300_digit_number_is_a_finding_not_exit_70(tmp_path: Path, home: Path) -> None:
    digits = "9" * 4400
    hc = (
        "apiVersion: esx.vmware.com/v1alpha1\nkind: HostConfiguration\nmetadata:\n  name: ntp\n"
        "  namespace: esx-system\nspec:\n  profile: |\n"
        '    {"esx": {"system": {"system_time": {"enabled": true, "ntp_config": {"server": '
        f'[{{"hostname": {digits}}}]}}}}}}}}}}\n'
    )
    cls = (
        "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachineClass\nmetadata:\n  name: big\n"
        f"spec:\n  hardware:\n    cpus: 0x{'f' * 4000}\n    memory: {digits}\n"
    )
    root = make_repo(tmp_path / "site")
    commit_files(root, "one", {"host/ntp.yaml": hc, "vms/class.yaml": cls})
    for args in ((), ("--json",)):
        done = cli(str(root), *args, home=home)
        assert done.returncode == 1, done.stderr
        assert "internal error" not in done.stderr
    found = json.loads(done.stdout)["findings"]
    profile = [f for f in found if f["rule"] == "profile-number"]
    assert [(f["file"], f["line"], f["severity"]) for f in profile] == [("host/ntp.yaml", 8, "error")]
    assert "4400 digits" in profile[0]["message"]
    assert all(len(f["message"]) <= 400 for f in found)


def crd(i: int, width: int = 12, depth: int = 4) -> str:
    """A CustomResourceDefinition of ~20 kB with a nested, described schema (like the CRD bundles
    of operators: the 4.5 MB files of the bug report)."""
    lines = [
        "---", "apiVersion: apiextensions.k8s.io/v1", "kind: CustomResourceDefinition", "metadata:",
        f"  name: widgets{i}.example.com", "spec:", "  group: example.com", "  names:",
        f"    kind: Widget{i}", f"    plural: widgets{i}", "  scope: Namespaced", "  versions:",
        "  - name: v1", "    served: true", "    storage: true", "    schema:", "      openAPIV3Schema:",
        "        type: object", "        properties:",
    ]  # fmt: skip

    def props(level: int, indent: int) -> None:
        pad = " " * indent
        for k in range(width if level < depth else 3):
            lines.append(f"{pad}field{k}:")
            lines.append(
                f"{pad}  description: Field {k} at level {level} of widget {i}; what the controller does."
            )
            if level < depth and k < 2:
                lines.extend([f"{pad}  type: object", f"{pad}  properties:"])
                props(level + 1, indent + 4)
            else:
                lines.append(f"{pad}  type: string")

    props(1, 10)
    return "\n".join(lines) + "\n"


def test_twenty_megabytes_of_manifests_lint_in_under_5_seconds(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "site")
    # Five CRD bundles of ~4.4 MB each (the loader's limit is 5 MB per file).
    files = {
        f"crds/bundle-{part}.yaml": "".join(crd(part * 1000 + i) for i in range(245)) for part in range(5)
    }
    commit_files(root, "big", files)
    size = sum(len(t) for t in files.values())
    assert size > 20_000_000
    # CPU time, not wall time: the shared test machine's load must not decide the verdict.
    started = time.process_time()
    report = lint(root)
    elapsed = time.process_time() - started
    assert report.objects == 1225 and report.findings == [], report.findings[:3]
    assert elapsed < 5.0, f"{size / 1e6:.1f} MB took {elapsed:.1f} s of CPU"


def test_cache_answers_the_same_and_sees_every_change(tmp_path: Path, home: Path) -> None:
    root = make_repo(tmp_path / "site")
    commit_files(root, "one", {"apps/a.yaml": CM.format(name="a")})
    first = cli(str(root), "--json", home=home)
    second = cli(str(root), "--json", home=home)
    assert (first.returncode, first.stdout) == (second.returncode, second.stdout) == (0, first.stdout)
    assert list((home / "cache" / "lint").glob("*.out"))
    commit_files(root, "two", {"apps/b.yaml": CM.format(name="a")})
    third = cli(str(root), "--json", home=home)
    assert third.returncode == 1
    assert [f["rule"] for f in json.loads(third.stdout)["findings"]] == ["duplicate-object"]
    (root / "apps" / "b.yaml").write_text(CM.format(name="b"))  # uncommitted edit: same commit
    assert cli(str(root), "--json", home=home).returncode == 0
    text = cli(str(root), home=home)
    assert text.stdout.endswith(
        "0 error(s), 0 warning(s), 0 info in 2 object(s) from 2 file(s); "
        "hardware fit not checked (add --inventory FILE)\n"
    )
