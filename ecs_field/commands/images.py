"""``ecs-field images list|add|download|verify|remove``: the image library from the command line.

Exit codes: 0 done, 2 bad input (unknown name, bad file, 404), 3 network trouble (unreachable,
401/403, TLS, repeated 5xx), 5 local disk full or unwritable, 6 checksum/verify mismatch,
130 cancelled (a partial download is kept for the next run).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ecs_field.commands.output import print_json, say, table
from ecs_field.events import CancelToken, Progress
from ecs_field.media.library.hashing import human_bytes
from ecs_field.media.library.store import ImageLibrary, ImageRecord

EXIT_MISMATCH = 6


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Adds ``images`` and its sub-commands."""
    parser = subparsers.add_parser(
        "images",
        help="the image library: list, add, download, verify, remove ISOs",
        description="Keep ESXi/ECS ISOs on this laptop with their SHA-256, ready to write offline.",
    )
    parser.set_defaults(handler=lambda _args: _usage(parser))
    sub = parser.add_subparsers(dest="images_command", metavar="ACTION")

    p = sub.add_parser("list", help="images in the library")
    p.add_argument("--json", action="store_true", help="print a JSON list of image records")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("add", help="add a local ISO (copied into the library by default)")
    p.add_argument("file", metavar="FILE", type=Path)
    p.add_argument("--reference", action="store_true",
                   help="record the file where it is instead of copying it (it must stay there)")
    p.add_argument("--name", help="name in the library (default: the file name)")
    p.add_argument("--sha256", metavar="HEX", help="expected SHA-256; nothing is added if it differs")
    p.add_argument("--json", action="store_true", help="print the added record as JSON")
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("download", help="download an ISO (resumable, checksum-checked) into the library")
    p.add_argument("url", metavar="URL")
    p.add_argument("--sha256", metavar="HEX",
                   help="expected SHA-256 (default: URL.sha256 or SHA256SUMS next to the URL, if published)")
    p.add_argument("--token-env", metavar="VAR",
                   help="environment variable holding a bearer token (default: the keyring entry "
                        "service 'ecs-field', user = the URL's host)")
    p.add_argument("--ca", metavar="FILE", type=Path,
                   help="CA certificate (PEM) to trust for this server, e.g. a private orchestrator CA")
    p.add_argument("--name", help="name in the library (default: the URL's file name)")
    p.add_argument("--json", action="store_true", help="print the added record as JSON")
    p.set_defaults(handler=cmd_download)

    p = sub.add_parser("verify", help="re-check an image: size and time, or its SHA-256 with --full")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--full", action="store_true", help="re-read the file and compare its SHA-256")
    p.add_argument("--json", action="store_true", help="print the record with a 'verify' object")
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser("remove", help="remove an image (deletes the library's own copy, never a reference)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true", help="print the removed record as JSON")
    p.set_defaults(handler=cmd_remove)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


