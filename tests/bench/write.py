"""Benchmark: our write + verify against dd on the same loop device, in the same run.

Baseline ("floor"): ``dd if=IMG of=/dev/loopN bs=4M oflag=direct conv=fsync`` followed by
``dd if=/dev/loopN of=/dev/null bs=4M iflag=direct count=N`` (write, then read back: the least
any writer that verifies must do). Ours: ``write_image(FileSource(IMG), /dev/loopN)`` with
verification, in a child process so its peak RSS can be measured (ru_maxrss).

The image is 2 GiB of random bytes, made once in the temp folder and reused. The loop device's
backing file is on disk, preallocated, attached with direct I/O where the kernel allows (so the
loop device behaves like a disk, not like RAM). Between runs the page cache is dropped
(/proc/sys/vm/drop_caches) or, where that is not permitted (containers), the image's and the
backing file's cached pages are evicted with posix_fadvise(DONTNEED); the output says which.

Run as root:  python tests/bench/write.py [--size-mib 2048] [--rounds 2]
Targets: ratio ours/floor <= 1.05; peak RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

MiB = 1024 * 1024


def make_image(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size == size:
        return
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as handle:
        left = size
        while left:
            chunk = min(left, 64 * MiB)
            handle.write(os.urandom(chunk))
            left -= chunk
    tmp.replace(path)


def drop_caches(files: list[Path]) -> str:
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "drop_caches"
    except OSError:
        for f in files:
            fd = os.open(f, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
        return "fadvise(DONTNEED) on image + backing file (drop_caches not permitted here)"


def run_dd(image: Path, device: str, size: int) -> tuple[float, float]:
    count = (size + 4 * MiB - 1) // (4 * MiB)
    t0 = time.perf_counter()
    subprocess.run(
        ["dd", f"if={image}", f"of={device}", "bs=4M", "oflag=direct", "conv=fsync"],
        check=True,
        capture_output=True,
    )
    t1 = time.perf_counter()
    subprocess.run(
        ["dd", f"if={device}", "of=/dev/null", "bs=4M", "iflag=direct", f"count={count}"],
        check=True,
        capture_output=True,
    )
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def run_ours(image: Path, device: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(image), device], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(image: str, device: str) -> None:
    from ecs_field.media.image.source import FileSource
    from ecs_field.media.write.writer import write_image

    t0 = time.perf_counter()
    with FileSource(Path(image)) as source:
        result = write_image(source, device)
    total = time.perf_counter() - t0
    phases = {p.phase: p.seconds for p in result.phases}
    print(
        json.dumps(
            {
                "total_s": total,
                "phases": phases,
                "verified": result.verified,
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", nargs=2, metavar=("IMAGE", "DEVICE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    if os.geteuid() != 0:
        print("needs root (loop devices)", file=sys.stderr)
        return 2
    size = args.size_mib * MiB
    tmp = Path(tempfile.gettempdir())
    image = tmp / f"ecs-bench-write-{args.size_mib}m.img"
    make_image(image, size)
    backing = Path(tempfile.mkdtemp(prefix="ecs-bench-", dir="/var/tmp")) / "stick.img"
    subprocess.run(["fallocate", "-l", str(size + 64 * MiB), str(backing)], check=True)
    loop = subprocess.run(
        ["losetup", "--find", "--show", "--direct-io=on", str(backing)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        direct = Path(f"/sys/block/{Path(loop).name}/loop/dio").read_text().strip() == "1"
        benchlib.print_machine()
        print(
            f"image: {size / MiB:.0f} MiB random; device: {loop} over a preallocated file on disk "
            f"(loop direct I/O {'on' if direct else 'off'})"
        )
        floors, ours = [], []
        how = ""
        for r in range(args.rounds):
            how = drop_caches([image, backing])
            w, v = run_dd(image, loop, size)
            floors.append((w, v))
            print(
                f"round {r + 1}: dd write {w:.2f} s ({size / w / 1e6:.0f} MB/s) + dd read {v:.2f} s "
                f"({size / v / 1e6:.0f} MB/s) = {w + v:.2f} s"
            )
            drop_caches([image, backing])
            result = run_ours(image, loop)
            ours.append(result)
            phases = result["phases"]
            assert isinstance(phases, dict)
            print(
                f"round {r + 1}: ours total {result['total_s']:.2f} s (prepare {phases['prepare']:.2f}, "
                f"write {phases['write']:.2f}, flush {phases['flush']:.2f}, verify {phases['verify']:.2f}); "
                f"peak RSS {int(result['peak_rss_bytes']) / 1e6:.1f} MB"
            )  # type: ignore[call-overload]
        print(f"cache between runs: {how}")
        ratios = [float(o["total_s"]) / (w + v) for o, (w, v) in zip(ours, floors, strict=True)]  # type: ignore[arg-type]
        best_floor = min(w + v for w, v in floors)
        best_ours = min(float(o["total_s"]) for o in ours)  # type: ignore[arg-type]
        peak = max(int(o["peak_rss_bytes"]) for o in ours)  # type: ignore[call-overload]
        print(f"floor (dd write+fsync + dd read, best of {args.rounds}): {best_floor:.2f} s")
        print(f"ours (write_image with verify, best of {args.rounds}): {best_ours:.2f} s")
        print(f"ratio ours/floor, best vs best: {best_ours / best_floor:.3f} (target <= 1.05)")
        per_round = ", ".join(f"{r:.2f}" for r in ratios)
        print(f"ratio per round: {per_round}; median {statistics.median(ratios):.3f}")
        print(f"writer peak RSS: {peak / 1e6:.1f} MB (target < 150 MB)")
    finally:
        subprocess.run(["losetup", "-d", loop], capture_output=True)
        backing.unlink()
        backing.parent.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
