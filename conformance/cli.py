"""The conformance command: run, list, show, report, gate and mutation-score.

Exit status: 0 when no case failed or errored, 1 when some did, 2 on bad input (one error line
on stderr), 130 when interrupted (the results file still holds every finished case).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import math
import platform
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import numpy as np

from conformance import environment
from conformance.backends import Backend
from conformance.case import REGISTRY
from conformance.catalogue import DEFAULT_PACKAGE, load_catalogue, select
from conformance.config import Config, load_config
from conformance.errors import ConformanceInputError
from conformance.executors import EXECUTORS
from conformance.facets import FACETS
from conformance.known import load_known
from conformance.policies import policy_for
from conformance.process_settings import collector_paused, exit_now, frozen
from conformance.programs.shrink import shrink_isolated
from conformance.programs.signature import signature_of
from conformance.progress import Progress
from conformance.registry import load_backend
from conformance.reproducer import build_reproducer
from conformance.results import (
    RECORD_CASE,
    CaseResult,
    ResultWriter,
    RunHeader,
    read_headers,
    read_records,
    skipping_bad_lines,
)
from conformance.runner import RunOptions, load_pair, run_cases
from conformance.sources import (
    CaseSource,
    Selection,
    case_sources,
    get_case,
    save_failure,
    selected_ids,
    selects,
)
from conformance.sources import shrinkable as is_shrinkable
from conformance.summary import OUTCOMES, RunStatus, Tally, default_status

if TYPE_CHECKING:
    from reports.rows import ReportData

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process ended by it
SKIP_BAD_LINES_HELP = "skip (and count) results lines that are not valid records"
DEFAULT_OUT = "results/run.jsonl"
BAD = ("fail", "error", "crash")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"conformance: error: {message}\n")


def _selection_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", action="append", default=[], help="only this area (repeatable)")
    parser.add_argument("--tag", action="append", default=[], help="only cases with this tag")
    parser.add_argument(
        "-k",
        dest="patterns",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only case ids containing PATTERN (or matching it, with * ? [])",
    )
    parser.add_argument(
        "--cases", default=None, help=f"catalogue package (default {DEFAULT_PACKAGE})"
    )
    parser.add_argument("--config", default=None, help="TOML settings (default: ./pyproject.toml)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="conformance", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, title="commands"
    )

    run = commands.add_parser("run", help="run cases on two backends and compare them")
    _selection_args(run)
    run.add_argument(
        "--backends", default=None, help="baseline,candidate (default torch,reference)"
    )
    run.add_argument("--seed", type=int, default=None, help="run seed (default 0)")
    run.add_argument("--jobs", type=int, default=None, help="worker processes; 0 = in process")
    run.add_argument("--timeout", type=float, default=None, help="seconds per case (default 60)")
    run.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="process",
        help="process: --jobs worker processes here; dask: a Dask cluster (pip install .[dask])",
    )
    run.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler, e.g. tcp://host:8786 (default $DASK_SCHEDULER_ADDRESS, "
        "else a LocalCluster of --jobs workers started for the run)",
    )
    run.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads per worker (default 1; 0 keeps torch's default)",
    )
    run.add_argument(
        "--known",
        default=None,
        metavar="FOLDER",
        help="known-differences lists (*.toml) for backend pairs (default: ./known if present)",
    )
    run.add_argument(
        "--out", default=DEFAULT_OUT, help=f"JSON Lines results (default {DEFAULT_OUT})"
    )
    run.add_argument("--resume", action="store_true", help="keep --out and skip its finished cases")
    run.add_argument("--skip-bad-lines", action="store_true", help=SKIP_BAD_LINES_HELP)
    run.add_argument(
        "--generated", type=int, default=0, metavar="N", help="also run N generated programs"
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no failure list, no progress")
    run.add_argument(
        "--fail-on",
        default=None,
        metavar="OUTCOMES",
        help="comma-separated outcomes that fail the run (default: fail,error,crash; "
        "with two built-in backends also unsupported)",
    )
    run.add_argument(
        "--max-unsupported",
        type=float,
        default=None,
        metavar="SHARE",
        help="largest share of unsupported cases a successful run may have, 0..1 (default: 0 "
        "with two built-in backends, else 0.5); a run where no case passed always fails",
    )
    run.add_argument(
        "-v", "--verbose", action="store_true", help="print each failure's full comparison"
    )
    run.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="PATH",
        help="also write a report (.html, .json, .csv, .parquet, .xml JUnit, .md); repeatable",
    )
    run.add_argument(
        "--baseline",
        default=None,
        metavar="FILE",
        help="gate baseline whose deltas the report plots (the run itself is not gated)",
    )
    run.add_argument(
        "--shrink",
        type=int,
        default=10,
        metavar="N",
        help="after the run, shrink up to N failing generated programs to minimal reproducers "
        "(default 10; 0 = none)",
    )
    run.add_argument(
        "--shrink-facet",
        default=None,
        choices=FACETS,
        help="keep this facet's difference while shrinking (default: each failure's first "
        "facet, so a value difference is not traded for a node-name one on the way)",
    )

    listing = commands.add_parser("list", help="list case ids, areas and tags")
    _selection_args(listing)

    show = commands.add_parser("show", help="print a standalone torch reproducer of a case")
    show.add_argument("case", help="case id (area/name) or a unique name")
    show.add_argument("--seed", type=int, default=None, help="run seed (default 0)")
    show.add_argument(
        "--cases", default=None, help=f"catalogue package (default {DEFAULT_PACKAGE})"
    )
    show.add_argument("--config", default=None, help="TOML settings (default: ./pyproject.toml)")
    _report_and_gate_commands(commands)
    return parser


def _report_and_gate_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    from conformance.gate import DEFAULT_FACTOR, DEFAULT_FLOORS

    report = commands.add_parser("report", help="render a results file as HTML and exports")
    report.add_argument(
        "results",
        nargs="*",
        default=[DEFAULT_OUT],
        help=f"JSON Lines results (default {DEFAULT_OUT}); several are shown side by side",
    )
    report.add_argument(
        "-o",
        "--output",
        action="append",
        required=True,
        metavar="PATH",
        help="output file; the suffix picks the format (.html .json .csv .parquet .xml .md)",
    )
    report.add_argument(
        "--reproducers",
        choices=("failing", "all", "none"),
        default="failing",
        help="embed reproducer scripts for cases that did not pass (default), all, or none",
    )
    report.add_argument(
        "--baseline", default=None, metavar="FILE", help="gate baseline to plot deltas against"
    )
    report.add_argument("--skip-bad-lines", action="store_true", help=SKIP_BAD_LINES_HELP)

    score = commands.add_parser(
        "mutation-score", help="how many generated programs it takes to find each planted bug"
    )
    score.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    score.add_argument("--limit", type=int, default=200, help="programs per bug (default 200)")
    score.add_argument("--json", default=None, metavar="PATH", help="also write the records")

    diff = commands.add_parser(
        "diff", help="what changed between two recorded runs, case by case (a torch upgrade)"
    )
    diff.add_argument("before", help="results file A (e.g. recorded with the old torch)")
    diff.add_argument("after", help="results file B")
    diff.add_argument(
        "-v", "--verbose", action="store_true", help="show each changed observation's values"
    )
    diff.add_argument("--skip-bad-lines", action="store_true", help=SKIP_BAD_LINES_HELP)

    gate = commands.add_parser("gate", help="compare a results file with a committed baseline")
    gate.add_argument(
        "results",
        nargs="?",
        default=DEFAULT_OUT,
        help=f"JSON Lines results (default {DEFAULT_OUT})",
    )
    gate.add_argument("--baseline", required=True, help="baseline JSON file")
    gate.add_argument("--skip-bad-lines", action="store_true", help=SKIP_BAD_LINES_HELP)
    gate.add_argument(
        "-v", "--verbose", action="store_true", help="list new cases one by one, not per area"
    )
    gate.add_argument(
        "--update-baseline",
        action="store_true",
        help="record the cases of this run in the baseline (others are kept); refused when a "
        "case that passed there fails now, unless --accept-failures",
    )
    gate.add_argument(
        "--accept-failures",
        action="store_true",
        help="with --update-baseline: record newly failing cases too (each is listed)",
    )
    gate.add_argument(
        "--factor",
        type=float,
        default=DEFAULT_FACTOR,
        help=f"an error may grow this many times (default {DEFAULT_FACTOR:g})",
    )
    for key, floor in DEFAULT_FLOORS.items():
        gate.add_argument(
            f"--{key.removeprefix('max_').removesuffix('_diff').replace('_', '-')}-floor",
            dest=f"floor_{key}",
            type=float,
            default=floor,
            help=f"ignore growth of {key} up to this value (default {floor:g})",
        )


def _package(args: argparse.Namespace, config: Config) -> str:
    return args.cases or config.cases or DEFAULT_PACKAGE


def _options(args: argparse.Namespace, config: Config) -> RunOptions:
    names = (
        tuple(n.strip() for n in args.backends.split(",") if n.strip())
        if args.backends
        else config.backends or ("torch", "reference")
    )
    if len(names) != 2:
        raise ConformanceInputError(f"--backends needs two names, got {','.join(names) or 'none'}")
    jobs = args.jobs if args.jobs is not None else (config.jobs if config.jobs is not None else 1)
    timeout = args.timeout if args.timeout is not None else (config.timeout or 60.0)
    seed = args.seed if args.seed is not None else (config.seed or 0)
    _check_numbers({"--jobs": jobs, "--timeout": timeout, "--seed": seed})
    if timeout <= 0:
        raise ConformanceInputError(f"--timeout must be more than 0 seconds, got {timeout:g}")
    return RunOptions(
        backends=(names[0], names[1]),
        seed=seed,
        jobs=jobs,
        timeout=timeout,
        cases_package=_package(args, config),
        tolerances=config.tolerances,
        executor=getattr(args, "executor", "process"),
        scheduler=getattr(args, "scheduler", None),
        threads=getattr(args, "threads", 1),
        known=getattr(args, "known", None),
    )


def _check_numbers(values: dict[str, float | int | None]) -> None:
    """Every numeric option must be a finite number >= 0: NaN would switch a check off (a
    timeout of NaN never expires), infinity or a negative count means nothing sensible."""
    for option, value in values.items():
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise ConformanceInputError(f"{option} must be a finite number >= 0, got {value}")


def _numeric_options(args: argparse.Namespace) -> dict[str, float | int | None]:
    """The numeric options given on the command line, by option name."""
    names = {
        "jobs": "--jobs",
        "timeout": "--timeout",
        "threads": "--threads",
        "seed": "--seed",
        "generated": "--generated",
        "shrink": "--shrink",
        "limit": "--limit",
        "factor": "--factor",
    }
    found = {names[k]: v for k, v in vars(args).items() if k in names}
    for key, value in vars(args).items():
        if key.startswith("floor_"):
            found[f"--{key.removeprefix('floor_max_').removesuffix('_diff')}-floor"] = value
    return found


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before a run starts, a report whose format its suffix does not name and a
    baseline that cannot be read, rather than after the whole run. A run without reports
    imports none of their modules (18, an XML parser among them: 10-16 ms of the start-up)."""
    if args.report:
        from reports.exports import FORMATS

        for output in args.report:
            if Path(output).suffix.lower() not in FORMATS:
                known = ", ".join(FORMATS)
                raise ConformanceInputError(
                    f"cannot tell the format of {output} (known suffixes: {known})"
                )
    if args.baseline is not None:
        from conformance.gate import load_baseline

        load_baseline(args.baseline)


