"""Engine speed: ``reference_impl`` against torch eager CPU on one graph, forward + backward.

The graph is written once against the torch API and run with either module, at a small
(64 elements), medium (4,096) and large (1,048,576) input, so the ratio reference/torch
isolates the engines: dispatch overhead dominates the small graph, NumPy/BLAS the large one.
Both run single-threaded (torch.set_num_threads(1), as in the harness's workers; ``run.py`` pins
OpenBLAS to one thread before NumPy loads): on a loaded 2-core machine two intra-op threads
spin against the other load and make the figures meaningless.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench.measure import interleaved_best
from bench.table import Row

#: name -> side n of the square inputs (n*n elements each), and the goal for reference/torch
#: (small: issue 16's <= 2x; its moonshot is 1x).
SIZES: dict[str, tuple[int, float | None]] = {
    "small": (8, 2.0),
    "medium": (64, None),
    "large": (1024, 1.5),
}


def graph(m: Any, x: Any, w: Any) -> None:
    """One layer and a loss: matmul, tanh, sigmoid, product, sum; then backward into x, w."""
    h = m.tanh(x @ w)
    loss = (h.sigmoid() * x).sum()
    loss.backward()


def _step(m: Any, side: int) -> Any:
    """A closure running ``graph`` once on fresh-gradient leaves of ``m`` (made once)."""
    rng = np.random.default_rng(side)
    x = m.tensor(rng.standard_normal((side, side), dtype=np.float32), requires_grad=True)
    w = m.tensor(rng.standard_normal((side, side), dtype=np.float32), requires_grad=True)

    def step() -> None:
        x.grad = None
        w.grad = None
        graph(m, x, w)

    return step


def measure_engine(
    sizes: dict[str, tuple[int, float | None]] = SIZES,
    repeats: int = 5,
    block_s: float = 0.1,
) -> list[Row]:
    """µs per forward+backward of each backend and their ratio, per size (interleaved)."""
    import torch

    import reference_impl

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _measure(torch, reference_impl, sizes, repeats, block_s)
    finally:
        torch.set_num_threads(threads)


def _measure(
    torch: Any,
    reference_impl: Any,
    sizes: dict[str, tuple[int, float | None]],
    repeats: int,
    block_s: float,
) -> list[Row]:
    rows = []
    for label, (side, goal) in sizes.items():
        steps = {"torch": _step(torch, side), "reference": _step(reference_impl, side)}
        once = interleaved_best(steps, repeats=1)  # warm-up, and a size for the blocks
        iterations = max(1, round(block_s / max(once.values())))
        # CPU seconds: both engines run on one thread, and other processes' load stays out
        best = interleaved_best(steps, repeats, iterations, clock=time.process_time)
        numel = side * side
        for name in ("torch", "reference"):
            rows.append(Row(f"engine {label} ({numel} el): {name}", best[name] * 1e6, "us"))
        rows.append(
            Row(
                f"engine {label}: reference/torch",
                best["reference"] / best["torch"],
                "x",
                goal,
                note=(
                    "graph: tanh(x @ w).sigmoid() * x, .sum().backward(), float32, 1 thread; "
                    f"best of {repeats} interleaved blocks of {iterations}, CPU time"
                )
                if label == "small"
                else "",
            )
        )
    return rows
