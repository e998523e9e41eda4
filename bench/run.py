"""One command for the speed-and-scale figures: ``python bench/run.py [--quick] [--json PATH]``.

Prints ``figure | value | goal | met?`` with the machine it ran on and writes the same as JSON
(default ``bench/results.json``). Each figure is a ratio of measurements taken side by side in
this run, so a busy machine slows both sides alike. ``--quick`` shrinks every size (a minute
or two); the full run's 100,000-program memory figure alone takes tens of minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Pinned before NumPy loads, so both engines run single-threaded (see bench/engine.py);
#: the ``conformance`` commands the bench starts get the environment without them.
PINNED_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Settings:
    """The sizes of every measurement."""

    engine_repeats: int = 7
    engine_block_s: float = 0.2
    overhead_catalogue: int = 200
    overhead_generated: int = 100
    overhead_repeats: int = 3
    throughput_generated: int = 1000
    #: A generated-only run long enough that process start-up (~2 s) stops dominating.
    campaign_generated: int = 5000
    gradcheck_repeats: int = 5
    memory_sizes: tuple[int, ...] = (10_000, 100_000)
    report_real: int = 1000
    report_synthetic: int = 20_000
    #: The two run sizes whose difference gives the harness's seconds per generated program:
    #: 1,200 programs apart, as each run's CPU time varies by about 0.05 s, which on 400
    #: programs (0.7 s of difference) moved the ratio between 3.7x and 4.5x from run to run.
    end_to_end_sizes: tuple[int, int] = (200, 1400)
    #: Multiplies each compiled backend's program count (``bench/compiled.py``).
    compiled_scale: float = 1.0


QUICK = Settings(
    engine_repeats=3,
    engine_block_s=0.05,
    overhead_catalogue=60,
    overhead_generated=20,
    overhead_repeats=2,
    throughput_generated=100,
    campaign_generated=300,
    gradcheck_repeats=2,
    memory_sizes=(500, 2000),
    end_to_end_sizes=(50, 150),
    compiled_scale=0.1,
)


def collect(
    settings: Settings, log: Callable[[str], None] = print, only: Sequence[str] = ()
) -> list[Any]:
    """Every row (or those of the measurements named in ``only``), measurement by measurement,
    each announced on ``log`` with its duration."""
    import tempfile

    from bench import campaign, compiled, end_to_end, engine, gradcheck, overhead

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        real = Path(tmp) / "real.jsonl"  # the --jobs 1 throughput run, rendered as a report
        steps: list[tuple[str, Callable[[], list[Any]]]] = [
            (
                "engine",
                partial(
                    engine.measure_engine,
                    engine.SIZES,
                    settings.engine_repeats,
                    settings.engine_block_s,
                ),
            ),
            (
                "harness overhead",
                partial(
                    overhead.measure_overhead,
                    settings.overhead_catalogue,
                    settings.overhead_generated,
                    settings.overhead_repeats,
                ),
            ),
            (
                "throughput",
                partial(campaign.measure_throughput, settings.throughput_generated, keep=real),
            ),
            (
                "campaign throughput",
                partial(
                    campaign.measure_throughput,
                    settings.campaign_generated,
                    selection=("--area", "generated"),
                    label="campaign",
                ),
            ),
            ("end to end", partial(end_to_end.measure_end_to_end, *settings.end_to_end_sizes)),
            ("gradcheck", partial(gradcheck.measure_gradcheck, repeats=settings.gradcheck_repeats)),
            ("compiled", partial(compiled.measure_compiled, scale=settings.compiled_scale)),
            ("report rendering", partial(_report_rows, real, Path(tmp), settings)),
            ("memory", partial(campaign.measure_memory, settings.memory_sizes)),
        ]
        unknown = set(only) - {name for name, _ in steps}
        if unknown:
            raise ValueError(f"no measurement named {', '.join(sorted(unknown))}")
        if "report rendering" in only and "throughput" not in only:
            raise ValueError("'report rendering' renders the 'throughput' run: name both")
        for name, step in steps:
            if only and name not in only:
                continue
            start = time.perf_counter()
            log(f"-- {name} ...")
            rows += step()
            log(f"   {name}: {time.perf_counter() - start:.1f} s")
    return rows


def _report_rows(real: Path, tmp: Path, settings: Settings) -> list[Any]:
    """Report rendering for the first cases of a real run, and for many synthetic ones."""
    from bench import campaign

    first = campaign.first_cases(real, tmp / "first.jsonl", settings.report_real)
    synthetic = campaign.synthetic_results(tmp / "synthetic.jsonl", settings.report_synthetic)
    return [
        *campaign.measure_report(first, "real run"),
        *campaign.measure_report(synthetic, "synthetic"),
    ]


def document(rows: Sequence[Any], info: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The JSON form: machine, settings and rows (each with its goal and whether it is met)."""
    return {
        "machine": info,
        "settings": asdict(settings),
        "rows": [row.as_dict() for row in rows],
    }


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part) for part in text.split(",") if part.strip())
    if len(sizes) < 2 or min(sizes) <= 0:
        raise argparse.ArgumentTypeError("give two or more positive counts, e.g. 10000,100000")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a minute or two")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="where to write JSON (default bench/results.json; with --only, none unless given)",
    )
    parser.add_argument(
        "--memory-sizes",
        type=_sizes,
        default=None,
        help="generated-program counts of the memory runs (default 10000,100000; quick 500,2000)",
    )
    parser.add_argument(
        "--only",
        type=lambda text: tuple(part.strip() for part in text.split(",")),
        default=(),
        help="run only these measurements, e.g. 'end to end,harness overhead'",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else Settings()
    if args.memory_sizes:
        settings = Settings(**{**asdict(settings), "memory_sizes": args.memory_sizes})

    from bench.table import describe, machine, render

    info = machine()
    print(f"machine: {describe(info)}", flush=True)
    try:
        rows = collect(settings, lambda line: print(line, file=sys.stderr, flush=True), args.only)
    except ValueError as exc:
        parser.error(str(exc))
    print(render(rows))
    path = args.json or (None if args.only else ROOT / "bench" / "results.json")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document(rows, info, settings), indent=2) + "\n")
        print(f"\njson: {path}")
    return 0


if __name__ == "__main__":
    pinned = [name for name in PINNED_THREADS if name not in os.environ]
    os.environ.update({name: "1" for name in pinned})
    os.environ["BENCH_PINNED_THREADS"] = ",".join(pinned)
    sys.path.insert(0, str(ROOT))  # `python bench/run.py` imports bench and tests from the root
    sys.exit(main())
