"""Where a run happens, recorded in its header at run time (not guessed later at render time)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance.programs.draw import DRAW_VERSION

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


def generator() -> dict[str, Any]:
    """What generated programs depend on: the drawer's version (``generated/p0042`` of a seed is
    the same program wherever this version draws it) and Hypothesis's (the pytest search's
    examples and shrinking; it draws none of a run's programs)."""
    try:
        hypothesis: str | None = metadata.version("hypothesis")
    except metadata.PackageNotFoundError:
        hypothesis = None
    return {"draw_version": DRAW_VERSION, "hypothesis": hypothesis}


def resume_refusal(header: Mapping[str, Any]) -> str | None:
    """Why this harness must not continue the run ``header`` began, or None when it may: a
    run with generated programs drawn by another draw version (its finished ids would name
    other programs than the ones this harness draws, and the results file would mix two)."""
    if not header.get("selection", {}).get("generated"):
        return None
    theirs = (header.get("generator") or {}).get("draw_version")
    if theirs == DRAW_VERSION:
        return None
    return (
        f"its generated programs were drawn by draw version {theirs or 'unrecorded'}, this "
        f"harness draws version {DRAW_VERSION}: start a new run (another --out)"
    )
