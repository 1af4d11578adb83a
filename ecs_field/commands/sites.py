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

from ecs_field.commands.output import print_json, say, table
from ecs_field.errors import BadInput
from ecs_field.events import Progress
from ecs_field.sites.findings import Finding
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

    ls = sub.add_parser("list", help="list sites", description="List the registered sites.")
    ls.add_argument("--json", action="store_true", help="print the sites as JSON")
    ls.set_defaults(handler=run_list)

    add = sub.add_parser(
        "add",
        help="register a site",
        description="Register a site. --repo takes a Git URL (cloned by `sites pull`) or a local folder.",
    )
    add.add_argument("name", metavar="NAME", help="short name: lower-case letters, digits, - . _")
    add.add_argument("--repo", required=True, metavar="PATH_OR_URL", help="Git URL or local clone folder")
    add.add_argument(
        "--branch", metavar="B", default="", help="branch the hosts follow (default: the remote's)"
    )
    add.add_argument("--path", metavar="P", default="./", help="folder inside the repository the hosts sync")
    add.add_argument(
        "--api",
        metavar="URL",
        action="append",
        default=[],
        help="a host's API address (https://HOST:PORT); give it twice for two hosts",
    )
    add.add_argument(
        "--token-env",
        metavar="VAR",
        default="",
        help="environment variable holding the API / Git token (the token is never stored)",
    )
    add.add_argument("--release", metavar="R", default="", help="ECS release the site runs")
    add.add_argument(
        "--ca",
        metavar="FILE",
        default="",
        help="CA certificate (PEM) the hosts' API certificates are checked against",
    )
    add.add_argument(
        "--inventory",
        metavar="FILE",
        default=None,
        help="the site's hardware inventory (for `lint`): any file `check` takes",
    )
    add.set_defaults(handler=run_add)

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

    lint = subparsers.add_parser(
        "lint",
        help="check a site repository's manifests before they reach a host",
        description="Lint ECS GitOps manifests: structure, references (VM classes, ConfigMaps, namespaces), "
        "host networking safety (management uplinks), plaintext passwords, and with --inventory the "
        "hardware fit (NIC names, USB NIC boot scan, CPU/memory). PATH: a folder (or a registered site's "
        "name). Exit 0 no errors, 1 errors found, 2 bad input.",
    )
    lint.add_argument("path", metavar="PATH", help="repository folder, a folder inside it, or a site name")
    lint.add_argument(
        "--inventory",
        metavar="FILE",
        type=Path,
        action="append",
        default=None,
        help="the box's inventory JSON or a raw dump (anything `check` takes); repeat it for several "
        "dumps of the same box (--inventory lspci.txt --inventory dmidecode.txt), merged like `check`",
    )
    lint.add_argument("--json", action="store_true", help="print findings as JSON")
    lint.set_defaults(handler=run_lint)


# ---------------------------------------------------------------------------------------------- sites


def run_list(args: argparse.Namespace) -> int:
    registry = Registry.load()
    rows = []
    for site in registry.sites:
        local = local_repo_path(site)
        rows.append({**site.to_dict(), "local_path": str(local), "cloned": (local / ".git").exists()})
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        say("No sites yet. Add one: ecs-field sites add NAME --repo URL_OR_FOLDER [--api https://HOST:6443]")
        return 0
    print(
        table(
            [
                [
                    r["name"],
                    r["repo"],
                    r.get("branch") or "(default)",
                    r["path"],
                    ", ".join(h["api"] for h in r["hosts"]) or "-",
                    "yes" if r["cloned"] else "no",
                ]
                for r in rows
            ],
            ["NAME", "REPO", "BRANCH", "PATH", "HOSTS", "LOCAL"],
        )
    )
    return 0


