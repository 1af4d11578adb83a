"""``ecs-field snapshot fetch|import`` and ``ecs-field status`` (DESIGN.md 4).

Thin shell over ecs_field.sites.status.snapshot / sync. ``status`` exits 0 whenever it could compute
a status (whatever the sync word); 2 for bad input, 3 when a fetch could not reach the host.

A repeated ``status SITE`` is answered from sites/status/warm.py's entry (the output kept with a
fingerprint of everything it was read from): ecs_field.cli calls answer_from_cache before argparse
and logging load; _status tries the same entry first when the command came the long way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecs_field.commands.output import print_json, say, table
from ecs_field.errors import BadInput

if TYPE_CHECKING:  # argparse too: the warm path answers before any parser is built
    import argparse

    from ecs_field.events import Progress
    from ecs_field.sites.status.watch import Fingerprint


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    snapshot = subparsers.add_parser(
        "snapshot", help="fetch a status snapshot from a host's API, or import kubectl output"
    )
    actions = snapshot.add_subparsers(dest="snapshot_command", metavar="ACTION", required=True)

    fetch = actions.add_parser(
        "fetch",
        help="read Flux, VM and host configuration status from the host API and cache it",
        description="Read Flux GitRepositories/Kustomizations, VMs, VM classes, namespaces, events and "
        "esx.vmware.com objects from the host's Kubernetes API. With SITE the snapshot is cached for "
        "the site; a failed fetch never replaces the last good snapshot.",
    )
    target = fetch.add_mutually_exclusive_group(required=True)
    target.add_argument("site", nargs="?", metavar="SITE", help="a registered site (uses its host API)")
    target.add_argument("--api", metavar="URL", help="a host API address, e.g. https://10.0.0.20:6443")
    fetch.add_argument("--host", metavar="NAME", help="which host of the site (default: the first)")
    fetch.add_argument(
        "--token-env",
        metavar="VAR",
        help="read the bearer token from this environment variable "
        "(default: the site's token, or the keyring, service 'ecs-field')",
    )
    fetch.add_argument(
        "--ca",
        metavar="FILE",
        type=Path,
        help="PEM file of the CA that signed the host's certificate (TLS verification stays on)",
    )
    fetch.add_argument(
        "--allow-http",
        action="store_true",
        help="send the token over plain http:// to a host that is not this machine (refused otherwise: "
        "anyone on the network could read it)",
    )
    fetch.add_argument("-o", "--output", metavar="FILE", type=Path, help="also write the snapshot to FILE")
    fetch.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=20.0,
        help="read timeout per request (default 20; connect timeout 5)",
    )
    fetch.set_defaults(handler=_fetch)

    imp = actions.add_parser(
        "import",
        help="cache a snapshot file or kubectl output (JSON/YAML) as the site's snapshot",
    )
    imp.add_argument("site", metavar="SITE")
    imp.add_argument("file", metavar="FILE", type=Path)
    imp.set_defaults(handler=_import)

    status = subparsers.add_parser(
        "status",
        help="sync state (applied commit vs local HEAD) and workload health of a site",
        description="Compare the commit the host applied with the local clone, and the objects in the "
        "repository with those the host reports. Reads only local files: the clone and the cached "
        "(or given) snapshot.",
    )
    where = status.add_mutually_exclusive_group(required=True)
    where.add_argument("site", nargs="?", metavar="SITE", help="a registered site")
    where.add_argument("--repo", metavar="PATH", type=Path, help="a local clone, without registering it")
    status.add_argument(
        "--path",
        metavar="P",
        help="manifests folder inside the repository (default: the site's path, else the whole repository)",
    )
    status.add_argument(
        "--snapshot",
        metavar="FILE",
        type=Path,
        help="a snapshot file or kubectl -o json/yaml output, instead of the cached snapshot",
    )
    status.add_argument(
        "--stale-after",
        metavar="SECONDS",
        type=float,
        default=3600.0,
        help="a snapshot older than this is marked stale (default 3600)",
    )
    status.add_argument("--json", action="store_true", help="print the status document as JSON")
    status.set_defaults(handler=_status)


# -- sites ---------------------------------------------------------------------------------------------
def _find_site(name: str) -> Any:
    from ecs_field.sites.registry import Registry

    site = Registry.load().find(name)
    if site is None:
        from ecs_field.sites.demo import DEMO_SITE, ensure_demo_site  # the demo's data only when asked

        if name == DEMO_SITE:
            site = ensure_demo_site()
    if site is None:
        raise BadInput(
            f"no site named {name!r}",
            "List sites with `ecs-field sites list`, or add one with `ecs-field sites add`.",
        )
    return site


# -- snapshot fetch / import ---------------------------------------------------------------------------
def _fetch(args: argparse.Namespace) -> int:
    from ecs_field.sites.status.kube_api import resolve_token
    from ecs_field.sites.status.snapshot import fetch_site_snapshot, fetch_snapshot, site_api

    timeout = (5.0, args.timeout)
    if args.site:
        site = _find_site(args.site)
        api, _ = site_api(site, args.host)
        say(f"Fetching status of site {site.name} from {api} ...")
        snapshot, path = fetch_site_snapshot(
            site,
            host_name=args.host,
            token_env=args.token_env,
            ca_file=args.ca,
            timeout=timeout,
            progress=_progress_printer(),
            allow_http=args.allow_http,
        )
    else:
        say(f"Fetching status from {args.api} ...")
        token = resolve_token(token_env=args.token_env, token_ref=args.api, keyring_user=args.api)
        snapshot = fetch_snapshot(
            args.api,
            token=token,
            ca_file=args.ca,
            timeout=timeout,
            progress=_progress_printer(),
            allow_http=args.allow_http,
        )
        path = None
    say(f"Read {len(snapshot.items)} objects ({_kind_counts(snapshot.items)}).")
    for note in snapshot.notes:
        say(f"  note: {note}")
    if path is not None:
        say(f"Saved as the snapshot of site {snapshot.site} ({path}).")
    if args.output:
        _write_output(args.output, snapshot.to_dict())
        say(f"Wrote {args.output}.")
    if path is None and not args.output:
        print_json(snapshot.to_dict())
    return 0


def _import(args: argparse.Namespace) -> int:
    from ecs_field.sites.status.snapshot import future_by_s, human_age, import_snapshot, save_snapshot

    site = _find_site(args.site)
    snapshot = import_snapshot(args.file, site=site.name)
    snapshot.site = site.name
    path = save_snapshot(site.name, snapshot)
    say(
        f"Imported {len(snapshot.items)} objects ({_kind_counts(snapshot.items)}) taken {snapshot.taken_at} "
        f"as the snapshot of site {site.name} ({path})."
    )
    for note in snapshot.notes:
        if note.startswith("Secret values dropped"):
            say(f"  note: {note}")
    ahead = future_by_s(snapshot)
    if ahead is not None:
        say(
            f"warning: the snapshot is dated {human_age(ahead)} in the future ({snapshot.taken_at}): the "
            "laptop's or the host's clock is wrong; `status` marks it stale because its age is unknown."
        )
    return 0


def _write_output(path: Path, document: dict[str, Any]) -> None:
    from ecs_field import storage

    try:
        storage.atomic_write_json(path, document)
    except OSError as exc:
        raise BadInput(f"{path}: cannot write ({exc.strerror})", "Choose another output file.") from None


def _kind_counts(items: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for item in items:
        counts[str(item.get("kind"))] = counts.get(str(item.get("kind")), 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "nothing"


def _progress_printer() -> Any:
    interactive = sys.stderr.isatty()

    def show(event: Progress) -> None:
        if interactive and event.message:
            say(f"  {event.message}")

    return show


# -- status ----------------------------------------------------------------------------------------------
def _status(args: argparse.Namespace) -> int:
    if args.site and args.snapshot is None and _answer_warm(args):
        return 0
    from ecs_field.sites.status.snapshot import SnapshotStore, import_snapshot, load_snapshot

    problems: list[str] = []
    snapshot = None
    cache_key: str | None = None
    state = None
    snapshot_file: Path | None = None
    fingerprint: Fingerprint | None = None
    if args.site:
        from ecs_field.sites.registry import Registry, local_repo_path
        from ecs_field.sites.status import watch

        registry_file = Registry.default_path()
        registry_before = watch.take([str(registry_file)], str(registry_file.parent))  # before reading it
        site = Registry.load().find(args.site)
        registered = site is not None  # else the demo site, made on the fly (not watched), or an error
        site = site or _find_site(args.site)
        name = site.name
        repo_path = Path(local_repo_path(site))
        subpath = args.path if args.path is not None else (getattr(site, "path", None) or None)
        if args.snapshot is None:
            snapshot_file = SnapshotStore(name).current_path
            if registered and registry_before is not None:
                fingerprint = _fingerprint(registry_file, snapshot_file, repo_path)
                if not watch.unchanged(registry_before):  # edited while read: its fingerprint is not ours
                    fingerprint = None
            state, cache_key = _cache_key(name, repo_path, snapshot_file, subpath, args.stale_after)
            cached = _cached(cache_key, args.stale_after)
            if cached is not None:  # same commit, same snapshot: only the age moved on
                if fingerprint is not None:
                    return _show(
                        name, cached, args, remember=True, parts=_save_warm(args, cached, fingerprint)
                    )
                return _show(name, cached, args, remember=True)
            loaded = load_snapshot(name)
            snapshot, problems = loaded.snapshot, loaded.problems
            if loaded.path != snapshot_file or problems:
                cache_key = None  # a fallback snapshot: compute every time until a good one is saved
    else:
        repo_path = args.repo
        name = repo_path.resolve().name
        subpath = args.path
    if args.snapshot is not None:
        snapshot = import_snapshot(args.snapshot, site=name)
    if not repo_path.exists():
        if args.site:
            raise BadInput(
                f"{repo_path}: the site's repository is not cloned yet",
                f"Clone it with `ecs-field sites pull {name}`.",
            )
        raise BadInput(f"{repo_path}: no such folder", "Give the folder of a local clone with --repo.")
    from ecs_field.sites.status.gitread import GitReader
    from ecs_field.sites.status.sync import compute_status

    repo = GitReader(repo_path, state)
    status = compute_status(
        name, repo, snapshot, subpath=subpath, stale_after_s=args.stale_after, snapshot_problems=problems
    )
    document = status.to_dict()
    if cache_key is not None:
        from ecs_field.sites.status import status_cache

        status_cache.save(cache_key, document)
        if fingerprint is not None:
            parts = _save_warm(args, document, fingerprint)
            return _show(name, document, args, remember=True, parts=parts)
    return _show(name, document, args, remember=bool(args.site and args.snapshot is None))


# -- the warm path: the finished output, kept until anything it was computed from changes ----------------
def _fingerprint(registry_file: Path, snapshot_file: Path, repo_path: Path) -> Fingerprint | None:
    """Taken before the snapshot and the clone are read (watch.py); the registry's own part is
    checked against a fingerprint taken before it was read (see _status)."""
    from ecs_field.sites.status import warm, watch

    watched = warm.watched_paths(registry_file, snapshot_file, repo_path)
    return watch.take(watched, str(repo_path)) if watched is not None else None


def _save_warm(
    args: argparse.Namespace, document: dict[str, Any], fingerprint: Fingerprint
) -> list[str] | None:
    """Keep the output's parts with the fingerprint; the parts (for _show), or None when the status
    is not kept (then _show renders it)."""
    from ecs_field import paths
    from ecs_field.sites.status import warm
    from ecs_field.sites.status.fleet import summary_document, summary_path

    applied = document.get("applied") or {}
    if applied.get("commit") and applied.get("subject") is None:
        return None  # the applied commit is not in the clone yet: a fetch that writes no ref could bring it
    if not isinstance(document.get("snapshot"), dict):
        return None
    summary = summary_document(args.site, document)
    parts = _json_parts(document) if args.json else list(_text_parts(document))
    payload = {
        "parts": parts,
        "snapshot": document["snapshot"],
        "head": {key: document.get(key) for key in _HEADLINE_KEYS},
        "summary": summary,
        "summary_path": str(summary_path(args.site)),
    }
    key = warm.entry_key(args.site, args.path, args.stale_after, "json" if args.json else "text")
    warm.save(paths.cache_dir(), key, fingerprint, payload)
    return parts


_HEADLINE_KEYS = ("site", "sync", "commits_behind", "commits_ahead", "health", "counts")


def _answer_warm(args: argparse.Namespace) -> bool:
    """Print the warm answer when there is one (True); False when the status must be computed."""
    if sys.platform == "win32":
        return False
    from ecs_field import paths
    from ecs_field.sites.status import warm

    mode = "json" if args.json else "text"
    entry = warm.load(paths.cache_dir(), warm.entry_key(args.site, args.path, args.stale_after, mode))
    return entry is not None and _print_warm(entry, args.stale_after, as_json=args.json)


def _is_summary_path(path: Path) -> bool:
    """``path`` is ``data_dir()/snapshots/<one folder>/status-summary.json`` (fleet.summary_path's form)."""
    from ecs_field import paths

    return (
        path.is_absolute()
        and path.name == "status-summary.json"
        and ".." not in path.parts
        and path.parent.parent == paths.data_dir() / "snapshots"
    )


def _print_warm(entry: dict[str, Any], stale_after_s: float, *, as_json: bool) -> bool:
    """What _show prints for the entry's status, its snapshot's times recomputed now. False, with
    nothing printed, when the entry cannot be used (damaged) or the fleet summary cannot be written."""
    import time

    from ecs_field.sites.status import warm
    from ecs_field.sites.status.clock import refresh_times

    try:
        parts = entry["parts"]
        if len(parts) != 2:
            return False
        snap = refresh_times({"snapshot": dict(entry["snapshot"])}, stale_after_s)["snapshot"]
        warnings = "".join(f"warning: {problem}\n" for problem in snap.get("problems") or [])
        if as_json:
            text = _json_of(parts, snap)
        else:
            text = _text_of({**entry["head"], "snapshot": snap}, parts[0], parts[1]) + "\n"
        summary = {**entry["summary"], "computed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        path = Path(entry["summary_path"])
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return False  # a damaged entry: the full path runs (and writes a good one)
    if not _is_summary_path(path):
        return False  # never write where a (damaged) cache entry says: only the site's own summary file
    if not warm.write_summary(path, summary):
        return False
    sys.stderr.write(warnings)
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


# `status SITE [--json] [--path P] [--stale-after S]`, nothing else: what the warm path answers.
_FLAGS = ("--path", "--stale-after")


def _plain_status_args(argv: Sequence[str]) -> tuple[str, str | None, float, bool] | None:
    """(site, --path, --stale-after, --json) when ``argv`` is a plain `status SITE ...` command line
    spelled in full; None for anything else (argparse then parses it and reports errors)."""
    words = list(argv)
    if not words or words[0] != "status":
        return None
    site: str | None = None
    values: dict[str, str] = {}
    as_json = False
    i = 1
    while i < len(words):
        word = words[i]
        flag, eq, inline = word.partition("=")
        if word == "--json" and not as_json:
            as_json = True
        elif flag in _FLAGS and flag not in values and (eq or i + 1 < len(words)):
            value = inline if eq else words[i + 1]
            if not eq:
                i += 1
                if value.startswith("-"):
                    return None
            values[flag] = value
        elif not word.startswith("-") and word and site is None:
            site = word
        else:
            return None
        i += 1
    if site is None:
        return None
    try:
        stale = float(values.get("--stale-after", "3600"))
    except ValueError:
        return None
    return site, values.get("--path"), stale, as_json


def answer_from_cache(argv: Sequence[str]) -> int | None:
    """The whole `ecs-field status SITE` run from the warm cache, before argparse, logging setup or
    any heavy import: the exit code, or None when the full command must run (nothing printed).

    For ecs_field.cli.main to call first; writes the same invocation line to the log file that the
    full path does."""
    if sys.platform == "win32":
        return None
    parsed = _plain_status_args(argv)
    if parsed is None:
        return None
    site, path_option, stale_after_s, as_json = parsed
    try:
        from ecs_field import paths
        from ecs_field.logs import log_invocation_without_logging
        from ecs_field.sites.status import warm

        entry = warm.load(
            paths.cache_dir(), warm.entry_key(site, path_option, stale_after_s, "json" if as_json else "text")
        )
        if entry is None:
            return None
        if not log_invocation_without_logging(argv):
            return None  # the full path rotates the log (or says why it cannot write it)
        return 0 if _print_warm(entry, stale_after_s, as_json=as_json) else None
    except BrokenPipeError:
        return 0
    except Exception:  # anything odd: the full path runs and reports it properly
        return None


def _cache_key(
    name: str, repo_path: Path, snapshot_file: Path, subpath: str | None, stale_after_s: float
) -> tuple[Any, str | None]:
    """(the repository's git state, the status cache key); (None, None) when not computable."""
    from ecs_field.sites.status import status_cache

    if not repo_path.is_dir():
        return None, None
    state = status_cache.git_state(repo_path)
    if state is None:
        return None, None
    return state, status_cache.status_key(
        site=name,
        repo=repo_path,
        state=state,
        snapshot_file=snapshot_file,
        subpath=subpath,
        stale_after_s=stale_after_s,
    )


def _cached(key: str | None, stale_after_s: float) -> dict[str, Any] | None:
    if key is None:
        return None
    from ecs_field.sites.status import status_cache

    document = status_cache.load(key)
    return status_cache.refresh_times(document, stale_after_s) if document is not None else None


def _show(
    name: str,
    document: dict[str, Any],
    args: argparse.Namespace,
    *,
    remember: bool,
    parts: list[str] | None = None,
) -> int:
    """Print the status; ``parts`` (from _save_warm) spare rendering it a second time."""
    if remember:
        from ecs_field.sites.status.fleet import save_summary_doc

        save_summary_doc(name, document)  # `sites list` and the GUI's site list show it at once
    for problem in (document.get("snapshot") or {}).get("problems") or []:
        say(f"warning: {problem}")
    if parts is not None and args.json:
        sys.stdout.write(_json_of(parts, document["snapshot"]))
        sys.stdout.flush()
    elif parts is not None:
        sys.stdout.write(_text_of(document, parts[0], parts[1]) + "\n")
    elif args.json:
        print_json(document)
    else:
        sys.stdout.write(render_status(document) + "\n")
    return 0


WIDTH = 100  # every line of the text output fits a 100-column terminal; reasons wrap, never cut


def headline(data: dict[str, Any]) -> str:
    """``BEHIND by 2 · DEGRADED: 1 failed, 3 missing · snapshot 5 min old``: sync, health, age."""
    from ecs_field.sites.status.clock import human_age

    sync = data["sync"]
    word = sync.upper()
    behind, ahead = data.get("commits_behind") or 0, data.get("commits_ahead") or 0
    if sync == "behind":
        word += f" by {behind} commit" + ("s" if behind != 1 else "")
    elif sync == "ahead":
        word += f" by {ahead} commit" + ("s" if ahead != 1 else "")
    elif sync == "diverged":
        word += f" (host {ahead} ahead, {behind} behind)"
    health = str(data.get("health") or "unknown")
    counts = data.get("counts") or {}
    parts = [
        f"{counts[key]} {label}"
        for key, label in (("failed", "failed"), ("missing", "missing"), ("in-progress", "in progress"))
        if counts.get(key)
    ]
    shown = parts if health in ("degraded", "progressing") else []
    health_text = health.upper() + (": " + ", ".join(shown) if shown else "")
    snap = data.get("snapshot") or {}
    if not snap.get("taken_at"):
        age = "no snapshot"
    elif snap.get("future"):
        age = "snapshot dated in the future"
    else:
        age = f"snapshot {human_age(snap.get('age_s'))} old" + (" (stale)" if snap.get("stale") else "")
    return f"{word} · {health_text} · {age}"


def render_status(data: dict[str, Any]) -> str:
    """The human summary: sync and health first, then what was applied, pending commits, workloads."""
    before, after = _text_parts(data)
    return _text_of(data, before, after)


def _text_of(data: dict[str, Any], before: str, after: str) -> str:
    """The text output from its parts that do not change with the clock (``before`` and ``after``
    the snapshot line) and those that do: the first line, the snapshot line, the problem notes."""
    snap = data["snapshot"]
    lines = [
        wrap_line(f"Site {data['site']}: {headline(data)}"),
        before,
        wrap_line(_snapshot_line(snap)),
        after,
    ]
    lines += [wrap_line(f"! {note}") for note in snap.get("problems") or []]
    return "\n".join(lines)


def _snapshot_line(snap: dict[str, Any]) -> str:
    from ecs_field.sites.status.clock import human_age

    if snap.get("taken_at"):
        stale = "  STALE" if snap.get("stale") else ""
        age = "dated in the future" if snap.get("future") else f"{human_age(snap.get('age_s'))} old"
        return f"  Snapshot     {age}, taken {snap['taken_at']}, from {snap.get('source')}{stale}"
    return "  Snapshot     none (fetch one with `ecs-field snapshot fetch SITE`)"


def _text_parts(data: dict[str, Any]) -> tuple[str, str]:
    """The lines between the first line and the snapshot line, and those after it (wrapped)."""
    lines: list[str] = []
    if data.get("sync_message"):
        lines.append(f"  {data['sync_message']}")
    repo = data["repo"]
    state = "uncommitted changes" if repo["dirty"] else "clean"
    upstream = ""
    if repo.get("ahead") is not None:
        upstream = f", {repo['ahead']} ahead / {repo['behind']} behind upstream"
    head = (repo.get("head") or "")[:8] or "(no commits)"
    lines.append(
        f"  Local HEAD   {head} on {repo.get('branch') or '(detached)'}"
        f" ({_when(repo.get('head_time'))}, {state}{upstream})"
    )
    applied = data.get("applied") or {}
    if applied.get("subject") is not None:
        lines.append(f"  Applied      {applied['commit'][:8]} {applied['subject']}")
        lines.append(f"               by {applied.get('author') or '?'}, {_when(applied.get('time'))}")
    else:
        lines.append(f"  Applied      {data.get('applied_revision') or '(not reported)'}")
        if applied.get("commit"):
            lines.append("               (not in the local clone: pull the site to see its message)")
    last_applied, last_failed = data.get("last_applied"), data.get("last_failed")
    if last_applied:
        lines.append(f"  Last applied {_when(last_applied.get('time'))}")
    if last_failed:
        what = last_failed.get("reason") or "failed"
        lines.append(
            f"  Last failed  {_when(last_failed.get('time'))} ({what}): {last_failed.get('message') or ''}"
        )
    if not last_applied and not last_failed and data.get("applied_revision"):
        lines.append("  Last applied (the snapshot carries no time for it)")
    before = "\n".join(wrap_line(line) for line in lines)
    lines = [f"  Repository   {repo['path']}"]
    if data["pending"]:
        lines.append("")
        lines.append("Pending commits (not applied on the host, newest first):")
        for commit in data["pending"]:
            files = ", ".join(commit["files"][:4]) + (" ..." if len(commit["files"]) > 4 else "")
            lines.append(f"  {commit['commit'][:8]}  {commit['subject']}")
            if files:
                lines.append(f"            {files}")
    if data["kustomizations"]:
        lines.append("")
        lines.append("Kustomizations:")
        rows = [
            [
                k["name"],
                {True: "True", False: "False"}.get(k["ready"], "Unknown"),
                "yes" if k.get("suspended") else "no",
                _short_revision(k.get("revision")),
            ]
            for k in data["kustomizations"]
        ]
        rendered = fit_table(rows, ["NAME", "READY", "SUSPENDED", "REVISION"], WIDTH - 2).splitlines()
        lines.append("  " + rendered[0])
        for row_line, k in zip(rendered[1:], data["kustomizations"], strict=True):
            lines.append("  " + row_line)
            reason = " ".join(p for p in (k.get("reason") or "", k.get("message") or "") if p)
            if reason and k.get("ready") is not True:
                lines.append("      " + reason)
    if data["workloads"]:
        lines.append("")
        counts = data.get("counts") or {}
        summary = ", ".join(f"{n} {word}" for word, n in counts.items() if n)
        lines.append(f"Workloads ({summary}):")
        rows = [
            [
                w["health"].upper(),
                w["kind"],
                f"{w['namespace']}/{w['name']}" if w["namespace"] else w["name"],
                " ".join(str(w["desired"]).split()),
                " ".join(str(w["observed"]).split()),
            ]
            for w in data["workloads"]
        ]
        rendered = fit_table(rows, ["HEALTH", "KIND", "NAME", "DESIRED", "OBSERVED"], WIDTH - 2).splitlines()
        lines.append("  " + rendered[0])
        for row_line, workload in zip(rendered[1:], data["workloads"], strict=True):
            lines.append("  " + row_line)
            if workload["message"] and (workload["health"] != "current" or "pending" in workload["message"]):
                lines.append("      " + " ".join(str(workload["message"]).split()))
    events = data.get("events") or []
    if events:
        lines.append("")
        lines.append(f"Events (newest first, {len(events)} shown; xN = seen N times):")
        for event in events:
            count = f" x{event['count']}" if event.get("count", 1) > 1 else ""
            lines.append(
                f"  {_when(event.get('time'))}  {event.get('type') or '-'} {event.get('reason') or '-'}"
                f"{count}  {event.get('object')}"
            )
            if event.get("message"):
                lines.append("      " + " ".join(str(event["message"]).split()))
    return before, "\n".join(wrap_line(line) for line in lines)


# The JSON output with the snapshot's value cut out: the rest does not change with the clock.
_SNAPSHOT_MARK = "\x00ecs-field:snapshot\x00"


def _json_parts(document: dict[str, Any]) -> list[str]:
    """[text before the snapshot's value, text after it] of print_json(document)."""
    import json

    needle = '\n  "snapshot": ' + json.dumps(_SNAPSHOT_MARK)
    text = json.dumps({**document, "snapshot": _SNAPSHOT_MARK}, indent=2, default=str)
    before, found, after = text.partition(needle)
    if not found:
        raise ValueError("the status document has no snapshot")
    return [before + '\n  "snapshot": ', after]


def _json_of(parts: list[str], snap: dict[str, Any]) -> str:
    """What print_json writes for the document: the snapshot's value indented one level."""
    import json

    return parts[0] + json.dumps(snap, indent=2, default=str).replace("\n", "\n  ") + parts[1] + "\n"


def fit_table(rows: list[list[str]], headers: list[str], width: int) -> str:
    """A table no wider than ``width``: the widest columns give way first, cells cut with "…".
    Only names and summaries sit in tables; reasons are printed in full on their own lines."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    floor = [max(len(h), 6) for h in headers]
    while sum(widths) + 2 * (len(widths) - 1) > width:
        candidates = [i for i, w in enumerate(widths) if w > floor[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
    fitted = [[_clip(cell, width) for cell, width in zip(row, widths, strict=True)] for row in rows]
    return table(fitted, [h[: widths[i]] for i, h in enumerate(headers)])


def wrap_line(line: str, width: int = WIDTH) -> str:
    """Fit ``line`` into ``width`` columns by wrapping at spaces (a long word is broken, never dropped);
    continuation lines keep the line's indent plus four."""
    import textwrap

    if len(line) <= width:
        return line
    indent = " " * (len(line) - len(line.lstrip(" ")) + 4)
    indent = indent if len(indent) < width // 2 else "    "
    return "\n".join(
        textwrap.wrap(
            line,
            width=width,
            subsequent_indent=indent,
            break_long_words=True,
            break_on_hyphens=False,
            drop_whitespace=True,
        )
    )


def _when(value: Any) -> str:
    text = str(value or "")
    if not text:
        return "(time unknown)"
    return text.replace("T", " ").replace("Z", " UTC").replace("+00:00", " UTC")


def _short_revision(revision: str | None) -> str:
    from ecs_field.sites.status.revision import parse_revision

    parsed = parse_revision(revision)
    if parsed is None:
        return "-"
    if parsed.sha:
        return f"{parsed.ref + '@' if parsed.ref else ''}{parsed.sha[:8]}"
    return parsed.raw


def _clip(text: str, width: int) -> str:
    text = str(text)
    if len(text) <= width and text.isprintable():  # the common case, without splitting
        return text
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