def _check_resume(path: str, options: RunOptions) -> None:
    headers = read_headers(path)
    if not headers:
        return
    last = headers[-1]
    if list(last.get("backends", [])) != list(options.backends) or last.get("seed") != options.seed:
        raise ConformanceInputError(
            f"--resume: {path} was run with backends {','.join(last.get('backends', []))} and "
            f"seed {last.get('seed')}, not {','.join(options.backends)} and seed {options.seed}"
        )
    refusal = environment.resume_refusal(last)
    if refusal:
        raise ConformanceInputError(f"--resume: {path}: {refusal}")


def command_run(args: argparse.Namespace) -> int:
    _check_status_options(args)
    config = load_config(args.config)
    options = _options(args, config)
    _check_outputs(args)
    load_known(options.known, *options.backends)  # a malformed list stops the run before it starts
    sources = case_sources(options.cases_package)
    selection = Selection.of(args.area, args.tag, args.patterns, args.generated)

    def selected(case_id: str) -> bool:
        return selects(sources, case_id, selection)

    total = sum(1 for _ in selected_ids(sources, selection))
    if not total:
        raise ConformanceInputError("no case matches the selection (see `conformance list`)")
    if options.jobs == 0 and options.executor == "process" and _selects_crashes(sources, selection):
        # a case known to kill its process would take this one, and every result, with it
        print(
            "conformance: cases tagged 'crash' run in a worker process (--jobs 1)", file=sys.stderr
        )
        options = dataclasses.replace(options, jobs=1)
    with collector_paused():  # importing torch: no collections over what stays loaded
        pair = load_pair(options.backends)
        thaw = frozen()  # for the command; the workers fork frozen
    try:
        tally = Tally()
        done: set[str] = set()
        resume = args.resume and Path(args.out).exists()  # nothing to resume: a fresh run
        writer = ResultWriter(args.out, append=resume)  # locked before anything is read
        if resume:
            try:
                _check_resume(args.out, options)
                done = _earlier_results(args.out, tally, selected)
            except BaseException:
                writer.close()
                raise

        def todo() -> Iterator[str]:
            """Each source's selected cases in its order (catalogue, generated), lazily."""
            return (case_id for case_id in selected_ids(sources, selection) if case_id not in done)

        header = _run_header(args, options, pair, total, len(done))
        progress = Progress(total - len(done), enabled=None if not args.quiet else False)
        with writer:
            writer.write(header)

            def finished(result: CaseResult) -> None:
                writer.write(result)
                tally.add(result)
                keep_failure(result, options, args.out)
                progress.finish(result.outcome)

            report = run_cases(todo(), options, finished, progress.start, keep=False)
        progress.close()
        status = _status(args, options.backends, tally)
        _print_summary(args, status, tally, pair)
        if not report.interrupted:
            _shrink_failures(args, options, tally.failures())
        _write_reports(args.out, args.report, "failing", baseline=args.baseline)
        if report.interrupted:
            left = total - len(done)
            print(f"interrupted: {report.finished} of {left} cases finished", file=sys.stderr)
            return EXIT_TERMINATED if report.signal == signal.SIGTERM else EXIT_INTERRUPTED
        return EXIT_OK if status.ok else EXIT_FAILED
    finally:
        thaw()


