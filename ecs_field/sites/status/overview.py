"""What the Sites page shows, computed without Qt: the overview of all sites and one site's detail.

The overview must be instant for hundreds of sites, so it reads only small cached files: the
head of each snapshot (time, source) and the last computed status summary. The detail runs
git, the manifest loader, the linter and the status comparison; the GUI calls it in a worker.

Git is read without GitPython when the git on PATH is the one the app uses (status.gitread):
GitPython costs ~85 ms to import and more per question, and the app's start (self-test opens the
demo site) must not pay that. GitPython stays for clone/pull and for a bundled MinGit.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_field.errors import BadInput, EcsFieldError
from ecs_field.events import CancelToken, Progress, ProgressCallback, ignore_progress
from ecs_field.sites.status.desired import DesiredRow, rows_from_manifests
from ecs_field.sites.status.fleet import (  # noqa: F401 - the overview's public names live there
    SUMMARY_SCHEMA,
    SiteOverview,
    fleet_counts,
    save_summary,
    site_overview,
    summary_path,
)
from ecs_field.sites.status.snapshot import SnapshotStore
from ecs_field.sites.status.sync import DEFAULT_STALE_AFTER_S, Status, compute_status

log = logging.getLogger(__name__)

DIFF_LIMIT_BYTES = 200_000  # a diff bigger than this is cut: the GUI shows text, not a patch tool


# -- the host network drawing's model ------------------------------------------------------------------
@dataclass(frozen=True)
class PortGroupView:
    name: str
    vlan_id: int | None


@dataclass(frozen=True)
class SwitchView:
    name: str
    port_groups: tuple[PortGroupView, ...]
    uplinks: tuple[str, ...]
    active: tuple[str, ...]
    standby: tuple[str, ...]
    mtu: int | None
    source: str  # "HostConfiguration/esx-system/network (edge-host-config/network.yaml)"


@dataclass(frozen=True)
class NicView:
    name: str  # vmnicN / vusbN
    bus: str
    chip: str
    link: str
    speed_mbps: int | None
    present: bool  # False: named by a switch but not in the site's inventory


@dataclass
class NetworkView:
    switches: list[SwitchView] = field(default_factory=list)
    nics: list[NicView] = field(default_factory=list)
    has_inventory: bool = False
    inventory_note: str = ""

    @property
    def missing(self) -> list[str]:
        return [n.name for n in self.nics if not n.present]


def network_view(manifests: Any, inventory: Any | None, inventory_note: str = "") -> NetworkView:
    view = NetworkView(has_inventory=inventory is not None, inventory_note=inventory_note)
    for host_config in manifests.host_configurations():
        profile = host_config.profile
        if profile is None:
            continue
        for switch in profile.switches:
            view.switches.append(
                SwitchView(
                    name=switch.name,
                    port_groups=tuple(PortGroupView(pg.name, pg.vlan_id) for pg in switch.port_groups),
                    uplinks=tuple(switch.uplinks),
                    active=tuple(switch.effective_active),
                    standby=tuple(switch.standby_nics),
                    mtu=switch.mtu,
                    source=f"{host_config.obj.ref} ({host_config.obj.file})",
                )
            )
    known: dict[str, NicView] = {}
    if inventory is not None:
        for nic in inventory.nics:
            if nic.esxi_name:
                known[nic.esxi_name] = NicView(
                    nic.esxi_name, nic.bus, nic.chip or nic.id, nic.link, nic.speed_mbps, True
                )
    named = [u for s in view.switches for u in s.uplinks]
    for name in dict.fromkeys(named):
        if name not in known:
            bus = "usb" if name.startswith("vusb") else "pci"
            known[name] = NicView(name, bus, "", "unknown", None, inventory is None)
    view.nics = sorted(known.values(), key=_nic_order)
    return view


def _nic_order(nic: NicView) -> tuple[int, int, str]:
    digits = "".join(ch for ch in nic.name if ch.isdigit())
    return (0 if nic.name.startswith("vmnic") else 1, int(digits) if digits else 0, nic.name)


# -- one site's detail -----------------------------------------------------------------------------------
@dataclass
class SiteDetail:
    name: str
    status: dict[str, Any]
    lint: dict[str, Any] | None
    lint_error: str
    diffs: dict[str, str]  # pending commit sha -> diff text against its parent
    network: NetworkView
    repo_path: str
    problems: list[str]
    timings: dict[str, float]


def load_site_detail(
    site: Any,
    *,
    repo_path: Path,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    diff_limit: int = 10,
) -> SiteDetail:
    """Everything the site page shows for ``site`` (a registry Site or anything with name/path/inventory)."""
    from ecs_field.sites.repo.manifests import load_manifests

    cancel = cancel or CancelToken()
    timings: dict[str, float] = {}
    name = str(site.name)
    subpath = getattr(site, "path", None) or None
    started = time.perf_counter()
    progress(Progress("load", 0, 4, message="Reading the snapshot"))
    loaded = SnapshotStore(name).load()
    timings["snapshot"] = time.perf_counter() - started
    cancel.check()
    progress(Progress("load", 1, 4, message="Reading the manifests"))
    mark = time.perf_counter()
    manifests = load_manifests(repo_path, subpath)
    timings["manifests"] = time.perf_counter() - mark
    cancel.check()
    desired = rows_from_manifests(manifests)
    progress(Progress("load", 2, 4, message="Comparing with the host"))
    # The git side (status, then the pending diffs) runs in a thread of its own while this one
    # reads the inventory and lints: it mostly waits on ~7 git processes, time the lint's work
    # fills. The two share no data (the git side gets the desired rows, the lint the manifests).
    git_side = _Background(
        lambda: _status_and_diffs(
            name,
            repo_path,
            loaded,
            subpath=subpath,
            stale_after_s=stale_after_s,
            desired=desired,
            diff_limit=diff_limit,
            cancel=cancel,
        )
    )
    try:
        inventory, inventory_note = _load_inventory(getattr(site, "inventory", None))
        cancel.check()
        progress(Progress("load", 3, 4, message="Checking the manifests"))
        mark = time.perf_counter()
        lint_doc, lint_error = _lint(repo_path, subpath, inventory, manifests)
        timings["lint"] = time.perf_counter() - mark
    except BaseException:
        git_side.join()  # never leave it running: it writes the summary
        raise
    status, diffs, timings["status"] = git_side.result()
    cancel.check()
    progress(Progress("load", 4, 4, message="Done"))
    timings["total"] = time.perf_counter() - started
    return SiteDetail(
        name,
        status.to_dict(),
        lint_doc,
        lint_error,
        diffs,
        network_view(manifests, inventory, inventory_note),
        str(repo_path),
        loaded.problems,
        timings,
    )


def _status_and_diffs(
    name: str,
    repo_path: Path,
    loaded: Any,
    *,
    subpath: str | None,
    stale_after_s: float,
    desired: list[DesiredRow],
    diff_limit: int,
    cancel: CancelToken,
) -> tuple[Status, dict[str, str], float]:
    """The status against the snapshot (saved as the site's summary) and the pending commits' diffs."""
    mark = time.perf_counter()
    repo = open_repo(repo_path)
    status = compute_status(
        name,
        repo,
        loaded.snapshot,
        subpath=subpath,
        stale_after_s=stale_after_s,
        desired=desired,
        snapshot_problems=loaded.problems,
    )
    save_summary(name, status)
    seconds = time.perf_counter() - mark
    diffs: dict[str, str] = {}
    for commit in status.pending[:diff_limit]:
        cancel.check()
        sha = str(commit["commit"])
        try:
            text = _diff(repo, sha) if _has_parent(repo, sha) else ""
        except EcsFieldError as exc:
            text = f"(diff not available: {exc.message})"
        diffs[sha] = text if len(text) <= DIFF_LIMIT_BYTES else text[:DIFF_LIMIT_BYTES] + "\n… (cut)\n"
    return status, diffs, seconds


class _Background(threading.Thread):
    """Runs ``work`` now; ``result()`` waits for it and returns its value or raises its exception."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(name="site-detail-git", daemon=True)
        self._work = work
        self._value: Any = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:  # handed to the caller, raised there
            self._error = exc

    def result(self) -> Any:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


def _has_parent(repo: Any, sha: str) -> bool:
    return repo.resolve(sha + "^") is not None


# -- which Git reader ------------------------------------------------------------------------------------
def git_executable() -> str | None:
    """The git the app runs (PATH, else the MinGit the Windows installer ships), found without
    importing GitPython; None when there is none. Same answer as repo.gitrepo.git_available()."""
    # gitfind points GIT_PYTHON_GIT_EXECUTABLE at a bundled git when PATH has none (no GitPython import)
    from ecs_field.sites.repo import gitfind  # noqa: F401

    return shutil.which(os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git")


def open_repo(repo_path: Path) -> Any:
    """A reader for status.sync.compute_status and the pending diffs.

    status.gitread.GitReader (plain ``git`` processes, no GitPython) when the app's git is the
    one on PATH, which is what GitReader runs; else (a bundled MinGit, or GIT_PYTHON_GIT_EXECUTABLE
    naming another git) repo.gitrepo.SiteRepo, which runs that git through GitPython.
    """
    if not os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") and shutil.which("git"):
        from ecs_field.sites.status.gitread import GitReader

        return GitReader(repo_path)
    from ecs_field.sites.repo.gitrepo import SiteRepo

    return SiteRepo(repo_path)


def _diff(repo: Any, sha: str) -> str:
    """The change ``sha`` made (against its first parent), as ``git diff`` prints it."""
    if hasattr(repo, "diff"):  # repo.gitrepo.SiteRepo
        return str(repo.diff(sha + "^", sha))
    # GitReader has no diff question (yet): one ``git diff`` with the same options SiteRepo uses.
    # Read-only and lock-free like GitReader (GIT_OPTIONAL_LOCKS=0); the sha came from git log.
    if not sha or sha.startswith("-"):
        raise BadInput(f"{sha!r} is not a revision")
    try:
        done = subprocess.run(
            ["git", "-C", str(repo.path), "diff", "--no-color", "--no-ext-diff", sha + "^", sha, "--"],
            capture_output=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise BadInput(f"git could not run ({exc})") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BadInput(f"git diff failed: {lines[-1] if lines else f'exit {done.returncode}'}")
    return done.stdout.decode("utf-8", "replace")


def _load_inventory(value: Any) -> tuple[Any | None, str]:
    if not value:
        return None, "No inventory for this site: NICs cannot be checked against the box."
    if isinstance(value, dict):  # embedded from the Hardware page
        from ecs_field.hardware.inventory import Inventory

        try:
            return Inventory.from_dict(value), "NICs from the inventory saved with the site"
        except (ValueError, TypeError) as exc:
            return None, f"The inventory saved with the site is not usable: {exc}"
    path = Path(str(value))
    try:
        from ecs_field.compat.boxes import load_box

        return load_box([path]), f"NICs from {path.name}"
    except EcsFieldError as exc:
        return None, f"Inventory {path.name} not usable: {exc.message}"
    except OSError as exc:
        return None, f"Inventory {path.name} not readable: {exc.strerror}"


def _lint(
    root: Path, subpath: str | None, inventory: Any, manifests: Any
) -> tuple[dict[str, Any] | None, str]:
    from ecs_field.sites.lint.linter import lint

    try:
        report = lint(root, subpath=subpath, inventory=inventory, manifests=manifests)
    except EcsFieldError as exc:
        return None, exc.message
    return report.to_dict(), ""
