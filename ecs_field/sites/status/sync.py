"""Sync and workload status of a site: the local clone against what the host reports.

Two independent questions, like Argo CD's sync status vs health:

* **sync** compares the commit the host applied (Flux ``lastAppliedRevision``) with the local
  branch HEAD. Directions are seen from the host, against the local clone:

  - ``in-sync``: the host applied exactly HEAD.
  - ``behind``: the applied commit is an ancestor of HEAD; ``commits_behind`` commits of the
    local branch are not applied yet (``pending``, with the files they change).
  - ``ahead``: HEAD is an ancestor of the applied commit, which exists locally (e.g. in
    ``origin/main`` after a fetch): the host applied something newer than the local branch.
    Pull to review what runs.
  - ``diverged``: both exist locally, neither is an ancestor (force-push, other branch).
  - ``failed``: the Kustomization (or its GitRepository) is Stalled or Ready=False with a
    failure reason; the message says why. The commit comparison is still filled in.
  - ``suspended``: ``spec.suspend`` on the Kustomization: the host will not apply anything.
  - ``unknown``: no snapshot, no Kustomization in it, or the applied commit is not in the local
    clone at all (so we cannot tell which of the above; pulling usually resolves it).

* **workloads** compare the objects declared in the repository (desired) with those in the
  snapshot (observed), each with a health word from health.py, plus "missing" (declared, not on
  the host) and "unknown" (on the host, not declared; or a kind the snapshot did not list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from ecs_field.errors import BadInput
from ecs_field.sites.status import health as H
from ecs_field.sites.status.desired import DesiredRow, desired_rows, rows_from_manifests
from ecs_field.sites.status.revision import Revision, parse_revision
from ecs_field.sites.status.snapshot import (
    GitOpsWord,
    Snapshot,
    future_by_s,
    gitops_words,
    human_age,
    parse_time,
    utc_now,
)

if TYPE_CHECKING:  # only a type here: status must not pay for the manifest loader's imports
    from ecs_field.sites.repo.manifests import ManifestSet

DEFAULT_STALE_AFTER_S = 3600.0
PENDING_LIMIT = 50  # commits listed in full; commits_behind stays exact
SYNC_WORDS = ("in-sync", "behind", "ahead", "diverged", "failed", "suspended", "unknown")
# The site's health, as in `sites list` (Argo CD's Healthy/Degraded/Progressing/Unknown).
HEALTH_WORDS = ("healthy", "degraded", "progressing", "unknown")
EVENT_ROWS = 30

# Kinds compared as workloads. Flux objects have their own section; Events are not desired state.
NOT_WORKLOADS = frozenset({"Event", "GitRepository", "Kustomization"})
# Kinds reported as "extra" when they run on the host without being declared. Namespaces and
# the like are left out: a host has many the repository never declares.
EXTRA_KINDS = frozenset({"VirtualMachine", "VirtualMachineClass", "HostConfiguration"})
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "VirtualMachineClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PersistentVolume",
    }
)


# -- the repository, as far as status needs it (implemented by repo.SiteRepo) ---------------------
class CommitLike(Protocol):
    @property
    def sha(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def files(self) -> Sequence[str]: ...


class RepoLike(Protocol):
    @property
    def path(self) -> Any: ...
    @property
    def branch(self) -> str | None: ...
    def head(self) -> Any: ...
    def is_dirty(self) -> bool: ...
    def ahead_behind(self) -> tuple[int, int] | None: ...
    def resolve(self, rev: str) -> str | None: ...
    def is_ancestor(self, ancestor: str, descendant: str) -> bool: ...
    def count_between(self, old: str, new: str) -> int: ...
    def commits_between(self, old: str, new: str, limit: int | None = None) -> Sequence[Any]: ...


# -- revisions: in revision.py (light, the status renderer imports it) ---------------------------


# -- the status document ----------------------------------------------------------------------------
@dataclass
class Workload:
    kind: str
    namespace: str
    name: str
    desired: str
    observed: str
    health: str
    message: str = ""
    file: str = ""
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "desired": self.desired,
            "observed": self.observed,
            "health": self.health,
            "message": self.message,
            "file": self.file,
            "line": self.line,
        }


@dataclass
class Status:
    site: str
    repo_path: str
    branch: str | None
    head: str | None
    head_time: str | None
    dirty: bool
    ahead: int | None
    behind: int | None
    applied_revision: str | None
    sync: str
    sync_message: str
    commits_behind: int
    commits_ahead: int = 0
    pending: list[dict[str, Any]] = field(default_factory=list)
    snapshot_taken_at: str | None = None
    snapshot_age_s: float | None = None
    snapshot_stale: bool = True
    snapshot_source: str | None = None
    snapshot_problems: list[str] = field(default_factory=list)
    snapshot_notes: list[str] = field(default_factory=list)
    kustomizations: list[dict[str, Any]] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    gitops: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    applied: dict[str, Any] | None = None  # {commit, subject, author, time} from the local clone
    last_applied: dict[str, Any] | None = None  # {time, revision, message, source}
    last_failed: dict[str, Any] | None = None  # {time, reason, message, object, source}
    snapshot_future_s: float | None = None  # dated this far in the future: a clock is wrong

    @property
    def health(self) -> str:
        """The site's health word: degraded (something failed or is missing), progressing, healthy."""
        if self.snapshot_taken_at is None:
            return "unknown"
        counts = self.counts()
        if counts[H.FAILED] or counts[H.MISSING] or self.sync == "failed":
            return "degraded"
        if any(k.get("health") == H.FAILED for k in self.kustomizations):
            return "degraded"
        if counts[H.IN_PROGRESS] or any(k.get("health") == H.IN_PROGRESS for k in self.kustomizations):
            return "progressing"
        if not self.workloads and not self.kustomizations:
            return "unknown"
        return "healthy"

    def last_error(self) -> str:
        """The first thing a technician should fix, in one message ("" when nothing failed)."""
        if self.sync == "failed":
            return self.sync_message
        for workload in self.workloads:
            if workload.health == H.FAILED:
                where = f"{workload.namespace}/{workload.name}" if workload.namespace else workload.name
                return f"{workload.kind} {where}: {workload.message or 'failed'}"
        for kustomization in self.kustomizations:
            if kustomization.get("health") == H.FAILED:
                return f"Kustomization {kustomization['name']}: {kustomization.get('message') or 'failed'}"
        if self.last_failed and self.last_failed.get("message"):
            return str(self.last_failed["message"])
        return ""

    def counts(self) -> dict[str, int]:
        out = {word: 0 for word in (H.CURRENT, H.IN_PROGRESS, H.FAILED, H.MISSING, H.UNKNOWN)}
        for workload in self.workloads:
            out[workload.health] = out.get(workload.health, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "repo": {
                "path": self.repo_path,
                "branch": self.branch,
                "head": self.head,
                "head_time": self.head_time,
                "dirty": self.dirty,
                "ahead": self.ahead,
                "behind": self.behind,
            },
            "applied_revision": self.applied_revision,
            "sync": self.sync,
            "sync_message": self.sync_message,
            "commits_behind": self.commits_behind,
            "commits_ahead": self.commits_ahead,
            "pending": self.pending,
            "health": self.health,
            "applied": self.applied,
            "last_applied": self.last_applied,
            "last_failed": self.last_failed,
            "last_error": self.last_error(),
            "snapshot": {
                "taken_at": self.snapshot_taken_at,
                "age_s": self.snapshot_age_s,
                "stale": self.snapshot_stale,
                "source": self.snapshot_source,
                "future": self.snapshot_future_s is not None,
                "future_s": self.snapshot_future_s,
                "problems": self.snapshot_problems,
                "notes": self.snapshot_notes,
            },
            "kustomizations": self.kustomizations,
            "workloads": [w.to_dict() for w in self.workloads],
            "counts": self.counts(),
            "gitops": self.gitops,
            "events": self.events,
        }


