"""The demo site: a newcomer sees a filled Sites page with no setup.

The app ships the demo as data (``resources/demo``: the files of a few commits, a snapshot
template and a box inventory). On first use a small real Git repository is built from it
under ``data_dir()/demo``, its snapshot is stored like a fetched one, and the site is
registered as "demo" if no site has that name. The snapshot says the host applied HEAD~1,
so the demo shows "behind by 1" with a pending change, one VM failing and one running.

Commits carry fixed dates and author, so their ids are the same on every machine.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecs_field import paths, storage
from ecs_field.errors import BadInput
from ecs_field.resources import resource_path
from ecs_field.sites.registry import Registry, Site
from ecs_field.sites.status.snapshot import Snapshot, SnapshotStore, format_time, parse_time, utc_now

log = logging.getLogger(__name__)

DEMO_SITE = "demo"


@dataclass(frozen=True)
class DemoFiles:
    root: Path  # data_dir()/demo
    repo: Path  # the Git repository
    inventory: Path
    branch: str


def demo_dir() -> Path:
    return paths.data_dir() / "demo"


def _plan() -> dict[str, Any]:
    plan_path = resource_path("demo", "plan.yaml")
    try:
        plan = yaml.safe_load(plan_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(f"{plan_path}: the demo plan cannot be read ({exc})", "Reinstall ecs-field.") from None
    if not isinstance(plan, dict) or not isinstance(plan.get("commits"), list) or not plan["commits"]:
        raise BadInput(f"{plan_path}: the demo plan has no commits", "Reinstall ecs-field.")
    return plan


def _git(program: str, building: Path, *args: str, env: dict[str, str] | None = None) -> str:
    import subprocess

    try:
        done = subprocess.run(
            [program, "-C", str(building), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        from ecs_field.sites.repo.gitfind import git_missing

        raise git_missing() from None
    if done.returncode != 0:
        raise BadInput(
            f"building the demo repository: git {args[0]} failed: {done.stderr.strip()[:300]}",
            "Check that Git works (`git --version`), then open the Sites page again.",
        )
    return done.stdout


def build_demo_repo(target: Path) -> list[str]:
    """Create the demo Git repository at ``target`` (must not exist); returns commit ids, oldest first.

    Built in a temporary folder next to the target and renamed into place, so a crash never
    leaves a half-built repository where the app would look for it. Plain git commands rather
    than GitPython: this runs on the app's first start, where importing GitPython alone costs
    more than the whole build. The user's and the system's git configuration are left out (a
    global ``commit.gpgsign`` or hook template must not change or break the demo's commits).
    """
    from ecs_field.sites.status.status_cache import git_program  # the bundled MinGit where there is one

    program = git_program()
    plan = _plan()
    branch = str(plan.get("branch") or "main")
    name, _, email = str(plan.get("author") or "ECS Field Kit demo <demo@ecs-field.invalid>").partition(" <")
    name, email = name.strip(), email.rstrip(">").strip()
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".demo-building-", dir=target.parent))
    shas: list[str] = []
    try:
        _git(program, building, "init", "-q", "-b", branch, env=env)
        for entry in plan["commits"]:
            tree = resource_path("demo", str(entry["tree"]))
            added: list[str] = []
            for source in sorted(tree.rglob("*")):
                if source.is_file():
                    rel = source.relative_to(tree)
                    destination = building / rel
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, destination)
                    added.append(rel.as_posix())
            if added:
                _git(program, building, "add", "--", *added, env=env)
            removed = [str(gone) for gone in entry.get("remove") or []]
            if removed:
                _git(program, building, "rm", "-q", "--cached", "--ignore-unmatch", "--", *removed, env=env)
                for gone in removed:
                    (building / gone).unlink(missing_ok=True)
            when = parse_time(str(entry.get("date") or "")) or dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
            stamp = f"@{int(when.timestamp())} +0000"
            message = str(entry.get("message") or "demo").strip() + "\n"
            _git(
                program,
                building,
                "commit",
                "-q",
                "--allow-empty",
                "--no-verify",
                "--cleanup=verbatim",
                "-m",
                message,
                env={**env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
            )
            shas.append(_git(program, building, "rev-parse", "HEAD", env=env).strip())
        os.replace(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return shas


def render_snapshot(applied_sha: str, now: dt.datetime | None = None) -> Snapshot:
    """The shipped snapshot template with the applied commit and times filled in."""
    plan = _plan()
    template = resource_path("demo", str(plan.get("snapshot") or "snapshot.json")).read_text(encoding="utf-8")
    taken = (now or utc_now()) - dt.timedelta(minutes=10)
    values = {
        "{HEAD~1}": applied_sha,
        "{TAKEN_AT}": format_time(taken),
        "{TAKEN_AT_MINUS_5M}": format_time(taken - dt.timedelta(minutes=5)),
        "{TAKEN_AT_MINUS_4M}": format_time(taken - dt.timedelta(minutes=4)),
        "{TAKEN_AT_MINUS_3M}": format_time(taken - dt.timedelta(minutes=3)),
    }
    for key, value in values.items():
        template = template.replace(key, value)
    return Snapshot.from_dict(json.loads(template))


def ensure_demo_files() -> DemoFiles:
    """Build the demo repository, inventory and first snapshot if they are not there yet."""
    plan = _plan()
    root = demo_dir()
    repo_path = root / "site-repo"
    inventory = root / "inventory.json"
    if not (repo_path / ".git").is_dir():
        # The page's first open, self-test and a `status demo` in another process may all get here
        # at once: one builds, the others find it built.
        with storage.file_lock(repo_path, timeout_s=60.0):
            if not (repo_path / ".git").is_dir():
                if repo_path.exists():  # a half-removed or foreign folder: keep it, build beside it
                    aside = storage.set_aside(repo_path, "not a demo repository")
                    log.warning("demo folder set aside as %s", aside)
                shas = build_demo_repo(repo_path)
                applied = shas[-2] if len(shas) > 1 else shas[-1]
                store = SnapshotStore(DEMO_SITE)
                if store.load().snapshot is None:
                    store.save(render_snapshot(applied))
    if not inventory.exists():
        source = resource_path("demo", str(plan.get("inventory") or "inventory.json"))
        storage.atomic_write_bytes(inventory, source.read_bytes())
    return DemoFiles(root, repo_path, inventory, str(plan.get("branch") or "main"))


def ensure_demo_site() -> Site:
    """The demo files, and the "demo" site in the registry (added only if no site has that name).

    Returns the registry's Site.
    """
    files = ensure_demo_files()
    registry = Registry.load()
    existing = registry.find(DEMO_SITE)
    if existing is not None:
        return existing
    site = Site(
        name=DEMO_SITE,
        repo=str(files.repo),
        branch=files.branch,
        path="./",
        inventory=str(files.inventory),
        notes="Demo site shipped with ECS Field Kit; remove it any time.",
    )
    return registry.add(site)


def reset_demo() -> DemoFiles:
    """Rebuild the demo from scratch (the snapshot's age starts again at ten minutes)."""
    root = demo_dir()
    if root.exists():
        shutil.rmtree(root)
    store = SnapshotStore(DEMO_SITE)
    if store.folder.exists():
        shutil.rmtree(store.folder)
    return ensure_demo_files()
