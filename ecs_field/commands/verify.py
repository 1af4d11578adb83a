"""``ecs-field verify IMAGE DEVICE [--kickstart FILE]``: re-check a written stick (DESIGN.md 4).

Read-only: the device is opened for reading only and nothing on it changes. Exit codes: 0 the
stick holds exactly what ``write`` puts there for IMAGE (same mode, same kickstart), 6 it does
not (with the first differing offset and, on a uefi-fat32 stick, the file there), 2 bad input
(image, kickstart, mode), 5 the stick could not be read, 130 cancelled.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ecs_field.commands.output import print_json, say
from ecs_field.errors import BadInput
from ecs_field.events import CancelToken, Progress

EXIT_DIFFERENT = 6
MODES = ("auto", "raw", "uefi-fat32")


def _progress_line(event: Progress) -> None:
    if not sys.stderr.isatty() or event.phase != "verify" or not event.bytes_total:
        return
    rate = f", {event.rate_bps / 1e6:.1f} MB/s" if event.rate_bps else ""
    sys.stderr.write(f"\r\x1b[KComparing: {event.bytes_done / event.bytes_total * 100:5.1f}%{rate}")
    sys.stderr.flush()


def run_verify(args: argparse.Namespace) -> int:
    from ecs_field.commands.write import cancel_on_signals
    from ecs_field.media.write.kickstart_stick import load_kickstart, refuse_raw
    from ecs_field.media.write.verify import verify_device
    from ecs_field.media.write.writejob import open_source, resolve_mode

    image = Path(args.image)
    if not image.is_file():
        raise BadInput(f"{image}: no such image file" if not image.exists() else f"{image} is not a file",
                       "Give the path of the .iso or .img file the stick was written from.")
    if args.kickstart and args.mode == "raw":
        refuse_raw("raw")
    kickstart = load_kickstart(Path(args.kickstart)) if args.kickstart else None
    mode = resolve_mode(image, args.mode, kickstart=kickstart is not None)
    source = open_source(image, mode, kickstart.data if kickstart else None)
    cancel = CancelToken()
    try:
        describe = getattr(source, "describe_offset", None)
        with cancel_on_signals(cancel):
            outcome = verify_device(source, args.device, mode=mode, image_name=image.name,
                                    progress=_progress_line, cancel=cancel, describe=describe)
    finally:
        source.close()
        if sys.stderr.isatty():
            sys.stderr.write("\r\x1b[K")
    if kickstart is not None:
        outcome.kickstart = kickstart.describe()
    if args.json:
        print_json(outcome.to_dict())
    with_ks = f" with the kickstart {kickstart.label}" if kickstart else ""
    if outcome.same:
        say(f"SAME: {args.device} holds exactly the {mode} stick of {image.name}{with_ks} "
            f"({outcome.bytes_total} bytes compared in {outcome.seconds:.1f} s)")
        return 0
    where = f" ({outcome.where})" if outcome.where else ""
    say(f"DIFFERENT: {args.device} is not the {mode} stick of {image.name}{with_ks}: first difference at "
        f"offset {outcome.first_difference}{where}")
    say("  hint: " + _hint(mode, kickstart is not None, outcome.where))
    return EXIT_DIFFERENT


def _hint(mode: str, kickstart: bool, where: str | None) -> str:
    if mode == "uefi-fat32" and where and ("BOOT.CFG" in where.upper() or "(directory)" in where
                                           or "FAT" in where):
        same_ks = ("the same --kickstart FILE it was written with" if kickstart
                   else "--kickstart FILE if the stick was written with one")
        return (f"Check the stick was written from this image, and give {same_ks}. A stick that was mounted "
                "and changed (files added or edited) differs too. Otherwise write it again.")
    return ("Write the image to the stick again (ecs-field write); if it differs again, the stick does not "
            "keep what is written to it: use another one.")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="re-check a written stick against its image (read-only)",
        description="Compare DEVICE with what `ecs-field write IMAGE DEVICE` puts there, byte for byte, "
        "without writing anything. Exit codes: 0 same, 6 different (the first differing offset and, on a "
        "uefi-fat32 stick, the file there are printed), 2 bad input, 5 the stick could not be read.",
    )
    parser.add_argument("image", metavar="IMAGE", help="the .iso or disk image the stick was written from")
    parser.add_argument("device", metavar="DEVICE", help="the whole drive, e.g. /dev/sdb")
    parser.add_argument("--kickstart", metavar="FILE",
                        help="the ks.cfg the stick was written with (write --kickstart)")
    parser.add_argument("--mode", choices=MODES, default="auto",
                        help="the mode the stick was written in (default: what write's auto mode picks)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document")
    parser.set_defaults(handler=run_verify)
