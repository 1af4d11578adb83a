"""``ecs-field check`` (hardware verdict) and ``ecs-field catalog`` (what the catalog holds).

Exit codes of check: 0 supported, 1 supported with actions, 3 not supported, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Any

from ecs_field import paths
from ecs_field.commands.output import print_json, say, table
from ecs_field.compat.catalog import Catalog, load_catalog
from ecs_field.compat.verdict import Verdict, evaluate
from ecs_field.errors import BadInput
from ecs_field.hardware.inventory import Inventory

VERDICT_LINE = {
    "supported": "SUPPORTED",
    "actions-required": "SUPPORTED AFTER ACTIONS",
    "unsupported": "NOT SUPPORTED",
}
STATUS_TAG = {"pass": "[PASS]        ", "warn": "[ACTION]      ", "fail": "[FAIL]        "}
NOT_CHECKED_TAG = "[NOT CHECKED] "
INDENT = " " * 17
WIDTH = 100


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    check = subparsers.add_parser(
        "check",
        help="check a box against an ESXi release: verdict, fixes, NIC table",
        description="Check hardware for ECS/ESXi. FILE: inventory JSON (ecs-field probe -o) or raw text of "
        "lspci -nn / lspci -vvnn / lsusb / lsusb -v / dmidecode / esxcli network nic list / esxcli hardware "
        "pci list; several files merge into one box. Without FILE, this machine is probed. "
        "Exit 0 supported, 1 supported with actions, 3 not supported, 2 bad input.",
    )
    check.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help="inventory JSON or raw dumps of ONE box"
    )
    check.add_argument(
        "--release",
        "-r",
        metavar="R",
        help="ESXi release (default: the catalog's default; see ecs-field catalog)",
    )
    check.add_argument(
        "--uplinks",
        type=int,
        default=1,
        metavar="N",
        choices=range(1, 9),
        help="usable NICs the site needs (e.g. 2 for separate management and VM uplinks); fewer is an "
        "action with recommended adapters (default 1)",
    )
    check.add_argument("--json", action="store_true", help="print the verdict as JSON (ecs-field/verdict@1)")
    check.set_defaults(handler=run_check)

    cat = subparsers.add_parser(
        "catalog",
        help="hardware catalog version, releases, counts and override errors",
        description="Show the hardware catalog: version, ESXi releases, entry counts, the override folder "
        f"({_override_dir_hint()}) and any problems found in it.",
    )
    cat.add_argument("--json", action="store_true", help="print as JSON")
    cat.set_defaults(handler=run_catalog)


def _override_dir_hint() -> str:
    return "catalog.d in the app's config folder"


def inventory_for(files: list[Path], catalog: Catalog) -> Inventory:
    """The inventory from files, or from probing this machine when there are none."""
    if files:
        from ecs_field.hardware.importer import load_inputs

        return load_inputs(files, usb_nic_ids=catalog.usb_nic_ids())
    from ecs_field.hardware.probe import probe_local

    return probe_local(usb_nic_ids=catalog.usb_nic_ids())


def run_check(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    for error in catalog.errors:
        say(f"ecs-field: catalog: {error}")
    release = catalog.release(args.release)  # BadInput lists the known releases
    # Read (and refuse) the input before announcing the check, so a bad file's message stands alone.
    inventory = inventory_for(list(args.files), catalog)
    if args.release is None:
        say(
            f"Checking against {release.name} ({release.id}), the catalog's default release; "
            "choose another with --release."
        )
    verdict = evaluate(inventory, catalog, release, uplinks_needed=getattr(args, "uplinks", 1) or 1)
    if args.json:
        print_json(verdict.to_dict())
    else:
        sys.stdout.write(format_human(verdict, default_release=args.release is None))
        sys.stdout.flush()
    return verdict.exit_code


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        text,
        width=WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def format_human(verdict: Verdict, *, default_release: bool = False) -> str:
    doc = verdict.to_dict()
    platform = doc["platform"]
    box = (
        " ".join(x for x in (platform["vendor"], platform["product"] or platform["board"]) if x)
        or "unidentified box"
    )
    family = (
        f" ({platform['family']}, matched by DMI {platform['matched_by']})" if platform["matched"] else ""
    )
    lines = [
        f"ECS hardware check: {box}{family}",
        f"Release: {verdict.release.name} ({verdict.release.id})"
        + (" — the default, choose with --release" if default_release else "")
        + f" · catalog {verdict.catalog_version}",
        "",
        f"Verdict: {VERDICT_LINE[verdict.verdict]}: {verdict.summary}",
        "",
        "Checks",
    ]

    # fails first, then actions, then what was not checked, then passes
    def rank(check: Any) -> int:
        return {"fail": 0, "warn": 2 if check.not_checked else 1, "pass": 3}.get(check.status, 4)

    for check in sorted(verdict.checks, key=rank):
        tag = NOT_CHECKED_TAG if check.not_checked else STATUS_TAG.get(check.status, "[?]           ")
        lines.append(f"  {tag} {check.title}")
        if check.detail:
            lines.append(_wrap(check.detail, INDENT))
        if check.seen and check.status != "pass":
            lines.append(_wrap(f"Seen: {check.seen}", INDENT))
        if check.fix:
            label = "How to check" if check.not_checked else "Fix"
            lines.append(_wrap(f"{label}: {check.fix}", INDENT))
    if verdict.not_checked:
        lines += [
            "",
            _wrap(
                "NOT CHECKED means no input carries that fact: it is neither a pass nor a fail. "
                "Verify it on the box as described, or add the input named, and check again.",
                "  ",
            ),
        ]
    lines += ["", "Network adapters"]
    if verdict.nics:
        rows = [
            [
                n.esxi_name or "-",
                n.name or "-",
                n.chip or "unknown device",
                f"{n.bus.upper()} {n.id}",
                n.link,
                n.driver or "-",
                n.support,
                n.component or "-",
            ]
            for n in verdict.nics
        ]
        header = ["ESXI NAME", "OS NAME", "CHIP", "ID", "LINK", "DRIVER", "SUPPORT", "COMPONENT"]
        lines += ["  " + line for line in table(rows, header).splitlines()]
    else:
        lines.append("  none in the input")
    if verdict.recommendations:
        lines += ["", "Recommended network adapters for " + verdict.release.name]
        lines.append(_wrap(verdict.recommendations[0].reason, "  "))
        rows = [
            [
                r.chip,
                f"{r.bus.upper()} {r.id}",
                f"{r.speed_mbps} Mb/s" if r.speed_mbps else "-",
                r.driver,
                r.component or "inbox",
                r.confidence,
            ]
            for r in verdict.recommendations
        ]
        header = ["CHIP", "ID", "SPEED", "DRIVER", "ADD TO IMAGE", "CONFIDENCE"]
        lines += ["  " + line for line in table(rows, header).splitlines()]
    if verdict.input_warnings:
        lines += ["", "Input warnings (tolerated while reading the files)"]
        for warning in verdict.input_warnings:
            where = warning["file"] + (f":{warning['line']}" if warning.get("line") else "")
            lines.append(_wrap(f"{where}: {warning['message']} [{warning['kind']}]", "  "))
    if doc["notes"]:
        lines += ["", "Notes"] + [_wrap(note, "  ") for note in doc["notes"]]
    return "\n".join(lines) + "\n"


def catalog_document(catalog: Catalog) -> dict[str, Any]:
    default = catalog.default_release if catalog.releases else None
    return {
        "version": catalog.version,
        "title": catalog.title,
        "default_release": default.id if default else None,
        "releases": [
            {
                "id": r.id,
                "name": r.name,
                "inbox_drivers": sorted(r.inbox_drivers),
                "inbox_unconfirmed": sorted(r.inbox_unconfirmed),
                "confidence": r.confidence,
            }
            for r in catalog.releases
        ],
        "components": [
            {
                "id": c.id,
                "name": c.name,
                "version": c.version,
                "releases": list(c.releases) or None,
                "esxi": c.esxi or None,
            }
            for c in catalog.components
        ],
        "counts": catalog.counts(),
        "files": [str(p) for p in catalog.files],
        "override_dir": str(paths.catalog_override_dir()),
        "override_files": [str(p) for p in catalog.override_files],
        "errors": list(catalog.errors),
    }


def run_catalog(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    doc = catalog_document(catalog)
    if args.json:
        print_json(doc)
        return 0
    lines = [
        f"Hardware catalog {doc['version']}",
        "",
        "ESXi releases (the one marked default is used by check):",
    ]
    for release in catalog.releases:
        mark = "  (default)" if release.id == doc["default_release"] else ""
        lines.append(f"  {release.id:<7} {release.name}{mark}")
    lines += ["", "Entries:"]
    lines += [f"  {name.replace('_', ' '):<12} {count}" for name, count in doc["counts"].items()]
    lines += ["", f"Override folder: {doc['override_dir']}"]
    if catalog.override_files:
        lines += [f"  {p}" for p in doc["override_files"]]
    else:
        lines.append("  no override files (put *.yaml with the same sections here to add or replace entries)")
    if catalog.errors:
        lines += ["", f"Problems ({len(catalog.errors)}; those entries or files were skipped):"]
        lines += [_wrap(e, "  ") for e in catalog.errors]
    else:
        lines += ["", "No problems found."]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


__all__ = [
    "BadInput",
    "catalog_document",
    "format_human",
    "inventory_for",
    "register",
    "run_catalog",
    "run_check",
]