def _run_header(
    args: argparse.Namespace,
    options: RunOptions,
    pair: tuple[Backend, Backend],
    total: int,
    skipped: int,
) -> RunHeader:
    """Who compared what, written first in the results file (and again on each resume)."""
    return RunHeader(
        seed=options.seed,
        backends=list(options.backends),
        versions={name: b.version for name, b in zip(options.backends, pair, strict=True)},
        selection={
            "areas": args.area,
            "tags": args.tag,
            "patterns": args.patterns,
            "cases": options.cases_package,
            "generated": args.generated,
            "count": total,
            "skipped": skipped,
            "executor": options.executor,
            "jobs": options.jobs,
        },
        started=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        argv=list(sys.argv),
        python=platform.python_version(),
        platform=platform.platform(),
        harness_version=_version(),
        numpy=np.__version__,
        git_commit=environment.git_commit(),
        device=environment.device(options.backends),
        dtype_policy=environment.DTYPE_POLICY,
        generator=environment.generator(),
        compile_caches=environment.compile_caches(options.backends),
        policy=_policy_record(pair),
    )


def _print_summary(
    args: argparse.Namespace, status: RunStatus, tally: Tally, pair: tuple[Backend, Backend]
) -> None:
    """The run's verdict line, its tables (outcomes, facets), compiled shares, what the policy
    ignored, then each failure (unless -q) and where the results are."""
    print(status.line)
    print(tally.table())
    if tally.facet_table():
        print("\n" + tally.facet_table())
    for backend, line in tally.compiled_share().items():
        print(f"{backend}: {line}")
    if tally.ignored:
        policy = policy_for(*(b.compares_as or b.name for b in pair))
        ignored = ", ".join(f"{n} {f}" for f, n in sorted(tally.ignored.items()))
        print(f"policy {policy.name!r} {policy.describe()}: ignored differences: {ignored}")
    bad = tally.failures()
    if bad and not args.quiet:
        print()
        for result in bad:
            print(f"{result.outcome.upper():5} {result.case_id}: {result.reason}")
            if args.verbose and result.message and result.message != result.reason:
                print("      " + result.message.replace("\n", "\n      "))
    print(f"\nresults: {args.out}")