class _StderrProgress:
    """One updating line on a terminal; phase changes and messages only when redirected."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._last = ("", "")
        self._width = 0

    def __call__(self, event: Progress) -> None:
        if self.tty:
            done = human_bytes(event.bytes_done)
            total = ""
            if event.bytes_total:
                total = f" of {human_bytes(event.bytes_total)} ({event.fraction:.0%})"
            rate = f"  {human_bytes(event.rate_bps)}/s" if event.rate_bps else ""
            eta = f"  {int(event.eta_s) // 60}:{int(event.eta_s) % 60:02d} left" if event.eta_s else ""
            line = f"{event.phase}: {done}{total}{rate}{eta}"
            if event.message and not event.bytes_total:
                line = f"{event.phase}: {event.message}"
            sys.stderr.write("\r" + line.ljust(self._width))
            self._width = len(line)
            sys.stderr.flush()
        elif (event.phase, event.message) != self._last:
            self._last = (event.phase, event.message)
            say(f"{event.phase}: {event.message}" if event.message else event.phase)

    def end(self) -> None:
        if self.tty and self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _checksum_text(record: ImageRecord) -> str:
    if record.checksum_verified:
        return f"verified against {record.checksum_source}"
    return ("NOT VERIFIED against a published checksum (none was given or found); "
            "compare the sha256 with the orchestrator's")


def _esxi_text(record: ImageRecord) -> str:
    esxi = record.esxi or {}
    version, build = esxi.get("version"), esxi.get("build")
    if not version:
        return "-"
    return f"{version} ({build})" if build else str(version)


def cmd_list(args: argparse.Namespace) -> int:
    library = ImageLibrary()
    records = library.list()
    strays = library.unindexed_files()
    if args.json:
        print_json([r.to_dict() for r in records])
    elif records:
        rows = [
            [
                r.name,
                human_bytes(r.size_bytes),
                _esxi_text(r),
                r.write_mode or "-",
                "yes" if r.checksum_verified else "no",
                (r.last_check or {}).get("at", "-") if (r.last_check or {}).get("ok", True) else "FAILED",
                r.stored,
                (r.sha256 or "")[:12],
            ]
            for r in records
        ]
        print(table(rows, ["NAME", "SIZE", "ESXI", "WRITE", "CHECKSUM", "CHECKED", "STORED", "SHA256"]))
    else:
        say(f"The library is empty ({library.root}). Add an ISO with: ecs-field images add FILE")
    for stray in strays:
        say(f"note: {stray.name} is in the library folder but not indexed; add it with: "
            f"ecs-field images add {stray}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    library = ImageLibrary()
    progress = _StderrProgress()
    try:
        record = library.add(args.file, copy=not args.reference, name=args.name, sha256=args.sha256,
                             progress=progress)
    finally:
        progress.end()
    if args.json:
        print_json(record.to_dict())
    else:
        how = "recorded in place" if record.stored == "reference" else "copied into the library"
        print(f"Added {record.name} ({human_bytes(record.size_bytes)}), {how}.")
        _describe(record)
    return 0


def _describe(record: ImageRecord) -> None:
    print(f"  path:     {record.path}")
    print(f"  sha256:   {record.sha256}")
    print(f"  checksum: {_checksum_text(record)}")
    print(f"  ESXi:     {_esxi_text(record)}    write mode: {record.write_mode or '-'}")


def cmd_download(args: argparse.Namespace) -> int:
    from ecs_field.media.library.download import download_image  # requests is only needed here

    cancel = CancelToken()
    progress = _StderrProgress()

    def on_interrupt(_signum: int, _frame: Any) -> None:
        if cancel.cancelled:  # a second Ctrl+C stops at once
            raise KeyboardInterrupt
        cancel.cancel()
        say("\ncancelling; the partial download is kept (Ctrl+C again to stop at once)")

    # Only the main thread may set signal handlers (in-process callers may be elsewhere).
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_interrupt) if in_main else None
    try:
        record, result = download_image(
            args.url, sha256=args.sha256, token_env=args.token_env, ca_file=args.ca, name=args.name,
            progress=progress, cancel=cancel,
        )
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
        progress.end()
    if args.json:
        document = record.to_dict()
        document["download"] = None if result is None else {
            "url": result.url,
            "resumed_from": result.resumed_from,
            "requests": result.requests,
            "bytes_received": result.bytes_received,
            "checksum_verified": result.verified,
        }
        print_json(document)
    else:
        if result is None:
            print(f"{record.name} is already in the library with this SHA-256; nothing downloaded.")
        else:
            resumed = f", resumed at {human_bytes(result.resumed_from)}" if result.resumed_from else ""
            print(f"Downloaded {record.name} ({human_bytes(record.size_bytes)}{resumed}).")
        _describe(record)
    if not record.checksum_verified:
        say("warning: the download was NOT verified: no checksum was given or published next to the URL. "
            "Compare the sha256 above with the orchestrator's, or download again with --sha256 HEX.")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    library = ImageLibrary()
    progress = _StderrProgress()
    try:
        report = library.verify(args.name, full=args.full, progress=progress)
    finally:
        progress.end()
    if args.json:
        print_json(report.to_dict())
    else:
        word = "OK" if report.ok else "CHANGED"
        print(f"{report.name}: {word} ({report.mode} check)")
        for problem in report.problems:
            print(f"  - {problem}")
        for note in report.notes:
            print(f"  {note}")
    return 0 if report.ok else EXIT_MISMATCH


def cmd_remove(args: argparse.Namespace) -> int:
    record = ImageLibrary().remove(args.name)
    if args.json:
        print_json(record.to_dict())
    else:
        kept = " (the referenced file itself was left in place)" if not record.owned else ""
        print(f"Removed {record.name}{kept}.")
    return 0