# -- computing it -----------------------------------------------------------------------------------
def compute_status(
    site_name: str,
    repo: RepoLike,
    snapshot: Snapshot | None,
    *,
    subpath: str | None = None,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    manifests: ManifestSet | None = None,
    snapshot_problems: Sequence[str] = (),
    now: dt.datetime | None = None,
    desired: Sequence[DesiredRow] | None = None,
) -> Status:
    now = now or utc_now()
    read_ahead = getattr(repo, "read_ahead", None)  # status.gitread: HEAD and the applied commit at once
    if read_ahead is not None and snapshot is not None:
        main = _main_kustomization(snapshot.kustomizations, subpath)
        revision = parse_revision(((main or {}).get("status") or {}).get("lastAppliedRevision"))
        if revision is not None and revision.sha:
            read_ahead(revision.sha)
    try:
        head: Any = repo.head()
    except BadInput:  # a repository without commits: nothing to compare, still show the snapshot
        head = None
    head_sha = _attr(head, "sha")
    head_time = _iso(_attr(head, "time", "committed_time", "authored_time", "date"))
    ahead_behind = _safe_ahead_behind(repo)
    status = Status(
        site=site_name,
        repo_path=str(repo.path),
        branch=repo.branch,
        head=head_sha,
        head_time=head_time,
        dirty=bool(repo.is_dirty()),
        ahead=ahead_behind[0] if ahead_behind else None,
        behind=ahead_behind[1] if ahead_behind else None,
        applied_revision=None,
        sync="unknown",
        sync_message="",
        commits_behind=0,
        snapshot_problems=list(snapshot_problems),
    )
    if snapshot is not None:
        status.snapshot_taken_at = snapshot.taken_at
        status.snapshot_source = snapshot.source
        age = snapshot.age_s(now)
        status.snapshot_age_s = round(age, 1) if age is not None else None
        status.snapshot_stale = age is None or age > stale_after_s
        status.snapshot_notes = list(snapshot.notes)
        status.gitops = [
            {"word": w.word, "object": w.object, "where": w.where} for w in snapshot.gitops_words()
        ]
        status.events = event_rows(snapshot.events)
        ahead = future_by_s(snapshot, now)
        if ahead is not None:
            # Its age cannot be known; treat it as stale so nobody trusts it as fresh.
            status.snapshot_future_s = round(ahead, 1)
            status.snapshot_stale = True
            status.snapshot_problems.append(
                f"the snapshot is dated {snapshot.taken_at}, {human_age(ahead)} in the future: "
                "the laptop's or the host's clock is wrong, so its age is unknown"
            )
    if desired is None and manifests is not None:
        desired = rows_from_manifests(manifests)
    if desired is None:
        # Cached per commit only when the reader vouches that the files on disk are exactly the
        # commit's (no uncommitted change, no untracked manifest); other readers are not cached.
        same = getattr(repo, "files_are_head", None)
        clean = bool(same()) if same is not None else False
        desired = desired_rows(repo.path, subpath, commit=head_sha if clean and head_sha else None)
    _sync(status, repo, snapshot, head_sha, subpath)
    status.workloads = _workloads(desired, snapshot, status.pending)
    return status


