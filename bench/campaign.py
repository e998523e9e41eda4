"""Whole ``conformance`` commands in a child process: throughput with one and two workers,
peak memory as the number of generated programs grows, and report rendering time and size."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.measure import conformance
from bench.table import Row
from conformance.results import CASE_LINE_START

SPEEDUP_GOAL = 1.8
FLAT_GOAL = 1.10  #: peak RSS of the larger run over the smaller one


def count_cases(path: Path) -> int:
    """Case records in a results file (each line is one record; no parsing needed)."""
    with open(path, encoding="utf-8") as handle:
        return sum(line.startswith(CASE_LINE_START) for line in handle)


#: What a worker pays once however many cases it runs, besides start-up: the catalogue's
#: optimizer cases import ``torch._dynamo`` at their first step (``torch._disable_dynamo``),
#: 0.5 s in every worker process. ``-k`` keeps the one program in the selection.
ONE_TIME = ("-k", "generated/p0000", "-k", "optimizer")


def measure_throughput(
    generated: int = 1000,
    selection: Sequence[str] = (),
    keep: Path | None = None,
    repeats: int = 2,
    label: str = "",
) -> list[Row]:
    """Cases per second of ``conformance run --generated N`` with --jobs 1 and --jobs 2, the
    serial start-up, and the speed-up that start-up leaves possible.

    The runs take turns ``repeats`` times and the fastest of each counts; the speed-up's note
    gives each round's own ratio (the spread, on a machine shared with other work). Start-up
    is the wall time of a run of one generated program (interpreter, imports, torch's own lazy
    imports at the first backward, the catalogue, writing): it happens before either run's
    workers can work. The bound also counts what every worker pays once on the catalogue,
    torch's lazy import of Dynamo at the first optimizer step (a run of that program and the
    optimizer cases, ``ONE_TIME``), when ``selection`` leaves the catalogue in: two workers can
    at best turn ``T1`` into ``S + (T1 - S) / 2`` (Amdahl's law). ``selection`` narrows the
    catalogue (``--area smoke``, for tests). ``keep``: where to leave a --jobs 1 results file
    (the 1,000-case report is rendered from it). ``label`` prefixes the figures, to tell a
    start-up-dominated short run from a long one.
    """
    one_program = ["run", "--area", "generated", "--generated", "1", "--jobs", "1"]
    runs: dict[str, list[str]] = {
        "start-up": one_program,
        "one-time": ["run", "--generated", "1", *ONE_TIME, "--jobs", "1"],
        **{
            f"jobs{jobs}": ["run", *selection, "--generated", str(generated), "--jobs", str(jobs)]
            for jobs in (1, 2)
        },
    }
    if selection:  # no catalogue optimizer cases in the run: nothing more paid once
        del runs["one-time"]
    times: dict[str, list[float]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            for name, args in runs.items():
                out = Path(tmp) / f"{name}.jsonl"
                times[name].append(conformance([*args, "-q", "--out", str(out)]).wall_s)
        cases = count_cases(Path(tmp) / "jobs1.jsonl")  # every run holds the same cases
        if keep is not None:
            keep.write_bytes((Path(tmp) / "jobs1.jsonl").read_bytes())
    best = {name: min(walls) for name, walls in times.items()}
    rates = {jobs: cases / best[f"jobs{jobs}"] for jobs in (1, 2)}
    start_up, serial = best["start-up"], best["jobs1"]
    once = best.get("one-time", start_up)
    # (a run no longer than start-up has nothing to share out)
    bound = serial / (once + (serial - once) / 2) if serial > once else 1.0
    rounds = ", ".join(f"{a / b:.2f}" for a, b in zip(times["jobs1"], times["jobs2"], strict=True))
    what = f"{' '.join(selection) or 'catalogue'} + {generated} generated"
    prefix = f"{label} " if label else ""
    bound_note = "T1 / (S + (T1 - S) / 2), S: "
    bound_note += (
        f"start-up and the catalogue's optimizer cases ({once:.2f} s: each worker imports "
        "torch._dynamo at its first optimizer step)"
        if "one-time" in best
        else "start-up"
    )
    return [
        Row(
            f"{prefix}throughput --jobs 1 ({cases} cases)",
            rates[1],
            "cases/s",
            note=f"conformance run ({what}); wall time incl. process start-up, best of {repeats}",
        ),
        Row(f"{prefix}throughput --jobs 2", rates[2], "cases/s"),
        Row(
            f"{prefix}speed-up --jobs 2 / --jobs 1",
            rates[2] / rates[1],
            "x",
            SPEEDUP_GOAL,
            ">=",
            note=f"best over best; round by round {rounds}",
        ),
        Row(
            f"{prefix}start-up (a run of one program)",
            start_up,
            "s",
            note="serial in both runs, like the lazy imports each worker pays once",
        ),
        Row(f"{prefix}speed-up bound from start-up", bound, "x", note=bound_note),
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
            is_case = line.startswith(CASE_LINE_START)
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
