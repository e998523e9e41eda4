"""Where a run happens, recorded in its header at run time (not guessed later at render time)."""

from __future__ import annotations

import getpass
import os
import re
import subprocess
import tempfile
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


def compile_caches(backends: Sequence[str]) -> dict[str, Any]:
    """The on-disk compile caches a run's backends read, and how full each was at its start.

    Inductor keeps what it compiled on disk, in a folder every process of the user shares, and
    serves it to later compiles whose key matches: a verdict under an inductor backend can
    depend on what earlier runs compiled (finding 24: a cached backward overwrote saved
    tensors its new caller needed). The header records the folder and how many compiled graphs
    it held, so a report says when a verdict was not made from an empty cache."""
    if not any(name.endswith(":inductor") for name in backends):
        return {}
    folder = os.environ.get("TORCHINDUCTOR_CACHE_DIR") or default_inductor_cache()
    return {"inductor": {"dir": folder, "fx_graphs": _entries(Path(folder) / "fxgraph")}}


def default_inductor_cache() -> str:
    """Where inductor caches when ``TORCHINDUCTOR_CACHE_DIR`` is unset: torch's own
    ``torch._inductor.runtime.cache_dir_utils.default_cache_dir``, restated because importing
    it imports all of inductor (1.1 s, in the process that only writes the header); a test
    holds the two equal on the installed torch."""
    try:
        user = getpass.getuser()
    except (KeyError, ModuleNotFoundError, OSError):  # no user name: torch's fallback too
        getuid = getattr(os, "getuid", None)
        user = f"uid_{getuid()}" if callable(getuid) else "unknown_user"
    return os.path.join(
        tempfile.gettempdir(), "torchinductor_" + re.sub(r'[\\/:*?"<>|]', "_", user)
    )


def _entries(folder: Path) -> int:
    """Entries of a two-level cache folder (``fxgraph/<prefix>/<key>``); 0 when it is absent."""
    if not folder.is_dir():
        return 0
    return sum(1 for prefix in folder.iterdir() if prefix.is_dir() for _ in prefix.iterdir())


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
