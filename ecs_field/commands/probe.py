"""``ecs-field probe [-o FILE]``: this machine's inventory (schema ecs-field/inventory@1)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ecs_field.commands.output import print_json, say
from ecs_field.compat.boxes import probe_box
from ecs_field.errors import BadInput
from ecs_field.storage import atomic_write_json


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "probe",
        help="this machine's hardware inventory as JSON",
        description="Probe this machine (DMI, CPU, memory, disks, PCI, USB, network ports) and print "
        "the inventory JSON, or write it to FILE. 'ecs-field check FILE' reads it on any machine.",
    )
    parser.add_argument("-o", "--output", metavar="FILE", type=Path, help="write the JSON here (atomically)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    inventory = probe_box()
    document = inventory.to_dict()
    if args.output is None:
        print_json(document)
        return 0
    target: Path = args.output
    if target.is_dir():
        raise BadInput(f"{target}: is a folder", "Give a file name, e.g. -o box.json")
    try:
        atomic_write_json(target, document)
    except OSError as exc:
        raise BadInput(
            f"{target}: cannot be written ({exc.strerror or exc})", "Choose a writable place."
        ) from exc
    nics = ", ".join(f"{n.esxi_name or '?'} {n.id}" for n in inventory.nics) or "none"
    say(f"wrote {target} (NICs: {nics})")
    return 0
