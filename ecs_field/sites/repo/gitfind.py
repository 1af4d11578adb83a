"""Which git the app runs: the one on PATH, else the minimal Git the Windows installer ships.

Imported (for its effect) before GitPython: GitPython looks for git when it is imported.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ecs_field.errors import BadInput


def git_missing() -> BadInput:
    """The one message for "no git here" (clone, pull, status and the Sites page all need it)."""
    return BadInput(
        "git is not installed (or not on PATH)",
        "Install Git (https://git-scm.com) and try again; site repositories need it.",
    )


def bundled_git(app_dir: Path | None = None) -> Path | None:
    """The Git the Windows installer ships beside the app (``mingit/cmd/git.exe``), if any.

    Many technicians' Windows laptops have no Git; the installer carries a minimal Git for Windows
    (MinGit) rather than a second, pure-Python Git implementation, so clone/fetch behave exactly as
    with the Git a company configured (proxies, TLS, credential helpers). See README, Install.
    """
    base = app_dir if app_dir is not None else Path(sys.executable).resolve().parent
    for name in ("git.exe", "git"):
        candidate = base / "mingit" / "cmd" / name
        if candidate.is_file():
            return candidate
    return None


def use_bundled_git_when_none_on_path(app_dir: Path | None = None) -> Path | None:
    """Point GitPython at the bundled git when PATH has none; returns the git chosen, if any."""
    if os.environ.get("GIT_PYTHON_GIT_EXECUTABLE"):
        return Path(os.environ["GIT_PYTHON_GIT_EXECUTABLE"])
    if shutil.which("git"):
        return None
    found = bundled_git(app_dir)
    if found is not None:
        os.environ["GIT_PYTHON_GIT_EXECUTABLE"] = str(found)
    return found


use_bundled_git_when_none_on_path()
# GitPython raises ImportError at import time when git is missing; we want a BadInput with a
# hint instead, raised when a repository is actually used.
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
