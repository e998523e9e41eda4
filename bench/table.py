"""The benchmark's output: one ``Row`` per figure, the machine it ran on, a text table, JSON.

A row carries its own goal, so "met?" is computed in one place and the JSON says the same
thing as the printed table.
"""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from conformance.environment import git_commit

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Row:
    """One figure: its value in ``unit``, and optionally a goal ``value <= goal`` or ``>=``."""

    figure: str
    value: float
    unit: str = ""
    goal: float | None = None
    direction: str = "<="
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        if not math.isfinite(self.value):
            return False
        return self.value <= self.goal if self.direction == "<=" else self.value >= self.goal

    def shown(self) -> str:
        return _format(self.value, self.unit)

    def goal_shown(self) -> str:
        return "" if self.goal is None else f"{self.direction} {_format(self.goal, self.unit)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "value": self.value if math.isfinite(self.value) else None,
            "unit": self.unit,
            "goal": self.goal,
            "direction": self.direction if self.goal is not None else None,
            "met": self.met,
            "note": self.note,
        }


def _format(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return str(value)
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "%":
        return f"{value:+.1f}%"
    if unit in ("cases", "samples"):
        return f"{value:.0f} {unit}"
    magnitude = abs(value)
    digits = 0 if magnitude >= 100 else (1 if magnitude >= 10 else (2 if magnitude >= 1 else 3))
    return f"{value:.{digits}f} {unit}".rstrip()


def render(rows: list[Row]) -> str:
    """``figure | value | goal | met?`` as aligned text; notes follow the table, numbered."""
    header = ("figure", "value", "goal", "met?")
    lines = [
        (
            row.figure + (f" [{i}]" if row.note else ""),
            row.shown(),
            row.goal_shown(),
            {True: "yes", False: "NO", None: ""}[row.met],
        )
        for i, row in enumerate(rows, 1)
    ]
    widths = [max(len(r[c]) for r in [header, *lines]) for c in range(4)]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in lines]
    notes = [f"[{i}] {row.note}" for i, row in enumerate(rows, 1) if row.note]
    return "\n".join(out + ([""] + notes if notes else []))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return round(pages * size / 2**30, 1)


def _git_commit() -> str:
    """The harness's commit as the table prints it: short, ``-dirty`` kept, or ``unknown``."""
    commit = git_commit(ROOT)
    if commit == "unknown":
        return commit
    sha, _, dirty = commit.partition("-")
    return sha[:7] + ("-" + dirty if dirty else "")


def machine() -> dict[str, Any]:
    """What the figures were measured on (and how busy it was when the run began)."""
    import torch

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "git_commit": _git_commit(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def describe(info: dict[str, Any]) -> str:
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM; Python "
        f"{info['python']}, torch {info['torch']} ({info['torch_threads']} threads), numpy "
        f"{info['numpy']}; commit {info['git_commit']}; load {info['load_average']}"
    )
