"""Benchmark: ecs-field's download (stream + SHA-256 + fsync + rename) vs curl on the same server.

Serves an in-memory file from the test HTTP server on 127.0.0.1 (in a child process, so it
does not share the GIL with the downloader) and downloads it three ways,
each into a fresh folder on the same disk:
  - baseline ``curl -s -o FILE`` (plain transfer, no hash),
  - ``curl`` followed by ``sha256sum`` (what a technician does by hand),
  - ``ecs_field.media.library.download.download`` with ``--sha256`` (hash while downloading).
Prints the rates and the ratio against the curl baseline, and the machine.

    python tests/bench/download.py [--size-mib 512] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import benchlib

from ecs_field.media.library.download import download
from tests.httpserver import HttpTestServer, Resource


def serve(body: bytes, ready: multiprocessing.Queue[str], stop: Any) -> None:
    with HttpTestServer(chunk=1 << 20) as server:
        server.add("/bench.iso", Resource(body))
        ready.put(server.url("/bench.iso"))
        stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("curl") is None:
        print("curl is needed for the baseline")
        return 2
    size = args.size_mib << 20
    body = os.urandom(size)
    digest = hashlib.sha256(body).hexdigest()
    os.environ.pop("http_proxy", None)
    os.environ.pop("HTTP_PROXY", None)

    results: dict[str, list[float]] = {"curl": [], "curl + sha256sum": [], "ecs-field download": []}
    ready: multiprocessing.Queue[str] = multiprocessing.Queue()
    stop = multiprocessing.Event()
    child = multiprocessing.Process(target=serve, args=(body, ready, stop), daemon=True)
    child.start()
    url = ready.get(timeout=30)
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            folder = Path(tmp) / f"run{run}"
            folder.mkdir()
            target = folder / "curl.iso"

            def curl(out: Path = target) -> None:
                subprocess.run(["curl", "-s", "--noproxy", "*", "-o", str(out), url], check=True)

            results["curl"].append(benchlib.seconds(curl))
            target.unlink()

            def curl_and_hash(out: Path = target) -> None:
                curl(out)
                subprocess.run(["sha256sum", str(out)], check=True, capture_output=True)

            results["curl + sha256sum"].append(benchlib.seconds(curl_and_hash))
            target.unlink()

            ours = folder / "ours"
            results["ecs-field download"].append(
                benchlib.seconds(lambda d=ours: download(url, dest_dir=d, sha256=digest, find_checksum=False))
            )
            shutil.rmtree(folder)
    stop.set()
    child.join(timeout=10)

    benchlib.print_machine()
    print(f"file: {args.size_mib} MiB from 127.0.0.1 (Python http.server), best of {args.runs} runs")
    base = min(results["curl"])
    for name, times in results.items():
        best = min(times)
        rate = size / best / 1e6
        print(f"  {name:20s} {rate:8.0f} MB/s   {best:6.2f} s   ratio vs curl {base / best:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
