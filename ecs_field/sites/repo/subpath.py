"""The folder inside a site repository that its hosts sync (``--path``), checked to stay inside."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from ecs_field.errors import BadInput


def resolve_subpath(root: Path, subpath: str | None) -> Path:
    """``root`` joined with the site's path; BadInput when it leaves the repository or is missing."""
    if not subpath or subpath in (".", "./"):
        return root
    parts = PurePosixPath(subpath.replace("\\", "/")).parts
    if any(p == ".." for p in parts) or PurePosixPath(subpath).is_absolute():
        raise BadInput(
            f"path {subpath!r} leaves the repository", "Give a path inside the repository, like ./sites/a."
        )
    base = root.joinpath(*[p for p in parts if p not in (".", "/")])
    if not base.exists():
        raise BadInput(
            f"{base}: no such folder in the repository",
            "Check the site's --path (it is relative to the repository root).",
        )
    return base