def _sync(
    status: Status, repo: RepoLike, snapshot: Snapshot | None, head_sha: str | None, subpath: str | None
) -> None:
    if snapshot is None:
        status.sync_message = "No snapshot yet: fetch one from the host or import kubectl output."
        return
    status.kustomizations = [_kustomization_row(k) for k in snapshot.kustomizations]
    main = _main_kustomization(snapshot.kustomizations, subpath)
    if main is None:
        status.sync_message = "The snapshot has no Flux Kustomization; cannot tell what the host applied."
        return
    k_status = main.get("status") or {}
    applied = parse_revision(k_status.get("lastAppliedRevision"))
    status.applied_revision = applied.raw if applied else None
    status.applied = _applied_commit(repo, applied)
    status.last_applied, status.last_failed = _apply_times(main, snapshot)
    relation, message = _relation(status, repo, applied, head_sha)
    status.sync, status.sync_message = relation, message
    if (main.get("spec") or {}).get("suspend") is True:
        status.sync = "suspended"
        status.sync_message = (
            f"Kustomization {_name(main)} is suspended: the host applies nothing. " + message
        )
        return
    failure = _failure(main, snapshot)
    if failure:
        status.sync = "failed"
        status.sync_message = failure + (f" ({message})" if message else "")


def _relation(
    status: Status, repo: RepoLike, applied: Revision | None, head_sha: str | None
) -> tuple[str, str]:
    if applied is None or not applied.sha:
        return "unknown", "The host has not reported an applied commit yet."
    short = applied.sha[:8]
    if head_sha is None:
        return "unknown", "The local repository has no commits."
    counts = _counts(repo, applied.sha, head_sha)
    if counts is None:
        return "unknown", (
            f"The applied commit {short} is not in the local clone. Pull the site repository "
            "(the host may be ahead of it)."
        )
    full, ahead, behind = counts
    ref_note = ""
    if applied.ref and repo.branch and _short_ref(applied.ref) != repo.branch:
        ref_note = f" The host follows {_short_ref(applied.ref)}; the local branch is {repo.branch}."
    if ahead == 0 and behind == 0:
        return "in-sync", f"The host applied {short}, the local HEAD.{ref_note}"
    if ahead == 0:
        status.commits_behind = behind
        commits = repo.commits_between(full, head_sha, limit=PENDING_LIMIT)
        status.pending = [
            {
                "commit": _attr(c, "sha"),
                "subject": _attr(c, "subject", "summary") or "",
                "files": list(_attr(c, "files") or []),
            }
            for c in commits
        ]
        what = (
            "1 commit of the local branch is" if behind == 1 else f"{behind} commits of the local branch are"
        )
        return "behind", f"The host applied {short}; {what} not applied yet.{ref_note}"
    if behind == 0:
        status.commits_ahead = ahead
        return "ahead", (
            f"The host applied {short}, {status.commits_ahead} commit(s) newer than the local "
            f"branch. Pull to see what runs.{ref_note}"
        )
    # Both sides have commits the other lacks: count each, so the technician sees how far apart.
    status.commits_ahead, status.commits_behind = ahead, behind
    return "diverged", (
        f"The host applied {short}, which is neither before nor after the local HEAD "
        f"(force-push or another branch): the host has {status.commits_ahead} commit(s) the local "
        f"branch lacks, the local branch {status.commits_behind} the host lacks.{ref_note}"
    )


