"""``ecs-field drives [--all] [--json]``: the drives a boot stick can be written to."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ecs_field.commands.output import print_json, say, table
from ecs_field.media.drives import Drive, human_size, list_drives


def badge(drive: Drive) -> str:
    """One word for the drive's state; the reasons say why."""
    if drive.system:
        return "SYSTEM"
    if drive.writable:
        return "OK"
    if drive.reasons and all("--allow-non-removable" in r for r in drive.reasons):
        return "OVERRIDE"
    return "BLOCKED"


def render(drives: list[Drive]) -> str:
    rows = [
        [drive.display_path or drive.path, human_size(drive.size_bytes), drive.kind, drive.label,
         ", ".join(drive.all_mountpoints()) or "-", badge(drive)]
        for drive in drives
    ]
    lines = table(rows, ["DEVICE", "SIZE", "KIND", "MODEL", "MOUNTED", "STATE"]).splitlines()
    out = [lines[0]]
    for line, drive in zip(lines[1:], drives, strict=True):
        out.append(line)
        out.extend(f"    ✗ {reason}" for reason in drive.reasons)
        out.extend(f"    ! {warning}" for warning in drive.warnings)
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    drives = list_drives(include_internal=args.all)
    if args.json:
        print_json([d.to_dict() for d in drives])
        return 0
    if not drives:
        say("No removable or USB drives found. Plug in a USB stick"
            + ("." if args.all else ", or use --all to see internal drives too."))
        return 0
    sys.stdout.write(render(drives) + "\n")
    if not args.all:
        say("Internal drives are hidden; --all shows them.")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "drives",
        help="list drives a boot stick can be written to",
        description="List removable and USB drives with the safety verdict for each. System drives "
        "(holding the running OS, the app, the home folder) are never writable.",
    )
    parser.add_argument("--all", action="store_true", help="also list internal, loop and virtual drives")
    parser.add_argument("--json", action="store_true", help="print a JSON list (DESIGN.md 4 'drives')")
    parser.set_defaults(handler=run)
