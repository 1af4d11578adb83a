"""``ecs-field sites list|add|remove|pull`` and ``ecs-field lint`` (DESIGN.md section 4).

sites pull exit codes: 0 cloned / updated / already up to date, 1 not updated because the
clone has local commits the remote lacks (diverged) or uncommitted changes, 2 bad input,
3 network error. lint exit codes: 0 no errors (warnings allowed), 1 errors found, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ecs_field.commands.output import print_json, say
from ecs_field.errors import BadInput
from ecs_field.events import Progress
from ecs_field.sites.registry import Host, Registry, Site, local_repo_path


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    sites = subparsers.add_parser(
        "sites",
        help="the sites you look after: list, add, remove, pull their Git repositories",
        description="Manage sites: each is a Git repository (URL or local folder), the folder the hosts "
        "sync, and the hosts' API addresses. Stored in sites.yaml in the app's config folder; tokens are "
        "never stored, only the name of the variable that holds them.",
    )
    sub = sites.add_subparsers(dest="sites_command", metavar="ACTION", required=True)

    ls = sub.add_parser(
        "list",
        help="the fleet: each site's sync, health, snapshot age and last error",
        description="List the registered sites with what their last `status` found: sync (in-sync, "
        "behind, ahead, diverged, failed, suspended, unknown), health (healthy, degraded, progressing, "
        "unknown), the snapshot's age and the last error. Reads only cached files: run `status SITE` "
        "(or open the site in the app) to refresh a site's line.",
    )
    ls.add_argument("--json", action="store_true", help="print the sites as a JSON array")
    ls.set_defaults(handler=run_list)

    add = sub.add_parser(
        "add",
        help="register a site",
        description="Register a site. --repo takes a Git URL (cloned by `sites pull`) or a local folder.",
    )
    _site_options(add, editing=False)
    add.set_defaults(handler=run_add)

    edit = sub.add_parser(
        "edit",
        help="change a registered site (only the options given change)",
        description="Change a site's repository, branch, path, host APIs, token variable, release, CA or "
        "inventory. Only the options given change; give an option an empty value (--branch '') to "
        "clear it. --api replaces the site's hosts (give it twice for two hosts).",
    )
    _site_options(edit, editing=True)
    edit.set_defaults(handler=run_edit)

    rm = sub.add_parser(
        "remove",
        help="forget a site",
        description="Remove a site from the list. "
        "A clone the app made is kept on disk; its folder is printed.",
    )
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(handler=run_remove)

    pull = sub.add_parser(
        "pull",
        help="clone or update a site's repository (fast-forward only)",
        description="Clone the site's repository if needed, else fetch and fast-forward. Never merges and "
        "never discards local work: a diverged or dirty clone is reported and left as it is (exit 1).",
    )
    pull.add_argument("name", metavar="NAME")
    pull.set_defaults(handler=run_pull)


# ---------------------------------------------------------------------------------------------- sites


def _site_options(parser: argparse.ArgumentParser, *, editing: bool) -> None:
    """The options of `sites add`, shared by `sites edit` (where nothing given means "unchanged")."""
    unset = None if editing else ""
    parser.add_argument("name", metavar="NAME", help="short name: lower-case letters, digits, - . _")
    parser.add_argument(
        "--repo",
        required=not editing,
        default=None,
        metavar="PATH_OR_URL",
        help="Git URL or local clone folder",
    )
    parser.add_argument(
        "--branch", metavar="B", default=unset, help="branch the hosts follow (default: the remote's)"
    )
    parser.add_argument(
        "--path",
        metavar="P",
        default=None if editing else "./",
        help="folder inside the repository the hosts sync",
    )
    parser.add_argument(
        "--api",
        metavar="URL",
        action="append",
        default=None if editing else [],
        help="a host's API address (https://HOST:PORT); give it twice for two hosts",
    )
    parser.add_argument(
        "--token-env",
        metavar="VAR",
        default=unset,
        help="environment variable holding the API / Git token (the token is never stored)",
    )
    parser.add_argument("--release", metavar="R", default=unset, help="ECS release the site runs")
    parser.add_argument(
        "--ca",
        metavar="FILE",
        default=unset,
        help="CA certificate (PEM) the hosts' API certificates are checked against",
    )
    parser.add_argument(
        "--inventory",
        metavar="FILE",
        default=None,
        help="the site's hardware inventory (for `lint`): any file `check` takes",
    )


def run_list(args: argparse.Namespace) -> int:
    from ecs_field.sites.registry import repos_dir
    from ecs_field.sites.status.fleet import fleet_counts, site_overview

    registry = Registry.load()
    overview = {row.name: row for row in site_overview(registry.names())}
    rows = []
    repos = repos_dir()
    for site in registry.sites:
        local = local_repo_path(site, repos)
        state = overview[site.name]
        rows.append(
            {
                **site.to_dict(),
                "local_path": str(local),
                "cloned": (local / ".git").exists(),
                **state.to_dict(),
            }
        )
    if args.json:
        # DESIGN.md section 4: a JSON array of sites (each with sync, health, snapshot_age_s, last_error).
        print_json(rows)
        return 0
    if not rows:
        say("No sites yet. Add one: ecs-field sites add NAME --repo URL_OR_FOLDER [--api https://HOST:6443]")
        return 0
    sys.stdout.write(render_fleet(rows, fleet_counts(list(overview.values()))) + "\n")
    return 0


def render_fleet(rows: list[dict[str, Any]], counts: dict[str, dict[str, int]]) -> str:
    """One line per site (sync, health, snapshot age, local clone, repo), its last error below it."""
    from ecs_field.commands.status import WIDTH, fit_table, wrap_line
    from ecs_field.sites.status.snapshot import human_age

    table_rows = []
    for r in rows:
        sync = r["sync"].upper()
        if r["sync"] == "behind" and r["commits_behind"]:
            sync += f" {r['commits_behind']}"
        elif r["sync"] == "ahead" and r["commits_ahead"]:
            sync += f" {r['commits_ahead']}"
        elif r["sync"] == "diverged":
            sync += f" +{r['commits_ahead']}/-{r['commits_behind']}"
        if r["snapshot_taken_at"] is None:
            age = "none"
        elif r["snapshot_age_s"] is None:
            age = "future!"
        else:
            age = human_age(r["snapshot_age_s"]) + (" stale" if r["stale"] else "")
        hosts = [h["api"] for h in r.get("hosts") or []]
        host = (hosts[0] + (f" +{len(hosts) - 1}" if len(hosts) > 1 else "")) if hosts else "-"
        table_rows.append(
            [
                r["name"],
                sync,
                r["health"].upper(),
                age,
                "yes" if r["cloned"] else "no",
                host,
                _left_clip(r["repo"], 40),
            ]
        )
    rendered = fit_table(
        table_rows, ["NAME", "SYNC", "HEALTH", "SNAPSHOT", "CLONED", "HOST API", "REPO"], WIDTH
    ).splitlines()
    lines = [rendered[0]]
    for line, r in zip(rendered[1:], rows, strict=True):
        lines.append(line)
        for text in ([r["last_error"]] if r["last_error"] else []) + list(r.get("problems") or []):
            lines.append(wrap_line("    " + " ".join(str(text).split())))
    sync_words = ", ".join(f"{n} {word}" for word, n in sorted(counts["sync"].items()))
    health_words = ", ".join(f"{n} {word}" for word, n in sorted(counts["health"].items()))
    lines.append("")
    lines.append(wrap_line(f"{len(rows)} site{'s' if len(rows) != 1 else ''}: {sync_words} · {health_words}"))
    return "\n".join(lines)


def _left_clip(text: str, width: int) -> str:
    # The end of a repository path or URL names it; its start is the same for every site.
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _repo_value(repo: str) -> str:
    repo = repo.strip()
    if not Site("probe", repo).is_remote:
        folder = Path(repo).expanduser()
        if not folder.is_dir():
            raise BadInput(
                f"--repo {repo}: no such folder",
                "Give an existing clone's folder, or a Git URL (https://..., git@host:org/repo.git).",
            )
        return str(folder.resolve())
    return repo


def _hosts_value(apis: list[str], token_env: str) -> tuple[Host, ...]:
    return tuple(
        Host(f"host-{i + 1}", url.strip(), f"env:{token_env}" if token_env else "")
        for i, url in enumerate(apis)
    )


def _file_value(option: str, given: str, hint: str) -> str:
    if not given:
        return ""
    path = Path(given).expanduser()
    if not path.is_file():
        raise BadInput(f"{option} {given}: no such file", hint)
    return str(path.resolve())


def _ca_value(given: str) -> str:
    value = _file_value("--ca", given, "Give the host CA certificate as a PEM file.")
    if value:
        from ecs_field.sites.status.tls import check_ca_file

        check_ca_file(Path(value), option="--ca")
    return value


def run_add(args: argparse.Namespace) -> int:
    token_env = args.token_env.strip()
    site = Site(
        name=args.name,
        repo=_repo_value(args.repo),
        branch=args.branch.strip(),
        path=args.path.strip() or "./",
        hosts=_hosts_value(args.api, token_env),
        token_env=token_env,
        release=args.release.strip(),
        inventory=_file_value("--inventory", args.inventory or "", "Give an inventory JSON or a dump file.")
        or None,
        ca_file=_ca_value(args.ca),
    )
    Registry.load().add(site)
    say(f"Added site {site.name} ({site.repo}).")
    if site.is_remote:
        say(f"Clone it with: ecs-field sites pull {site.name}")
    return 0


def run_edit(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    if args.repo is not None:
        changes["repo"] = _repo_value(args.repo)
    if args.branch is not None:
        changes["branch"] = args.branch.strip()
    if args.path is not None:
        changes["path"] = args.path.strip() or "./"
    if args.token_env is not None:
        changes["token_env"] = args.token_env.strip()
    if args.release is not None:
        changes["release"] = args.release.strip()
    if args.ca is not None:
        changes["ca_file"] = _ca_value(args.ca)
    if args.inventory is not None:
        changes["inventory"] = (
            _file_value("--inventory", args.inventory, "Give an inventory JSON or a dump file.") or None
        )
    registry = Registry.load()
    current = registry.get(args.name)
    if args.api is not None:
        token_env = changes.get("token_env", current.token_env)
        changes["hosts"] = _hosts_value([a for a in args.api if a.strip()], token_env)
    elif "token_env" in changes:
        # The hosts' token references follow the site's variable unless they name their own.
        old = f"env:{current.token_env}" if current.token_env else ""
        new = f"env:{changes['token_env']}" if changes["token_env"] else ""
        changes["hosts"] = tuple(
            Host(h.name, h.api, new if h.token_ref == old else h.token_ref) for h in current.hosts
        )
    if not changes:
        raise BadInput(
            f"nothing to change for site {args.name}",
            "Give at least one option, e.g. `ecs-field sites edit NAME --api https://HOST:6443`.",
        )
    site = registry.update_fields(args.name, **changes)
    said = ", ".join(sorted("api" if k == "hosts" else k for k in changes))
    say(f"Changed site {site.name}: {said}.")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    site = Registry.load().remove(args.name)
    say(f"Removed site {site.name}.")
    local = local_repo_path(site)
    if site.is_remote and local.exists():
        say(f"Its clone is kept at {local}; delete the folder yourself if you no longer need it.")
    return 0


def _token(site: Site) -> str | None:
    if site.token_env:
        value = os.environ.get(site.token_env)
        if value:
            return value
    if site.token_keyring:
        try:
            import keyring

            return keyring.get_password(site.token_keyring, site.name)
        except Exception:  # a missing keyring backend must not stop a pull
            return None
    return None


def _progress_printer() -> Any:
    interactive = sys.stderr.isatty()
    last = {"message": ""}

    def show(event: Progress) -> None:
        text = event.message
        if event.bytes_total:
            text += f" {event.bytes_done}/{event.bytes_total}"
        if interactive:
            sys.stderr.write("\r" + text[:100].ljust(100))
            sys.stderr.flush()
        elif event.message != last["message"]:
            say(event.message)
        last["message"] = event.message

    return show


def run_pull(args: argparse.Namespace) -> int:
    from ecs_field.sites.repo.gitrepo import SiteRepo

    site = Registry.load().get(args.name)
    local = local_repo_path(site)
    progress = _progress_printer()
    token = _token(site)
    try:
        if site.is_remote and not (local / ".git").exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            repo = SiteRepo.clone(
                site.repo, local, branch=site.branch or None, progress=progress, token=token
            )
            _end_progress()
            head = repo.head()
            print(f"Cloned {site.repo} into {local}")
            when = f"{head.time:%Y-%m-%d %H:%M %z}"
            print(f"  {repo.branch or '(detached)'} at {head.short} {head.subject} ({when})")
            return 0
        repo = SiteRepo(local)
        if not repo.repo.remotes:
            print(f"{local} has no remote; nothing to pull (the folder is read as it is).")
            return 0
        result = repo.pull_ff_only(progress=progress, token=token)
    finally:
        _end_progress()
    if result.status == "fast-forwarded":
        span = f"{result.old_sha[:8]}..{result.new_sha[:8]}"
        print(f"Updated {site.name}: {span} ({len(result.commits)} new commit(s))")
        for commit in result.commits:
            files = ", ".join(commit.files[:4]) + (
                f" (+{len(commit.files) - 4} more)" if len(commit.files) > 4 else ""
            )
            print(f"  {commit.short} {commit.time:%Y-%m-%d %H:%M} {commit.author}: {commit.subject}")
            if files:
                print(f"      {files}")
        return 0
    if result.ok:
        print(f"{site.name}: {result.message}")
        return 0
    say(f"ecs-field: {site.name} was not updated: {result.message}")
    return 1


def _end_progress() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r" + " " * 100 + "\r")
        sys.stderr.flush()


# ---------------------------------------------------------------------------------------------- lint
# Moved to ecs_field/commands/lint.py; these names stay importable from here.
from ecs_field.commands.lint import _print_report, escape_text, run_lint  # noqa: E402,F401