def _counts(repo: RepoLike, applied: str, head: str) -> tuple[str, int, int] | None:
    """(applied commit, commits only the host has, commits only the local branch has); None when
    the applied commit is not in the clone. One `git rev-list --left-right --count` when the
    repository reader offers it (status.gitread), else the generic questions."""
    left_right = getattr(repo, "left_right", None)
    if left_right is not None:
        found = left_right(applied, head)
        return None if found is None else (applied, found[0], found[1])
    full = repo.resolve(applied)
    if full is None:
        return None
    if full == head:
        return full, 0, 0
    return full, repo.count_between(head, full), repo.count_between(full, head)


def _failure(kustomization: dict[str, Any], snapshot: Snapshot) -> str:
    k_health = H.object_health(kustomization)
    if k_health.status == H.FAILED:
        status = kustomization.get("status") or {}
        attempted = parse_revision(status.get("lastAttemptedRevision"))
        what = f" applying {attempted.sha[:8]}" if attempted and attempted.sha else ""
        return f"Kustomization {_name(kustomization)} failed{what}: {k_health.message}"
    source = (kustomization.get("spec") or {}).get("sourceRef") or {}
    if source.get("kind", "GitRepository") == "GitRepository" and source.get("name"):
        namespace = source.get("namespace") or (kustomization.get("metadata") or {}).get("namespace") or ""
        repository = snapshot.find("GitRepository", str(source["name"]), str(namespace))
        if repository is not None:
            r_health = H.object_health(repository)
            if r_health.status == H.FAILED:
                return f"GitRepository {_name(repository)} cannot fetch: {r_health.message}"
    return ""


def _main_kustomization(kustomizations: list[dict[str, Any]], subpath: str | None) -> dict[str, Any] | None:
    """The Kustomization that applies this site: the one for ``subpath``, else flux-system, else the first."""
    if not kustomizations:
        return None
    if subpath:
        want = _norm_path(subpath)
        for item in kustomizations:
            if _norm_path(str((item.get("spec") or {}).get("path") or "")) == want:
                return item
    for item in kustomizations:
        if (item.get("metadata") or {}).get("name") == "flux-system":
            return item
    with_revision = [k for k in kustomizations if (k.get("status") or {}).get("lastAppliedRevision")]
    return (with_revision or kustomizations)[0]


