"""Where a run happens, recorded in its header at run time (not guessed later at render time)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

#: How cases choose dtypes: each case names its own; generated programs draw float32 or float64
#: per leaf and are judged at the tolerance of the lowest precision they contain.
DTYPE_POLICY = "per case (default float32); generated: per leaf, judged at the lowest precision"

_DEVICES = {"torch-cuda": "cuda"}


def git_commit(where: str | os.PathLike[str] | None = None) -> str:
    """The project's commit (``-dirty`` when the tree has changes), or ``unknown``."""
    cwd = Path(where) if where else Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if commit.returncode != 0:
        return "unknown"
    return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def device(backends: Sequence[str]) -> str:
    """The devices the backends compute on, e.g. ``cpu`` or ``cpu, cuda``."""
    return ", ".join(sorted({_DEVICES.get(b, "cpu") for b in backends})) or "cpu"