def run_add(args: argparse.Namespace) -> int:
    repo = args.repo.strip()
    site_probe = Site(args.name, repo)
    if not site_probe.is_remote:
        folder = Path(repo).expanduser()
        if not folder.is_dir():
            raise BadInput(
                f"--repo {repo}: no such folder",
                "Give an existing clone's folder, or a Git URL (https://..., git@host:org/repo.git).",
            )
        repo = str(folder.resolve())
    hosts = tuple(
        Host(f"host-{i + 1}", url.strip(), f"env:{args.token_env}" if args.token_env else "")
        for i, url in enumerate(args.api)
    )
    inventory: str | None = None
    if args.inventory:
        inventory_path = Path(args.inventory).expanduser()
        if not inventory_path.is_file():
            raise BadInput(
                f"--inventory {args.inventory}: no such file", "Give an inventory JSON or a dump file."
            )
        inventory = str(inventory_path.resolve())
    ca_file = ""
    if args.ca:
        ca_path = Path(args.ca).expanduser()
        if not ca_path.is_file():
            raise BadInput(f"--ca {args.ca}: no such file", "Give the host CA certificate as a PEM file.")
        ca_file = str(ca_path.resolve())
    site = Site(
        name=args.name,
        repo=repo,
        branch=args.branch.strip(),
        path=args.path.strip() or "./",
        hosts=hosts,
        token_env=args.token_env.strip(),
        release=args.release.strip(),
        inventory=inventory,
        ca_file=ca_file,
    )
    Registry.load().add(site)
    say(f"Added site {site.name} ({site.repo}).")
    if site.is_remote:
        say(f"Clone it with: ecs-field sites pull {site.name}")
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


def _load_inventory(paths: list[Path]) -> Any:
    """One box from one or more files, merged exactly as `check FILE...` merges them."""
    from ecs_field.compat.boxes import load_box

    for path in paths:
        if not path.exists():
            raise BadInput(
                f"--inventory {path}: no such file", "Give an inventory JSON (ecs-field probe -o) or a dump."
            )
    return load_box(paths)


def _lint_target(given: str) -> tuple[Path, str | None, Any]:
    """(root, subpath, inventory file) for a folder or a registered site's name."""
    path = Path(given).expanduser()
    if path.exists():
        return path, None, None
    registry = Registry.load()
    site = registry.find(given)
    if site is None:
        raise BadInput(
            f"{given}: no such folder or site",
            "Give the folder of a site repository, or the name of a site (ecs-field sites list).",
        )
    local = local_repo_path(site)
    if not local.exists():
        raise BadInput(f"site {site.name} is not cloned yet", f"Run: ecs-field sites pull {site.name}")
    return local, site.path, site.inventory


def run_lint(args: argparse.Namespace) -> int:
    from ecs_field.sites.lint.linter import lint

    root, subpath, site_inventory = _lint_target(args.path)
    inventory = None
    if args.inventory:
        inventory = _load_inventory(list(args.inventory))
    elif isinstance(site_inventory, str):
        inventory = _load_inventory([Path(site_inventory)])
    elif isinstance(site_inventory, dict):
        from ecs_field.hardware.inventory import Inventory

        try:
            inventory = Inventory.from_dict(site_inventory)
        except (ValueError, TypeError) as exc:
            raise BadInput(
                f"the inventory stored with the site is unreadable: {exc}",
                "Re-import it from the Hardware page or pass --inventory FILE.",
            ) from exc
    if root.is_file():
        raise BadInput(f"{root} is a file", "Give the repository folder (or a folder inside it).")
    report = lint(root, subpath, inventory)
    if args.json:
        print_json(report.to_dict())
    else:
        _print_report(report.findings, report.counts, report.objects, report.files, inventory is not None)
    return 1 if report.has_errors else 0


def _print_report(
    findings: list[Finding], counts: dict[str, int], objects: int, files: int, hw: bool
) -> None:
    for f in findings:
        where = f"{f.file}:{f.line}" if f.line else f.file or "(repository)"
        subject = f" {f.object}:" if f.object else ""
        print(f"{where}: {f.severity} [{f.rule}]{subject} {f.message}")
        if f.hint:
            print(f"    hint: {f.hint}")
    summary = (
        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info "
        f"in {objects} object(s) from {files} file(s)"
    )
    if not hw:
        summary += "; hardware fit not checked (add --inventory FILE)"
    print(summary)