def _shrink_failures(args: argparse.Namespace, options: RunOptions, bad: list[CaseResult]) -> None:
    """Shrink up to ``--shrink`` failing programs, each in a child process, toward its own
    failure signature (or ``--shrink-facet``)."""
    for result in _shrinkable(bad)[: args.shrink]:
        facet = args.shrink_facet if args.shrink_facet in result.facets else None
        line = shrink_isolated(
            result.case_id,
            options.seed,
            options.backends,
            result.outcome,
            result.reason,
            args.out,
            signature=signature_of(result, facet),
        )
        if not args.quiet:
            print(line)


def keep_failure(result: CaseResult, options: RunOptions, results_path: str) -> None:
    """Keep what reproduces a failing case next to the results: what its source saves (a
    generated program's JSON and script in ``<out stem>.generated/``), else, for a crash, its
    standalone torch script (``<out stem>.crashes/``)."""
    if result.outcome not in BAD:
        return
    saved = save_failure(result.case_id, options.seed, results_path)
    if saved is None and result.outcome == "crash":
        save_crash(result, options, results_path)


def _shrinkable(bad: list[CaseResult]) -> list[CaseResult]:
    """The failures that are programs the shrinker can make smaller (not stopped by the
    harness: a timeout says nothing about the program)."""
    return [r for r in bad if is_shrinkable(r.case_id) and not _harness_error(r)]


