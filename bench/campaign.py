"""Whole ``conformance`` commands in a child process: throughput with one and two workers,
peak memory as the number of generated programs grows, and report rendering time and size."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.measure import conformance
from bench.table import Row
from conformance.results import RECORD_CASE

SPEEDUP_GOAL = 1.8
FLAT_GOAL = 1.10  #: peak RSS of the larger run over the smaller one
#: How every case line of a results file starts (``to_json`` writes ``record`` first).
CASE_LINE = f'{{"record": "{RECORD_CASE}"'


def count_cases(path: Path) -> int:
    """Case records in a results file (each line is one record; no parsing needed)."""
    with open(path, encoding="utf-8") as handle:
        return sum(line.startswith(CASE_LINE) for line in handle)


def measure_throughput(
    generated: int = 1000,
    selection: Sequence[str] = (),
    keep: Path | None = None,
    repeats: int = 2,
    label: str = "",
) -> list[Row]:
    """Cases per second of ``conformance run --generated N`` with --jobs 1 and --jobs 2, the
    serial start-up, and the speed-up that start-up leaves possible.

    The runs take turns ``repeats`` times and the fastest of each counts. Start-up is the wall
    time of a run of one generated program (interpreter, imports, torch's own lazy imports at
    the first backward, the catalogue, writing): it happens before either run's workers can
    work, so two workers can at best turn ``T1`` into ``S + (T1 - S) / 2`` (Amdahl's law).
    ``selection`` narrows the catalogue (``--area smoke``, for tests). ``keep``: where to leave
    a --jobs 1 results file (the 1,000-case report is rendered from it). ``label`` prefixes
    the figures, to tell a start-up-dominated short run from a long one.
    """
    runs: dict[str | int, list[str]] = {
        "start-up": ["run", "--area", "generated", "--generated", "1", "--jobs", "1"],
        **{
            jobs: ["run", *selection, "--generated", str(generated), "--jobs", str(jobs)]
            for jobs in (1, 2)
        },
    }
    best = dict.fromkeys(runs, float("inf"))
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            for name, args in runs.items():
                out = Path(tmp) / f"jobs{name}.jsonl"
                run = conformance([*args, "-q", "--out", str(out)])
                best[name] = min(best[name], run.wall_s)
        cases = count_cases(Path(tmp) / "jobs1.jsonl")  # every run holds the same cases
        if keep is not None:
            keep.write_bytes((Path(tmp) / "jobs1.jsonl").read_bytes())
    rates = {jobs: cases / best[jobs] for jobs in (1, 2)}
    start_up, serial = best["start-up"], best[1]
    # (a run no longer than start-up has nothing to share out)
    bound = serial / (start_up + (serial - start_up) / 2) if serial > start_up else 1.0
    what = f"{' '.join(selection) or 'catalogue'} + {generated} generated"
    prefix = f"{label} " if label else ""
    return [
        Row(
            f"{prefix}throughput --jobs 1 ({cases} cases)",
            rates[1],
            "cases/s",
            note=f"conformance run ({what}); wall time incl. process start-up, best of {repeats}",
        ),
        Row(f"{prefix}throughput --jobs 2", rates[2], "cases/s"),
        Row(f"{prefix}speed-up --jobs 2 / --jobs 1", rates[2] / rates[1], "x", SPEEDUP_GOAL, ">="),
        Row(
            f"{prefix}start-up (a run of one program)",
            start_up,
            "s",
            note="serial in both runs: T1 / (start-up + (T1 - start-up) / 2) bounds the speed-up",
        ),
        Row(f"{prefix}speed-up bound from start-up", bound, "x"),
    ]


def measure_memory(sizes: Sequence[int] = (10_000, 100_000), jobs: int = 2) -> list[Row]:
    """Peak RSS of the parent and of the largest worker for runs of ``sizes`` generated
    programs (``--area generated``: the catalogue left out), and the growth between the
    smallest and largest run."""
    peaks = {}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            out = Path(tmp) / f"memory{size}.jsonl"
            args = ["run", "--area", "generated", "--generated", str(size), "-q"]
            run = conformance([*args, "--jobs", str(jobs), "--out", str(out)])
            peaks[size] = run
            rows += [
                Row(f"memory {size} generated: parent peak RSS", run.parent_mib, "MiB"),
                Row(f"memory {size} generated: largest worker", run.worker_mib, "MiB"),
                Row(f"memory {size} generated: wall", run.wall_s, "s"),
            ]
    small, large = peaks[min(sizes)], peaks[max(sizes)]
    growth = f"{max(sizes)} / {min(sizes)}"
    rows += [
        Row(
            f"memory growth parent ({growth})",
            large.parent_mib / small.parent_mib,
            "x",
            FLAT_GOAL,
            note=f"--jobs {jobs}; RSS polled every 50 ms with psutil over the process tree",
        ),
        Row(
            f"memory growth worker ({growth})", large.worker_mib / small.worker_mib, "x", FLAT_GOAL
        ),
    ]
    return rows


def synthetic_results(path: Path, count: int) -> Path:
    """A results file of ``count`` synthetic cases (tests/harness/synthetic.py)."""
    from tests.harness import synthetic

    return synthetic.write_results(path, synthetic.many(count))


def first_cases(source: Path, path: Path, count: int) -> Path:
    """The header and the first ``count`` case records of a real run's results file."""
    kept = 0
    with open(source, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as dst:
        for line in src:
            is_case = line.startswith(CASE_LINE)
            if is_case and kept >= count:
                continue
            kept += is_case
            dst.write(line)
    return path


def measure_report(results: Path, label: str) -> list[Row]:
    """Seconds and MiB of ``conformance report RESULTS -o report.html``."""
    cases = count_cases(results)
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        run = conformance(["report", str(results), "-o", str(html)])
        size = html.stat().st_size / 2**20
    return [
        Row(f"report {cases} cases ({label}): time", run.wall_s, "s"),
        Row(f"report {cases} cases ({label}): size", size, "MiB"),
    ]
