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


def build_demo_repo(target: Path) -> list[str]:
    """Create the demo Git repository at ``target`` (must not exist); returns commit ids, oldest first.

    Built in a temporary folder next to the target and renamed into place, so a crash never
    leaves a half-built repository where the app would look for it.
    """
    from ecs_field.sites.repo.gitrepo import require_git  # sets GitPython's quiet refresh before `import git`

    require_git()
    import git  # GitPython; already the app's Git layer (repo.py)

    plan = _plan()
    branch = str(plan.get("branch") or "main")
    name, _, email = str(plan.get("author") or "ECS Field Kit demo <demo@ecs-field.invalid>").partition(" <")
    actor = git.Actor(name.strip(), email.rstrip(">").strip())
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".demo-building-", dir=target.parent))
    shas: list[str] = []
    try:
        repo = git.Repo.init(building, initial_branch=branch)
        with repo.config_writer() as config:
            config.set_value("user", "name", actor.name)
            config.set_value("user", "email", actor.email)
        for entry in plan["commits"]:
            tree = resource_path("demo", str(entry["tree"]))
            for source in sorted(tree.rglob("*")):
                if source.is_file():
                    rel = source.relative_to(tree)
                    destination = building / rel
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, destination)
                    repo.index.add([rel.as_posix()])
            for rel in entry.get("remove") or []:
                (building / rel).unlink(missing_ok=True)
                repo.index.remove([str(rel)])
            when = parse_time(str(entry.get("date") or "")) or dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
            commit = repo.index.commit(
                str(entry.get("message") or "demo").strip() + "\n",
                author=actor,
                committer=actor,
                author_date=when,
                commit_date=when,
            )
            shas.append(commit.hexsha)
        repo.close()
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