def save_crash(result: CaseResult, options: RunOptions, results_path: str) -> Path:
    """Save the standalone torch script of a catalogue case that crashed a backend next to the
    results (``results/run.jsonl`` -> ``results/run.crashes/<area>.<name>.py``): the finding a
    maintainer runs. Its inputs are recorded on the backend that did not crash, in a child
    process: that backend may share the crashed one's module (``torch`` and
    ``torch-compile``), and the case run again here would take the run down with it."""
    crashed = result.reason.split(" crashed:", 1)[0]
    survivor = next((b for b in options.backends if b != crashed), "reference")
    out = Path(results_path)
    folder = out.parent / f"{out.stem}.crashes"
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"{result.case_id.replace('/', '.')}.py"
    case = get_case(result.case_id, options.cases_package, options.seed)
    script.write_text(build_reproducer(case, options.seed, load_backend(survivor), apart=True))
    return script


def _selects_crashes(sources: Sequence[CaseSource], selection: Selection) -> bool:
    """Whether the selection holds a catalogue case tagged ``crash`` (it kills its process)."""
    return any(
        "crash" in getattr(REGISTRY.get(cid), "tags", ())
        for cid in selected_ids(sources, selection)
    )


def _check_status_options(args: argparse.Namespace) -> None:
    """``--fail-on`` names outcomes and ``--max-unsupported`` is a share: checked before a run."""
    if args.fail_on is not None:
        unknown = [o for o in args.fail_on.split(",") if o.strip() not in OUTCOMES]
        if unknown or not args.fail_on.strip():
            raise ConformanceInputError(
                f"--fail-on takes outcomes among {', '.join(OUTCOMES)}, got {args.fail_on!r}"
            )
    limit = args.max_unsupported
    if limit is not None and not 0.0 <= limit <= 1.0:  # NaN fails this too
        raise ConformanceInputError(f"--max-unsupported must be a share in 0..1, got {limit}")


