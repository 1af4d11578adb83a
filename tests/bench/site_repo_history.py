"""Benchmark: SiteRepo reads on a 10,000-commit repository against the git CLI.

Baseline: the same git commands run directly (rev-list --count, log -5 A..HEAD,
merge-base --is-ancestor): the ratio shows what the Python layer adds. Prints ratios and the
machine. Run: python tests/bench/site_repo_history.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import benchlib
from benchlib import median_seconds

from ecs_field.sites.repo.gitrepo import SiteRepo
from tests.unit.sites.repo_builder import fast_import_history, make_repo

COMMITS = 10_000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big"
        fast_import_history(make_repo(path), COMMITS)
        repo = SiteRepo(path)
        first = repo.resolve(f"main~{COMMITS - 1}")
        assert first is not None

        def git_count() -> None:
            subprocess.run(
                ["git", "rev-list", "--count", f"{first}..HEAD"], cwd=path, check=True, capture_output=True
            )

        def git_log() -> None:
            subprocess.run(
                ["git", "log", "-5", "--name-only", f"{first}..HEAD"],
                cwd=path,
                check=True,
                capture_output=True,
            )

        def git_ancestor() -> None:
            subprocess.run(["git", "merge-base", "--is-ancestor", first, "HEAD"], cwd=path, check=True)

        base_count, base_log, base_ancestor = (median_seconds(f) for f in (git_count, git_log, git_ancestor))
        ours_count = median_seconds(lambda: repo.count_between(first, "HEAD"))
        ours_pending = median_seconds(lambda: repo.commits_between(first, "HEAD", limit=5))
        ours_ancestor = median_seconds(lambda: repo.is_ancestor(first, "HEAD"))
        ours_head = median_seconds(repo.head)
    benchlib.print_machine()
    print(f"{COMMITS} commits")
    print(
        f"count_between: {ours_count * 1000:.1f} ms = {ours_count / base_count:.2f}x `git rev-list --count` "
        f"({base_count * 1000:.1f} ms)"
    )
    print(
        f"commits_between(limit=5): {ours_pending * 1000:.1f} ms = {ours_pending / base_log:.2f}x "
        f"`git log -5 A..HEAD` ({base_log * 1000:.1f} ms)"
    )
    print(
        f"is_ancestor: {ours_ancestor * 1000:.1f} ms = {ours_ancestor / base_ancestor:.2f}x "
        f"`git merge-base --is-ancestor` ({base_ancestor * 1000:.1f} ms); head(): {ours_head * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