def _norm_path(path: str) -> str:
    parts = [p for p in PurePosixPath(path.replace("\\", "/")).parts if p not in (".", "/")]
    return "/".join(parts)


def _kustomization_row(item: dict[str, Any]) -> dict[str, Any]:
    status = item.get("status") or {}
    ready = H.conditions_of(item).get("Ready") or {}
    ready_value = {"True": True, "False": False}.get(str(ready.get("status")))
    health = H.object_health(item)
    return {
        "name": _name(item, with_namespace=False),
        "namespace": (item.get("metadata") or {}).get("namespace") or "",
        "ready": ready_value,
        "reason": str(ready.get("reason") or ""),
        "message": str(ready.get("message") or ""),
        "revision": status.get("lastAppliedRevision"),
        "attempted_revision": status.get("lastAttemptedRevision"),
        "suspended": (item.get("spec") or {}).get("suspend") is True,
        "path": (item.get("spec") or {}).get("path") or "",
        "health": health.status,
    }


def _event_time(event: dict[str, Any]) -> str:
    series = event.get("series") if isinstance(event.get("series"), dict) else {}
    assert isinstance(series, dict)
    return str(
        event.get("lastTimestamp")
        or series.get("lastObservedTime")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )


def _event_count(event: dict[str, Any]) -> int:
    series = event.get("series") if isinstance(event.get("series"), dict) else {}
    assert isinstance(series, dict)
    for value in (event.get("count"), series.get("count")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 1


def event_rows(events: Sequence[dict[str, Any]], limit: int = EVENT_ROWS) -> list[dict[str, Any]]:
    """Events newest first, the same (type, reason, object, message) folded into one row with the
    summed count, like `kubectl events` shows "x5"."""
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for event in events:
        involved = event.get("involvedObject") if isinstance(event.get("involvedObject"), dict) else {}
        assert isinstance(involved, dict)
        namespace = str(involved.get("namespace") or "")
        target = (
            f"{involved.get('kind', '')}/{namespace + '/' if namespace else ''}{involved.get('name', '')}"
        )
        key = (
            str(event.get("type") or ""),
            str(event.get("reason") or ""),
            target,
            str(event.get("message") or ""),
        )
        when = _event_time(event)
        row = rows.get(key)
        if row is None:
            rows[key] = {
                "time": when,
                "first_time": str(event.get("firstTimestamp") or when),
                "type": key[0],
                "reason": key[1],
                "object": target,
                "message": key[3],
                "count": _event_count(event),
            }
        else:
            row["count"] += _event_count(event)
            row["time"] = max(row["time"], when)
            if when and (not row["first_time"] or when < row["first_time"]):
                row["first_time"] = when
    return sorted(rows.values(), key=lambda r: r["time"], reverse=True)[:limit]


def _applied_commit(repo: RepoLike, applied: Revision | None) -> dict[str, Any] | None:
    """The applied commit's subject, author and time, read from the local clone."""
    if applied is None or not applied.sha:
        return None
    info: dict[str, Any] = {"commit": applied.sha, "subject": None, "author": None, "time": None}
    reader = getattr(repo, "commit", None)
    if reader is None:
        return info
    try:
        commit = reader(applied.sha)
    except BadInput:  # not in the clone: only the id is known until the site is pulled
        return info
    info.update(
        commit=_attr(commit, "sha") or applied.sha,
        subject=_attr(commit, "subject", "summary"),
        author=_attr(commit, "author"),
        time=_iso(_attr(commit, "time", "committed_time", "authored_time", "date")),
    )
    return info


_SUCCESS_REASONS = frozenset({"ReconciliationSucceeded", "Succeeded"})


def _apply_times(
    kustomization: dict[str, Any], snapshot: Snapshot
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """When the host last applied, and last failed: from the Kustomization's history (Flux v1),
    its Ready condition, and the Events about it (the newest of each wins)."""
    status = kustomization.get("status") or {}
    meta = kustomization.get("metadata") or {}
    name = str(meta.get("name") or "")
    applied: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for entry in status.get("history") or []:
        if not isinstance(entry, dict):
            continue
        when = str(entry.get("lastReconciled") or "")
        revision = (
            str((entry.get("metadata") or {}).get("revision") or "")
            if isinstance(entry.get("metadata"), dict)
            else ""
        )
        outcome = str(entry.get("lastReconciledStatus") or "")
        if not when:
            continue
        if outcome in _SUCCESS_REASONS:
            applied.append({"time": when, "revision": revision, "message": outcome, "source": "history"})
        elif outcome:
            failed.append(
                {"time": when, "reason": outcome, "message": outcome, "object": name, "source": "history"}
            )
    ready = H.conditions_of(kustomization).get("Ready")
    if ready is not None and ready.get("lastTransitionTime"):
        when = str(ready["lastTransitionTime"])
        if ready.get("status") == "True":
            applied.append(
                {
                    "time": when,
                    "revision": str(status.get("lastAppliedRevision") or ""),
                    "message": str(ready.get("message") or ""),
                    "source": "condition",
                }
            )
        elif H.object_health(kustomization).status == H.FAILED:
            failed.append(
                {
                    "time": when,
                    "reason": str(ready.get("reason") or ""),
                    "message": str(ready.get("message") or ""),
                    "object": name,
                    "source": "condition",
                }
            )
    for event in snapshot.events:
        involved = event.get("involvedObject") if isinstance(event.get("involvedObject"), dict) else {}
        assert isinstance(involved, dict)
        if involved.get("kind") not in ("Kustomization", "GitRepository"):
            continue
        when = _event_time(event)
        reason = str(event.get("reason") or "")
        message = str(event.get("message") or "")
        if not when:
            continue
        if event.get("type") == "Warning" or reason.endswith("Failed"):
            failed.append(
                {
                    "time": when,
                    "reason": reason,
                    "message": message,
                    "object": f"{involved.get('kind')}/{involved.get('name', '')}",
                    "source": "event",
                }
            )
        elif (
            involved.get("kind") == "Kustomization"
            and involved.get("name") == name
            and (
                reason in _SUCCESS_REASONS
                or message.startswith(("Applied revision", "Reconciliation finished"))
            )
        ):
            applied.append({"time": when, "revision": "", "message": message, "source": "event"})
    return _newest(applied), _newest(failed)


def _newest(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    dated: list[tuple[dt.datetime, dict[str, Any]]] = []
    for entry in entries:
        moment = parse_time(str(entry["time"]))
        if moment is not None:
            dated.append((moment, entry))
    if not dated:
        return None
    return max(dated, key=lambda pair: pair[0])[1]


# -- workloads --------------------------------------------------------------------------------------
def _workloads(
    desired: Sequence[DesiredRow], snapshot: Snapshot | None, pending: list[dict[str, Any]]
) -> list[Workload]:
    listed = set(snapshot.listed_kinds) if snapshot is not None else set()
    pending_files: dict[str, str] = {}
    for commit in reversed(pending):  # newest wins
        for path in commit.get("files") or []:
            pending_files[str(path)] = str(commit.get("commit") or "")[:8]
    observed_index: dict[tuple[str, str, str], dict[str, Any]] = {}
    by_kind_name: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if snapshot is not None:
        for item in snapshot.items:
            kind = str(item.get("kind") or "")
            if kind in NOT_WORKLOADS:
                continue
            meta = item.get("metadata") or {}
            key = (kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            observed_index[key] = item
            by_kind_name.setdefault((kind, key[2]), []).append(item)
    used: set[int] = set()
    rows: list[Workload] = []
    for obj in desired:
        if not obj.kind or obj.kind in NOT_WORKLOADS or not obj.name:
            continue
        if snapshot is None:
            rows.append(
                Workload(
                    obj.kind,
                    _namespace(obj),
                    obj.name,
                    obj.desired,
                    "",
                    H.UNKNOWN,
                    "no snapshot",
                    obj.file,
                    obj.line,
                )
            )
            continue
        if obj.kind not in listed and not _is_tracked_kind(obj):
            continue  # e.g. ConfigMaps: the snapshot does not carry them, nothing to compare
        namespace = _namespace(obj)
        found = observed_index.get((obj.kind, namespace, obj.name))
        if found is None and obj.namespace is None:
            candidates = by_kind_name.get((obj.kind, obj.name)) or []
            found = candidates[0] if len(candidates) == 1 else None
        row = Workload(obj.kind, namespace, obj.name, obj.desired, "", H.UNKNOWN, "", obj.file, obj.line)
        if found is None:
            if obj.kind in listed:
                row.health = H.MISSING
                commit = pending_files.get(obj.file)
                row.message = (
                    f"not on the host yet: {obj.file} changes in pending commit {commit}"
                    if commit
                    else "declared in the repository, not on the host"
                )
            else:
                row.message = f"the snapshot does not list {obj.kind} objects"
        else:
            used.add(id(found))
            health = H.object_health(found)
            row.observed = _observed(found)
            row.health = health.status
            row.message = health.message
            commit = pending_files.get(obj.file)
            if commit:
                row.message = (
                    row.message + "; " if row.message else ""
                ) + f"{obj.file} changes in pending commit {commit}"
        rows.append(row)
    if snapshot is not None:
        for item in snapshot.items:
            kind = str(item.get("kind") or "")
            group = str(item.get("apiVersion") or "").rpartition("/")[0]
            if id(item) in used or not (kind in EXTRA_KINDS or group == "esx.vmware.com"):
                continue
            meta = item.get("metadata") or {}
            rows.append(
                Workload(
                    kind,
                    str(meta.get("namespace") or ""),
                    str(meta.get("name") or ""),
                    "",
                    _observed(item),
                    H.UNKNOWN,
                    "on the host, not declared in the repository",
                )
            )
    order = {H.FAILED: 0, H.MISSING: 1, H.IN_PROGRESS: 2, H.UNKNOWN: 3, H.CURRENT: 4}
    kind_order = {"HostConfiguration": 0, "Namespace": 1, "VirtualMachineClass": 2, "VirtualMachine": 3}
    rows.sort(key=lambda w: (kind_order.get(w.kind, 5), w.kind, order.get(w.health, 9), w.namespace, w.name))
    return rows


def _is_tracked_kind(obj: DesiredRow) -> bool:
    return obj.kind in EXTRA_KINDS or obj.kind == "Namespace" or obj.group == "esx.vmware.com"


def _namespace(obj: DesiredRow) -> str:
    if obj.namespace:
        return obj.namespace
    return "" if obj.kind in CLUSTER_SCOPED else "default"


def _observed(item: dict[str, Any]) -> str:
    kind = item.get("kind")
    status = item.get("status") if isinstance(item.get("status"), dict) else {}
    assert isinstance(status, dict)
    if kind == "VirtualMachine":
        bits = [str(status.get("powerState") or "no power state")]
        if status.get("vmIp"):
            bits.append(str(status["vmIp"]))
        if status.get("phase"):
            bits.append(str(status["phase"]))
        spec = item.get("spec") or {}
        if isinstance(spec, dict) and spec.get("className"):
            bits.append(f"class {spec['className']}")
        return ", ".join(bits)
    if kind == "Namespace":
        return str(status.get("phase") or "present")
    words = [w.word for w in _gitops_of(item)]
    if words:
        return "GitOps " + "/".join(dict.fromkeys(words))
    ready = H.conditions_of(item).get("Ready")
    if ready is not None:
        return f"Ready={ready.get('status')}"
    return "present"


def _gitops_of(item: dict[str, Any]) -> list[GitOpsWord]:
    return gitops_words([item])


# -- small helpers ----------------------------------------------------------------------------------
def _name(item: dict[str, Any], with_namespace: bool = True) -> str:
    meta = item.get("metadata") or {}
    name = str(meta.get("name") or "?")
    return f"{meta.get('namespace')}/{name}" if with_namespace and meta.get("namespace") else name


def _short_ref(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def _attr(obj: Any, *names: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, str):
        return obj if names[0] == "sha" else None
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parsed = parse_time(str(value))
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else str(value)


def _safe_ahead_behind(repo: RepoLike) -> tuple[int, int] | None:
    try:
        return repo.ahead_behind()
    except Exception:  # no upstream configured is normal for a local-only repo
        return None
