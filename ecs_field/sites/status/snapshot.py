"""Status snapshots of a site's host: fetched from its API, imported from kubectl output, cached.

A snapshot is the list of Kubernetes objects that tell whether the host pulled and applied its
configuration: Flux GitRepositories and Kustomizations, vm-operator VirtualMachines and
VirtualMachineClasses, Namespaces, Events, and the esx.vmware.com kinds (HostConfiguration).
It is stored per site as ``ecs-field/snapshot@1`` with the time it was taken and where it came
from, so everything stays readable offline with its age shown.

Never lose the last good state: a fetch either completes or raises (a partial result is never
saved), saves are atomic, a corrupt cache file is set aside and the previous one in the short
history is used instead.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ecs_field import paths, storage
from ecs_field.errors import BadInput
from ecs_field.events import CancelToken, Progress, ProgressCallback, ignore_progress
from ecs_field.sites.status.clock import (  # noqa: F401 - re-exported: callers import them from here
    FUTURE_TOLERANCE_S,
    format_time,
    human_age,
    parse_time,
    utc_now,
)

log = logging.getLogger(__name__)

SCHEMA = "ecs-field/snapshot@1"
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 20.0)  # connect, read (seconds)
HISTORY_KEEP = 5

# The orchestrator's (VECO) GitOps status words. No public VECO API documents where a host
# reports them; we look for them in the places listed in ``gitops_words`` (uncertain, see there).
GITOPS_WORDS = (
    "PullInProgress",
    "Pulled",
    "Ready",
    "Reconciling",
    "ApplyFailed",
    "ImagePullFailed",
    "NotReady",
    "GitAuthFailed",
    "UrlUnreachable",
)
GITOPS_ANNOTATION_SUFFIX = "gitops-status"
_GITOPS_SET = frozenset(GITOPS_WORDS)


@dataclass(frozen=True)
class ListTarget:
    """One list the fetch reads: a kind, the paths to try in order (newest API first)."""

    kind: str
    paths: tuple[str, ...]
    label: str


FLUX_AND_CORE: tuple[ListTarget, ...] = (
    ListTarget(
        "GitRepository",
        (
            "/apis/source.toolkit.fluxcd.io/v1/gitrepositories",
            "/apis/source.toolkit.fluxcd.io/v1beta2/gitrepositories",
        ),
        "Git sources",
    ),
    ListTarget(
        "Kustomization",
        (
            "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
            "/apis/kustomize.toolkit.fluxcd.io/v1beta2/kustomizations",
        ),
        "Kustomizations",
    ),
    ListTarget(
        "VirtualMachine", ("/apis/vmoperator.vmware.com/v1alpha1/virtualmachines",), "virtual machines"
    ),
    ListTarget(
        "VirtualMachineClass", ("/apis/vmoperator.vmware.com/v1alpha1/virtualmachineclasses",), "VM classes"
    ),
    ListTarget("Namespace", ("/api/v1/namespaces",), "namespaces"),
    ListTarget("Event", ("/api/v1/events",), "events"),
)
ESX_GROUP_VERSION = "esx.vmware.com/v1alpha1"


@dataclass(frozen=True)
class GitOpsWord:
    """A VECO GitOps status word found in a snapshot, and where it was found."""

    word: str
    object: str  # "Kind/namespace/name"
    where: str  # "status.gitopsStatus", "annotation veco.vmware.com/gitops-status", "event reason"


@dataclass
class Snapshot:
    taken_at: str
    source: str  # "api https://host:6443", "import kubectl.json", "demo"
    items: list[dict[str, Any]] = field(default_factory=list)
    site: str = ""
    listed_kinds: list[str] = field(default_factory=list)  # kinds fully listed: absence means "missing"
    notes: list[str] = field(default_factory=list)  # e.g. "vm-operator API not served by this host"

    # -- queries -------------------------------------------------------------------------------
    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [item for item in self.items if item.get("kind") == kind]

    @property
    def kustomizations(self) -> list[dict[str, Any]]:
        return self.of_kind("Kustomization")

    @property
    def git_repositories(self) -> list[dict[str, Any]]:
        return self.of_kind("GitRepository")

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.of_kind("Event")

    @property
    def taken_time(self) -> dt.datetime | None:
        return parse_time(self.taken_at)

    def age_s(self, now: dt.datetime | None = None) -> float | None:
        taken = self.taken_time
        if taken is None:
            return None
        return max(0.0, ((now or utc_now()) - taken).total_seconds())

    def find(self, kind: str, name: str, namespace: str = "") -> dict[str, Any] | None:
        for item in self.of_kind(kind):
            meta = item.get("metadata") or {}
            if meta.get("name") == name and (meta.get("namespace") or "") == namespace:
                return item
        return None

    def gitops_words(self) -> list[GitOpsWord]:
        return gitops_words(self.items)

    def recent_events(self, limit: int = 50) -> list[dict[str, Any]]:
        def when(event: dict[str, Any]) -> str:
            return str(
                event.get("lastTimestamp")
                or event.get("eventTime")
                or (event.get("metadata") or {}).get("creationTimestamp")
                or ""
            )

        return sorted(self.events, key=when, reverse=True)[:limit]

    # -- (de)serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "site": self.site,
            "taken_at": self.taken_at,
            "source": self.source,
            "listed_kinds": list(self.listed_kinds),
            "notes": list(self.notes),
            "items": self.items,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        _validate(data)
        return cls(
            taken_at=str(data["taken_at"]),
            source=str(data.get("source") or ""),
            items=list(data["items"]),
            site=str(data.get("site") or ""),
            listed_kinds=[str(k) for k in data.get("listed_kinds") or []],
            notes=[str(n) for n in data.get("notes") or []],
        )


def _validate(data: dict[str, Any]) -> None:
    if data.get("schema") != SCHEMA:
        raise ValueError(f"schema is {data.get('schema')!r}, expected {SCHEMA!r}")
    if not isinstance(data.get("items"), list):
        raise ValueError("'items' is not a list")
    if parse_time(str(data.get("taken_at") or "")) is None:
        raise ValueError(f"'taken_at' is not a time: {data.get('taken_at')!r}")
    for index, item in enumerate(data["items"]):
        if not isinstance(item, dict) or not item.get("kind"):
            raise ValueError(f"items[{index}] is not a Kubernetes object")


def object_ref(item: dict[str, Any]) -> str:
    meta = item.get("metadata") or {}
    return f"{item.get('kind', '?')}/{meta.get('namespace') or ''}/{meta.get('name') or '?'}"


def gitops_words(items: Iterable[dict[str, Any]]) -> list[GitOpsWord]:
    """Find VECO GitOps status words in objects.

    UNCERTAIN: no public VECO API says where a host reports these. We accept them where an ECS
    host or the orchestrator most plausibly puts them: a status field of any object
    (``status.gitopsStatus``, ``status.gitOpsStatus``, ``status.state``, ``status.phase``,
    ``status.status``), an annotation whose key ends in ``gitops-status``, and the reason of an
    Event. Only the exact words in _GITOPS_SET count; "Ready" as a phase counts too.
    """
    found: list[GitOpsWord] = []
    for item in items:
        if item.get("kind") == "Event":
            reason = str(item.get("reason") or "")
            if reason in _GITOPS_SET:
                involved = item.get("involvedObject") or {}
                target = (
                    f"{involved.get('kind', '?')}/{involved.get('namespace') or ''}/"
                    f"{involved.get('name') or '?'}"
                )
                found.append(GitOpsWord(reason, target, "event reason"))
            continue
        status = item.get("status")
        if isinstance(status, dict):
            for key in _GITOPS_STATUS_KEYS:
                value = status.get(key)
                if value.__class__ is str and value in _GITOPS_SET:
                    found.append(GitOpsWord(value, object_ref(item), f"status.{key}"))
        meta = item.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if annotations and isinstance(annotations, dict):
            for key, value in annotations.items():
                if str(key).endswith(GITOPS_ANNOTATION_SUFFIX) and str(value) in _GITOPS_SET:
                    found.append(GitOpsWord(str(value), object_ref(item), f"annotation {key}"))
    return found


_GITOPS_STATUS_KEYS = ("gitopsStatus", "gitOpsStatus", "state", "phase", "status")


# -- fetching --------------------------------------------------------------------------------------
def fetch_snapshot(
    api_url: str,
    *,
    token: str | None = None,
    ca_file: str | Path | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    site: str = "",
    retries: int = 2,
    retry_delay_s: float = 0.5,
    allow_http: bool = False,
) -> Snapshot:
    """Read every status list from one host API. Raises (ApiError, Cancelled) rather than
    returning a partial snapshot; an API group the host does not serve is a note, not a failure.
    """
    # requests is imported only here: reading cached snapshots must not pay for it.
    from ecs_field.sites.status.kube_api import ApiNotFound, KubeClient

    cancel = cancel or CancelToken()
    items: list[dict[str, Any]] = []
    listed: list[str] = []
    notes: list[str] = []
    with KubeClient(
        api_url,
        token=token,
        ca_file=ca_file,
        timeout=timeout,
        cancel=cancel,
        retries=retries,
        retry_delay_s=retry_delay_s,
        allow_http=allow_http,
    ) as client:
        steps = len(FLUX_AND_CORE) + 1
        for step, target in enumerate(FLUX_AND_CORE):
            cancel.check()
            progress(Progress("fetch", step, steps, message=f"Reading {target.label}"))
            got = _list_first_served(client, target)
            if got is None:
                notes.append(
                    f"{target.kind}: not served by this host (tried " + ", ".join(target.paths) + ")"
                )
                continue
            items.extend(got)
            listed.append(target.kind)
        cancel.check()
        progress(Progress("fetch", steps - 1, steps, message="Reading host configuration kinds"))
        try:
            resources = client.discover(ESX_GROUP_VERSION)
        except ApiNotFound:
            notes.append(f"{ESX_GROUP_VERSION}: not served by this host")
            resources = []
        for resource in resources:
            cancel.check()
            path = f"/apis/{ESX_GROUP_VERSION}/{resource.name}"
            try:
                got = client.list_all(path)
            except ApiNotFound:
                notes.append(f"{resource.kind or resource.name}: listed in discovery but not served")
                continue
            for item in got:
                if resource.kind:
                    item.setdefault("kind", resource.kind)
            items.extend(got)
            if resource.kind:
                listed.append(resource.kind)
        progress(Progress("fetch", steps, steps, message=f"Read {len(items)} objects"))
        source = f"api {client.base_url}"
    for item in items:
        _strip_noise(item)
    return Snapshot(
        taken_at=format_time(utc_now()),
        source=source,
        items=items,
        site=site,
        listed_kinds=listed,
        notes=notes,
    )


class HostLike(Protocol):
    """What the snapshot code reads of a registry host (``registry.Host``)."""

    @property
    def name(self) -> str: ...
    @property
    def api(self) -> str: ...
    @property
    def token_ref(self) -> str: ...


class SiteLike(Protocol):
    """What the snapshot code reads of a registry site (``registry.Site``; kept structural so the
    registry, which stores snapshots' summaries, need not be imported here)."""

    @property
    def name(self) -> str: ...
    @property
    def hosts(self) -> Sequence[HostLike]: ...
    @property
    def token_env(self) -> str: ...
    @property
    def token_keyring(self) -> str: ...
    @property
    def ca_file(self) -> str: ...


def site_api(site: SiteLike, host_name: str | None = None) -> tuple[str, str | None]:
    """(API URL, token reference) of a registry site's host (the first one with an API by default)."""
    hosts = list(site.hosts)
    if host_name:
        hosts = [h for h in hosts if h.name == host_name]
        if not hosts:
            raise BadInput(
                f"site {site.name!r} has no host named {host_name!r}",
                "See the site's hosts with `ecs-field sites list`.",
            )
    for host in hosts:
        if host.api:
            ref = host.token_ref
            if not ref and site.token_env:
                ref = f"env:{site.token_env}"
            elif not ref and site.token_keyring:
                ref = f"keyring:{site.token_keyring}"
            return host.api, ref or None
    raise BadInput(
        f"site {site.name!r} has no host API address",
        f"Add the host's API to the site (`ecs-field sites edit {site.name} --api URL`), "
        "or fetch with --api URL.",
    )


def fetch_site_snapshot(
    site: SiteLike,
    *,
    host_name: str | None = None,
    token_env: str | None = None,
    ca_file: str | Path | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    allow_http: bool = False,
) -> tuple[Snapshot, Path]:
    """Fetch a registry site's snapshot from its host and cache it (only if the fetch completed)."""
    from ecs_field.sites.status.kube_api import resolve_token

    api, token_ref = site_api(site, host_name)
    token = resolve_token(token_env=token_env, token_ref=token_ref or api, keyring_user=api)
    snapshot = fetch_snapshot(
        api,
        token=token,
        ca_file=ca_file or site.ca_file or None,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
        site=str(site.name),
        allow_http=allow_http,
    )
    return snapshot, save_snapshot(str(site.name), snapshot)


def _list_first_served(client: Any, target: ListTarget) -> list[dict[str, Any]] | None:
    from ecs_field.sites.status.kube_api import ApiNotFound

    for path in target.paths:
        try:
            got = client.list_all(path)
        except ApiNotFound:
            continue
        for item in got:
            item.setdefault("kind", target.kind)
        return got
    return None


def _strip_noise(item: dict[str, Any]) -> None:
    # managedFields is large and says nothing a technician needs; it would double the file.
    meta = item.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    if item.get("kind") == "Secret":  # a fetched Secret never reaches the cache with its values
        from ecs_field.sites.status.snapshot_input import drop_secret_data

        drop_secret_data([item])


# -- importing -------------------------------------------------------------------------------------
def import_snapshot(file: Path, *, site: str = "") -> Snapshot:
    """Read the app's own snapshot file, or kubectl output (a List, or one object) in JSON or YAML.

    Everything is checked before the caller can cache it (snapshot_input): size, depth, alias
    expansion, the type of every field read later. Secret values are dropped here.
    """
    from ecs_field.sites.status.snapshot_input import check_snapshot_document, read_documents

    documents = read_documents(file)
    if len(documents) == 1 and isinstance(documents[0], dict) and "schema" in documents[0]:
        document = documents[0]
        if document.get("schema") != SCHEMA:
            raise BadInput(
                f"{file}: schema is {document.get('schema')!r}, expected {SCHEMA!r}",
                "Give a snapshot written by `ecs-field snapshot fetch -o`, or kubectl output.",
            )
        try:
            check_snapshot_document(document)
            snapshot = Snapshot.from_dict(document)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(
                f"{file}: not a valid ecs-field snapshot: {exc}",
                "Fetch the snapshot again with `ecs-field snapshot fetch`.",
            ) from None
        if site and not snapshot.site:
            snapshot.site = site
        _drop_secrets(snapshot)
        return snapshot
    items: list[dict[str, Any]] = []
    for index, document in enumerate(documents):
        items.extend(_objects_of(file, index, document))
    if not items and not any(isinstance(d, dict) and "items" in d for d in documents):
        raise BadInput(
            f"{file}: no Kubernetes objects found",
            "Give the output of `kubectl get ... -o json` (or -o yaml), or a snapshot file.",
        )
    for item in items:
        _strip_noise(item)
    kinds = sorted({str(item["kind"]) for item in items})
    snapshot = Snapshot(
        taken_at=format_time(_file_time(file)),
        source=f"import {file.name}",
        items=items,
        site=site,
        listed_kinds=kinds,
        notes=[f"imported from {file.name}; only the kinds it contains are compared"],
    )
    _drop_secrets(snapshot)
    return snapshot


def future_by_s(snapshot: Snapshot, now: dt.datetime | None = None) -> float | None:
    """Seconds a snapshot is dated in the future (beyond clock skew); None when it is not."""
    taken = snapshot.taken_time
    if taken is None:
        return None
    ahead = (taken - (now or utc_now())).total_seconds()
    return ahead if ahead > FUTURE_TOLERANCE_S else None


def _drop_secrets(snapshot: Snapshot) -> None:
    from ecs_field.sites.status.snapshot_input import drop_secret_data

    count = drop_secret_data(snapshot.items)
    note = "Secret values dropped before caching"
    if count and not any(n.startswith(note) for n in snapshot.notes):
        snapshot.notes.append(f"{note} ({count} Secret{'s' if count != 1 else ''})")


def _file_time(file: Path) -> dt.datetime:
    # kubectl output has no time in it; its file time is the best estimate of when it was taken.
    try:
        return dt.datetime.fromtimestamp(file.stat().st_mtime, dt.timezone.utc)
    except OSError:
        return utc_now()


def _objects_of(file: Path, index: int, document: Any) -> list[dict[str, Any]]:
    from ecs_field.sites.status.snapshot_input import check_item

    objects = _raw_objects_of(file, index, document)
    where = f"{file}: document {index + 1}" if index else str(file)
    for position, item in enumerate(objects):
        try:
            check_item(f"items[{position}]" if "items" in document else "the object", item)
        except ValueError as exc:
            raise BadInput(
                f"{where}: {exc}", "The file may be damaged or hand-edited; export it again."
            ) from None
    return objects


def _raw_objects_of(file: Path, index: int, document: Any) -> list[dict[str, Any]]:
    where = f"{file}: document {index + 1}" if index else str(file)
    if not isinstance(document, dict):
        raise BadInput(
            f"{where}: not a Kubernetes object or List",
            "Give the output of `kubectl get ... -o json` (or -o yaml).",
        )
    if isinstance(document.get("items"), list):
        list_version = str(document.get("apiVersion") or "")
        list_kind = str(document.get("kind") or "")
        item_kind = list_kind[:-4] if list_kind.endswith("List") and list_kind != "List" else ""
        objects: list[dict[str, Any]] = []
        for position, item in enumerate(document["items"]):
            if not isinstance(item, dict):
                raise BadInput(
                    f"{where}: items[{position}] is not an object",
                    "The file may be damaged; export it again.",
                )
            if item_kind:
                item.setdefault("kind", item_kind)
                item.setdefault("apiVersion", list_version)
            if not item.get("kind"):
                raise BadInput(
                    f"{where}: items[{position}] has no kind",
                    "Export with kubectl -o json, which names each item's kind.",
                )
            objects.append(item)
        return objects
    if document.get("kind") and isinstance(document.get("metadata"), dict):
        return [document]
    raise BadInput(
        f"{where}: not a Kubernetes object or List (no kind/metadata or items)",
        "Give the output of `kubectl get ... -o json` (or -o yaml), or a snapshot file.",
    )


# -- the per-site cache ----------------------------------------------------------------------------
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def site_folder_name(site: str) -> str:
    cleaned = _SAFE_NAME.sub("_", site).strip("._") or "_"
    return cleaned[:100]


@dataclass
class LoadResult:
    snapshot: Snapshot | None
    problems: list[str] = field(default_factory=list)  # corrupt files set aside, fallbacks used
    path: Path | None = None


class SnapshotStore:
    """``data_dir()/snapshots/<site>/current.json`` plus ``history/`` with the last few snapshots.

    The history is written first, then current.json: a kill between the two leaves the old
    current.json, which is still a good snapshot.
    """

    def __init__(self, site: str, root: Path | None = None, keep: int = HISTORY_KEEP) -> None:
        self.site = site
        self.folder = (root or paths.data_dir() / "snapshots") / site_folder_name(site)
        self.keep = keep

    @property
    def current_path(self) -> Path:
        return self.folder / "current.json"

    @property
    def history_dir(self) -> Path:
        return self.folder / "history"

    def save(self, snapshot: Snapshot) -> Path:
        document = snapshot.to_dict()
        document["site"] = document["site"] or self.site
        from ecs_field.sites.status.snapshot_input import check_snapshot_document

        try:
            _validate(document)  # never write a file we would refuse to read back
            check_snapshot_document(document)  # nor one whose fields status would trip over
        except ValueError as exc:
            raise BadInput(
                f"snapshot for {self.site!r} not saved: {exc}",
                "The previous snapshot is kept; fetch or import again.",
            ) from None
        stamp = re.sub(r"[^0-9TZ]", "", snapshot.taken_at) or "unknown"
        history_path = self.history_dir / f"{stamp}.json"
        n = 1
        while history_path.exists():
            n += 1
            history_path = self.history_dir / f"{stamp}-{n}.json"
        text = json.dumps(document, indent=1) + "\n"
        with storage.file_lock(self.current_path):
            storage.atomic_write_text(history_path, text)
            storage.atomic_write_text(self.current_path, text)
            self._prune()
        return self.current_path

    def _prune(self) -> None:
        entries = self.history()
        for old in entries[self.keep :]:
            try:
                old.unlink()
            except OSError as exc:
                log.warning("could not prune %s: %s", old, exc)

    def history(self) -> list[Path]:
        """History files, newest first."""
        if not self.history_dir.is_dir():
            return []
        return sorted(
            (p for p in self.history_dir.glob("*.json") if not p.name.startswith(".")),
            key=lambda p: p.name,
            reverse=True,
        )

    def load(self) -> LoadResult:
        """The newest readable snapshot; corrupt files are set aside and reported, never reused."""
        problems: list[str] = []
        for candidate in [self.current_path, *self.history()]:
            try:
                document = storage.load_json_document(candidate, SCHEMA, validate=_validate)
            except storage.CorruptFile as exc:
                problems.append(exc.message)
                continue
            if document is None:
                continue
            snapshot = Snapshot.from_dict(document)
            if candidate != self.current_path and problems:
                problems.append(f"using the previous snapshot from {snapshot.taken_at} instead")
            return LoadResult(snapshot, problems, candidate)
        return LoadResult(None, problems, None)

    def info(self) -> tuple[str, str] | None:
        """(taken_at, source) of the current snapshot without parsing its items (fast overview)."""
        try:
            with self.current_path.open("rb") as handle:
                head = handle.read(4096).decode("utf-8", "replace")
        except OSError:
            return None
        taken = re.search(r'"taken_at":\s*"([^"]*)"', head)
        source = re.search(r'"source":\s*"([^"]*)"', head)
        if not taken:
            return None
        return taken.group(1), source.group(1) if source else ""


def save_snapshot(site: str, snapshot: Snapshot) -> Path:
    if not snapshot.site:
        snapshot.site = site
    return SnapshotStore(site).save(snapshot)


def load_snapshot(site: str) -> LoadResult:
    return SnapshotStore(site).load()


SnapshotLoader = Callable[[str], LoadResult]
