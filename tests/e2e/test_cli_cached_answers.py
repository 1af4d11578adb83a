"""cli.main answers a repeat `lint PATH` / `status SITE` from the cache before argparse or YAML load.

Whole processes (the fast path is about what a new process imports): the second run prints the
same bytes and exit code as the first, without argparse or YAML in sys.modules; top-level flags
or an unknown option take the normal path and still give the same answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = (
    "import sys\n"
    "from ecs_field.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "loaded = [m for m in ('argparse', 'yaml', 'git') if m in sys.modules]\n"
    "print('LOADED=' + ','.join(loaded), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def run(args: list[str], home: Path) -> tuple[int, str, str]:
    env = {**os.environ, "ECS_FIELD_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    loaded = next(line for line in done.stderr.splitlines() if line.startswith("LOADED="))
    return done.returncode, done.stdout, loaded.removeprefix("LOADED=")


CONFIGMAP_B = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  k: w\n"


@pytest.fixture
def site_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n")
    (repo / "dup.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: w\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    return repo


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_repeat_lint_is_answered_before_argparse(
    site_repo: Path, tmp_path: Path, json_flag: list[str]
) -> None:
    home = tmp_path / "home"
    first = run(["lint", str(site_repo), *json_flag], home)
    assert first[0] == 1 and "duplicate" in first[1]  # an error finding: exit 1
    assert "yaml" in first[2]  # linted: the manifests were parsed
    second = run(["lint", str(site_repo), *json_flag], home)
    assert second[:2] == first[:2]
    assert second[2] == ""  # neither argparse nor YAML nor GitPython loaded
    # With a top-level flag the normal path runs, and agrees.
    verbose = run(["-v", "lint", str(site_repo), *json_flag], home)
    assert verbose[:2] == first[:2] and "argparse" in verbose[2]


def test_edited_file_is_not_answered_from_the_cache(site_repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(["lint", str(site_repo)], home)[0] == 1
    (site_repo / "dup.yaml").write_text(CONFIGMAP_B)
    code, out, loaded = run(["lint", str(site_repo)], home)
    assert code == 0 and "duplicate" not in out and "yaml" in loaded  # linted again


def test_repeat_status_is_answered_before_argparse(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = run(["status", "demo"], home)
    run(["status", "demo"], home)  # the first run may build the demo site; the second fills the cache
    third = run(["status", "demo"], home)
    fourth = run(["status", "demo", "--json"], home)
    assert third[0] == first[0]
    assert third[1].splitlines()[0].split(" · ")[0] == first[1].splitlines()[0].split(" · ")[0]
    assert "argparse" not in third[2] and "yaml" not in third[2]
    assert fourth[1].lstrip().startswith("{")


def test_every_run_is_logged_once_cached_or_not(site_repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    for _ in range(3):
        run(["lint", str(site_repo)], home)
    for _ in range(3):
        run(["status", "demo"], home)
    lines = (home / "log" / "ecs-field.log").read_text().splitlines()
    invocations = [line for line in lines if " INFO ecs_field.cli: ecs-field " in line]
    assert sum(line.endswith(f": lint {site_repo}") for line in invocations) == 3
    assert sum(line.endswith(": status demo") for line in invocations) == 3


def test_a_full_lint_ended_without_teardown_keeps_its_output_and_code(
    site_repo: Path, tmp_path: Path
) -> None:
    """`python -m ecs_field lint` (cli.run) ends the process right after a full lint's report: the
    whole report, the exit code, the log line and the cache entry are all there."""
    env = {**os.environ, "ECS_FIELD_HOME": str(tmp_path / "home")}
    many = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n" for i in range(300))
    (site_repo / "many.yaml").write_text(many + "---\n" + CONFIGMAP_B.replace("name: b", "name: a"))
    command = [sys.executable, "-m", "ecs_field", "lint", str(site_repo), "--json"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 1, first.stderr
    document = json.loads(first.stdout)  # complete: nothing lost in a buffer
    assert document["counts"]["error"] >= 2
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert (again.returncode, again.stdout) == (1, first.stdout)  # answered from the kept entry
    log = (tmp_path / "home" / "log" / "ecs-field.log").read_text()
    assert log.count(f": lint {site_repo} --json") == 2
