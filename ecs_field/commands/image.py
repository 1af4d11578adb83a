"""``ecs-field image inspect FILE [--json]``: what an image is and how it will be written."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ecs_field.commands.output import print_json
from ecs_field.media.drives.model import human_size
from ecs_field.media.image.inspect import ImageInfo, inspect_image

WRITE_MODE_WORDS = {
    "raw": "raw (byte for byte)",
    "uefi-fat32": "uefi-fat32 (one FAT32 partition holding the ISO's files, UEFI boot)",
}


def _mode_text(info: ImageInfo) -> str:
    if info.write_mode is None:
        return f"none: `write` refuses it in auto mode ({info.refusal})"
    return WRITE_MODE_WORDS.get(info.write_mode, info.write_mode)


def render(info: ImageInfo) -> str:
    yes_no = {True: "yes", False: "no"}
    esxi = f"{info.esxi['version']} build {info.esxi['build']}" if info.esxi else "not an ESXi installer"
    lines = [
        f"File:        {info.path}",
        f"Size:        {human_size(info.size_bytes)} ({info.size_bytes} bytes)",
        f"Format:      {info.format}" + (f", volume '{info.volume_id}'" if info.volume_id else ""),
        f"Hybrid MBR:  {yes_no[info.hybrid]}",
        f"Boots:       BIOS {yes_no[info.bios]}, UEFI {yes_no[info.uefi]}",
        f"ESXi:        {esxi}",
        f"Write mode:  {_mode_text(info)}",
    ]
    if info.files is not None:
        lines.append(f"Files:       {info.files}")
    lines.extend(f"Note:        {note}" for note in info.notes)
    return "\n".join(lines)


def run_inspect(args: argparse.Namespace) -> int:
    info = inspect_image(Path(args.file))
    if args.json:
        print_json(info.to_dict())
    else:
        sys.stdout.write(render(info) + "\n")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("image", help="look inside an image file",
                                   description="Inspect ISO and disk images.")
    commands = parser.add_subparsers(dest="image_command", metavar="{inspect}", required=True)
    inspect = commands.add_parser(
        "inspect",
        help="format, boot support, ESXi version and write mode of an image",
        description="Read an ISO or disk image: ISO 9660 volume, El Torito boot entries (BIOS/UEFI), "
        "hybrid MBR, ESXi version and build, and how it will be written to a stick.",
    )
    inspect.add_argument("file", metavar="FILE", help="the .iso or .img file")
    inspect.add_argument("--json", action="store_true", help="print one JSON document")
    inspect.set_defaults(handler=run_inspect)
