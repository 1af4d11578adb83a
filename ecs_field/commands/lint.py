"""``ecs-field lint PATH [--inventory FILE]... [--json] [--no-cache]`` (DESIGN.md section 4).

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 bad input (not a folder, a FIFO or
device, a bare repository without commits, a site that is not cloned).

Kept apart from the ``sites`` commands so that linting an unchanged tree answers from the
per-commit cache without importing the registry, YAML or the rules: the module imports only what
the cache check needs, and the linter only on a miss.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecs_field.errors import BadInput

if TYPE_CHECKING:  # argparse is loaded by cli only when the cache cannot answer
    import argparse


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    lint = subparsers.add_parser(
        "lint",
        help="check a site repository's manifests before they reach a host",
        description="Lint ECS GitOps manifests the way Flux applies them (each Kustomization's path, "
        "kustomization.yaml resources, targetNamespace, postBuild variables): structure, duplicates "
        "per applied set, references (VM classes, ConfigMaps, namespaces, chart sources), host "
        "networking safety (management uplinks), secrets in plain text, images without a pinned tag, "
        "deprecated APIs, and with --inventory the hardware fit (NIC names, USB NIC boot scan, "
        "CPU/memory). PATH: a folder, a bare repository (its branch is read), or a registered site's "
        "name. Exit 0 no errors, 1 errors found, 2 bad input.",
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
    lint.add_argument(
        "--no-cache",
        action="store_true",
        help="lint again even if this exact tree was linted before (a report is kept until a file, "
        "the commit, the inventory or the app changes)",
    )
    lint.set_defaults(handler=run_lint)


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
    if path.exists() or path.is_symlink():
        return path, None, None
    from ecs_field.sites.registry import Registry, local_repo_path

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


def _inventory(args: argparse.Namespace, site_inventory: Any) -> Any:
    if args.inventory:
        return _load_inventory(list(args.inventory))
    if isinstance(site_inventory, str):
        return _load_inventory([Path(site_inventory)])
    if isinstance(site_inventory, dict):
        from ecs_field.hardware.inventory import Inventory

        try:
            return Inventory.from_dict(site_inventory)
        except (ValueError, TypeError) as exc:
            raise BadInput(
                f"the inventory stored with the site is unreadable: {exc}",
                "Re-import it from the Hardware page or pass --inventory FILE.",
            ) from exc
    return None


def fast_main(argv: list[str]) -> int | None:
    """Run a plain ``lint PATH [--json]`` with as little as possible imported (cli.main calls this
    before it builds the parser and the log): a cache hit prints the stored output; a miss lints.

    None means "not answered here" and nothing was printed: any other argument, a site name, a
    path that is not a folder, or any error (a bad repository, a bug), so that the normal path runs
    as if this had not been tried and reports the error its own way (message, log, exit code).
    """
    as_json = False
    given = None
    for word in argv:
        if word == "--json" and not as_json:
            as_json = True
        elif given is None and word and not word.startswith("-"):
            given = word
        else:
            return None
    if given is None:
        return None
    try:
        from ecs_field.sites.lint import cache
        from ecs_field.sites.lint.tree import open_tree

        path = Path(given).expanduser()
        if not path.is_dir():
            return None
        tree = open_tree(path)
        digest = cache.key(tree, None, None)
        _PREPARED[str(path)] = (tree, digest)
        hit = cache.load(digest, as_json, tree)
        from ecs_field.logs import log_invocation_without_logging

        if not log_invocation_without_logging(["lint", *argv]):
            return None  # the log is due to rotate (or cannot be written): the normal path does it
        if hit is None:
            # The same work the normal path would do after argparse and the log (~10 ms) load.
            racy = cache.racy_digests(tree)
            code, text = _lint_text(path, None, None, tree, as_json)
            cache.store(digest, as_json, code, text, racy)
            hit = code, text.encode("utf-8", "surrogateescape")
            _before_exit()
            _write_out(hit[1])
            # Report and cache entry are written: freeing the parsed heap (~0.15 s after 20 MB) is
            # all the interpreter's teardown would still do.
            from ecs_field.process_exit import end_now

            return end_now(code)
        _write_out(hit[1])
        return hit[0]
    except KeyboardInterrupt:
        print("ecs-field: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # nothing printed yet: the normal path does it again and reports the error
        return None


def _lint_text(root: Path, subpath: str | None, inventory: Any, tree: Any, as_json: bool) -> tuple[int, str]:
    """(exit code, output) of a full lint; only the form asked for is rendered."""
    from ecs_field.sites.lint.linter import lint

    report = lint(root, subpath, inventory, tree=tree)
    document = report.to_dict()
    if as_json:
        text = render_json(document)
    else:
        text = render_text(document, report.objects, report.files, inventory is not None)
    return (1 if report.has_errors else 0), text


# What fast_main walked and keyed, by path: a miss does not walk the tree twice.
_PREPARED: dict[str, tuple[Any, str]] = {}


def _write_out(body: bytes) -> None:
    """Stored output to stdout: as bytes when stdout is UTF-8, else through its own encoding."""
    out = sys.stdout
    buffer = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", "") or "").lower().replace("-", "").replace("_", "")
    if buffer is not None and encoding == "utf8" and sys.platform != "win32":  # (Windows: \r\n)
        out.flush()
        buffer.write(body)
        buffer.flush()
    else:
        out.write(body.decode("utf-8", "surrogateescape"))
        out.flush()


def run_lint(args: argparse.Namespace) -> int:
    root, subpath, site_inventory = _lint_target(args.path)
    if root.is_file():
        raise BadInput(f"{root} is a file", "Give the repository folder (or a folder inside it).")
    inventory = _inventory(args, site_inventory)
    use_cache = not getattr(args, "no_cache", False)
    digest = ""
    tree = None
    if use_cache:
        from ecs_field.sites.lint import cache
        from ecs_field.sites.lint.tree import open_tree

        prepared = _PREPARED.pop(str(root), None) if subpath is None and inventory is None else None
        if prepared is not None:
            tree, digest = prepared
        else:
            tree = open_tree(root)
            digest = cache.key(tree, subpath, inventory)
        hit = cache.load(digest, bool(args.json), tree)
        if hit is not None:
            _write_out(hit[1])
            return hit[0]
        racy = cache.racy_digests(tree)
    exit_code, text = _lint_text(root, subpath, inventory, tree, bool(args.json))
    sys.stdout.write(text)
    sys.stdout.flush()
    if use_cache:
        from ecs_field.sites.lint import cache

        cache.store(digest, bool(args.json), exit_code, text, racy)
    _before_exit()
    return exit_code


def _before_exit() -> None:
    """The command is done and the process ends next: keep the collector off what lint left alive.

    The parse cache (manifests._parsed) holds every document until exit, and the interpreter's final
    collection walks all of it (~25 ms on 2,000 manifests, an eighth of parsing them). Freezing moves
    those objects out of the collector's sight; the memory goes back when the process ends.
    """
    import gc

    gc.freeze()


def render_json(document: dict[str, Any]) -> str:
    """The ``--json`` document, one finding per line.

    ``json.dumps(indent=2)`` falls back to the pure-Python encoder (a tenth of a second for a few
    thousand findings); this keeps the C encoder for each item and stays readable.
    """
    import json

    encode = json.JSONEncoder(default=str).encode  # json.dumps(v, default=str) without a new encoder each
    parts = ["{"]
    keys = list(document)
    for k, key in enumerate(keys):
        value = document[key]
        end = "," if k < len(keys) - 1 else ""
        if isinstance(value, list):
            items = ",\n".join("    " + encode(v) for v in value)
            parts.append(f'  "{key}": [' + (f"\n{items}\n  ]" if value else "]") + end)
        else:
            parts.append(f'  "{key}": {encode(value)}{end}')
    parts.append("}")
    return "\n".join(parts) + "\n"


# C0/C1 controls, DEL, and the Unicode characters that move or reorder text on a terminal: a file
# name from a repository must not be able to rewrite the lines around it.
_UNSAFE = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | {
    c: f"\\u{c:04x}" for c in (0x2028, 0x2029, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def escape_text(text: str) -> str:
    """``text`` with control characters shown as \\xNN (for one-line terminal output)."""
    return str(text).translate(_UNSAFE)


def render_text(document: dict[str, Any], objects: int, files: int, hw: bool) -> str:
    """The text report: one line per finding (and its hint), then the counts."""
    e = escape_text
    out = []
    for f in document["findings"]:
        where = f"{e(f['file'])}:{f['line']}" if f["line"] else e(f["file"]) or "(repository)"
        subject = f" {e(f['object'])}:" if f["object"] else ""
        out.append(f"{where}: {f['severity']} [{e(f['rule'])}]{subject} {e(f['message'])}")
        if f["hint"]:
            out.append(f"    hint: {e(f['hint'])}")
    counts = document["counts"]
    summary = (
        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info "
        f"in {objects} object(s) from {files} file(s)"
    )
    if not hw:
        summary += "; hardware fit not checked (add --inventory FILE)"
    out.append(summary)
    return "\n".join(out) + "\n"


def _print_report(document: dict[str, Any], objects: int, files: int, hw: bool) -> None:
    """Kept for commands.sites, which re-exports it."""
    sys.stdout.write(render_text(document, objects, files, hw))