def _status(args: argparse.Namespace, backends: tuple[str, str], tally: Tally) -> RunStatus:
    """The run's verdict from ``--fail-on`` and ``--max-unsupported`` (defaults by backend)."""
    fail_on = None
    if args.fail_on is not None:
        fail_on = tuple(o.strip() for o in args.fail_on.split(",") if o.strip())
    return default_status(tally.total(), backends, fail_on, args.max_unsupported)


def _policy_record(pair: tuple[Backend, Backend]) -> dict[str, str]:
    policy = policy_for(*(b.compares_as or b.name for b in pair))
    return {"name": policy.name, "description": policy.describe(), "why": policy.why}


def _harness_error(result: CaseResult) -> bool:
    """An ``error`` with nothing compared: the harness (a timeout, a dead worker, a malformed
    case) stopped the program, so shrinking it would only chase the harness."""
    return result.outcome == "error" and not result.comparisons


def _earlier_results(path: str, tally: Tally, selected: Callable[[str], bool]) -> set[str]:
    """The ids an earlier (interrupted) run finished in ``path``, counting those this run
    selects into ``tally``: one pass, one record at a time."""
    done: set[str] = set()
    if not Path(path).exists():
        return done
    for record in read_records(path):
        if record.get("record") == RECORD_CASE:
            case_id = str(record["case_id"])
            done.add(case_id)
            if selected(case_id):
                tally.add(CaseResult.from_dict(record))
    return done


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("autograd-conformance")
    except metadata.PackageNotFoundError:
        return "unknown"


def _write_reports(
    results_path: str | list[str],
    outputs: Sequence[str],
    reproducers: str,
    baseline: str | None = None,
) -> ReportData | None:
    if not outputs:
        return None
    from reports.exports import write_output
    from reports.rows import build_report

    data = build_report(results_path, reproducers=reproducers, baseline=baseline)
    for output in outputs:
        print(f"report: {write_output(data, output)}")
    return data


def command_report(args: argparse.Namespace) -> int:
    for path in args.results:  # stops at each file's first case record
        if not any(r.get("record") == RECORD_CASE for r in read_records(path)):
            raise ConformanceInputError(f"{path} holds no case results")
    paths = args.results[0] if len(args.results) == 1 else list(args.results)
    data = _write_reports(paths, args.output, args.reproducers, baseline=args.baseline)
    return EXIT_FAILED if data and any(row.outcome in BAD for row in data.cases) else EXIT_OK


def command_gate(args: argparse.Namespace) -> int:
    from conformance.gate import (
        GateConfig,
        newly_failing,
        run_gate,
        summary_lines,
        update_baseline,
    )

    if args.update_baseline:
        worse = newly_failing(args.baseline, args.results)
        for line in worse:
            print(f"newly failing: {line}")
        if worse and not args.accept_failures:
            print(
                f"baseline {args.baseline} not updated: {len(worse)} case(s) that passed would "
                "be recorded as failing (--accept-failures records them)"
            )
            return EXIT_FAILED
        written, kept = update_baseline(args.baseline, args.results)
        print(f"baseline {args.baseline}: {written} case(s) recorded, {kept} other(s) kept")
        return EXIT_OK
    floors = {k.removeprefix("floor_"): v for k, v in vars(args).items() if k.startswith("floor_")}
    result = run_gate(args.baseline, args.results, GateConfig(args.factor, floors))
    if result.across:
        print(f"gate: no baseline for these versions; compared across versions ({result.across})")
    for line in summary_lines(result.findings, verbose=args.verbose):
        print(line)
    regressions = len(result.regressions)
    fixed = sum(not f.regression and f.kind != "new case" for f in result.findings)
    print(
        f"gate: {result.compared} case(s) compared with {args.baseline} "
        f"(environment {result.fingerprint}): {regressions} regression(s), "
        f"{fixed} improvement(s) or fix(es)"
        + ("; refresh the baseline with --update-baseline" if fixed and not regressions else "")
    )
    return EXIT_FAILED if regressions else EXIT_OK


def command_list(args: argparse.Namespace) -> int:
    """Catalogue cases, then any other source's ids the selection names (``--area opinfo``);
    generated programs are not listed (``conformance show generated/pNNNN`` prints one)."""
    config = load_config(args.config)
    package = _package(args, config)
    cases = select(load_catalogue(package), args.area, args.tag, args.patterns)
    rows = [(c.id, c.area, c.tags) for c in cases]
    selection = Selection.of(args.area, args.tag, args.patterns)
    for source in case_sources(package)[1:]:
        rows += [(i, *source.keywords(i)) for i in source.ids(selection)]
    width = max((len(row[0]) for row in rows), default=0)
    for case_id, area, tags in rows:
        print(f"{case_id.ljust(width)}  {area}  {','.join(tags)}")
    return EXIT_OK


def command_show(args: argparse.Namespace) -> int:
    from conformance.reproducer import build_reproducer

    config = load_config(args.config)
    seed = args.seed if args.seed is not None else (config.seed or 0)
    case = get_case(args.case, _package(args, config), run_seed=seed)
    sys.stdout.write(build_reproducer(case, seed))
    return EXIT_OK


def command_mutation_score(args: argparse.Namespace) -> int:
    from conformance.programs import mutation_score

    argv = ["--seed", str(args.seed), "--limit", str(args.limit)]
    return mutation_score.main(argv + (["--json", args.json] if args.json else []))


def command_diff(args: argparse.Namespace) -> int:
    """Exit 0 when the two runs agree case by case, 1 when anything changed (as ``diff``)."""
    from conformance.diff import diff_lines, diff_runs

    for path in (args.before, args.after):
        if not Path(path).is_file():
            raise ConformanceInputError(f"no results file {path!r}")
    found = diff_runs(args.before, args.after)
    for line in diff_lines(found, args.verbose):
        print(line)
    return EXIT_FAILED if found.changes else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``conformance`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # a bare ``conformance``: say what it can do
        parser.print_help()
        return 0
    handlers = {"run": command_run, "list": command_list, "show": command_show}
    handlers |= {"report": command_report, "gate": command_gate}
    handlers |= {"mutation-score": command_mutation_score, "diff": command_diff}
    try:
        _check_numbers(_numeric_options(args))
        if not getattr(args, "skip_bad_lines", False):
            return handlers[args.command](args)
        with skipping_bad_lines() as skipped:
            status = handlers[args.command](args)
        for warning in skipped.warnings():
            print(f"conformance: {warning}", file=sys.stderr)
        return status
    except ConformanceInputError as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `conformance list | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


def command() -> NoReturn:
    """The installed ``conformance`` command (and ``python -m conformance``): ``main``, then
    exit with its status without the interpreter's teardown (``exit_now``: cleanup handlers
    and flushes run, unloading torch does not)."""
    exit_now(main())


if __name__ == "__main__":
    command()
