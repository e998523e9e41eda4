"""Typed report rows built from a results file: the one shape every report format reads.

The HTML page, the exports and the tests all consume ``ReportData``; it is plain dataclasses
(JSON-serialisable with ``dataclasses.asdict``) so each format is a small function of data.
"""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.compare import ObservationComparison
from conformance.environment import DTYPE_POLICY, device, git_commit
from conformance.facets import FACETS
from conformance.gate import GateConfig
from conformance.results import (
    CaseResult,
    FiniteDifferenceCheck,
    read_run,
)
from conformance.summary import OUTCOMES, Tally, default_status
from reports.delta import BaselineDelta, baseline_delta

#: Outcomes in the order the table shows them: what needs attention first.
OUTCOME_RANK = {"error": 0, "fail": 1, "unsupported": 2, "pass": 3}
#: Longest text kept for one side of an observation (values are clipped, not the verdict).
VALUE_TEXT_LIMIT = 600
#: ULP bins of the error histogram: (label, lowest ULP in the bin).
ULP_BINS: tuple[tuple[str, float], ...] = (
    ("0", 0),
    ("1", 1),
    ("2-4", 2),
    ("5-16", 5),
    ("17-256", 17),
    ("257-65536", 257),
    (">65536", 65537),
)
#: Sides a finite-difference estimate can call wrong.
WRONG_SIDES = ("baseline", "candidate", "both")


def pair_name(backends: Sequence[str]) -> str:
    """``torch vs reference``: how a backend pair is named in every report."""
    return " vs ".join(backends) or "-"


@dataclass
class Environment:
    """Where and how the run happened (run header) and where the report was made."""

    backends: list[str]
    versions: dict[str, str | None]
    seed: int | None
    started: str
    python: str
    platform: str
    harness_version: str
    numpy: str
    git_commit: str
    device: str
    dtype_policy: str
    argv: list[str] = field(default_factory=list)
    #: The pair's comparison policy (name, description, why), as the run recorded it.
    policy: dict[str, str] = field(default_factory=dict)
    #: On-disk compile caches the backends read, as the run found them (``compile_caches``).
    compile_caches: dict[str, Any] = field(default_factory=dict)
    #: The results file this environment was read from.
    source: str = ""


@dataclass
class ObservationRow:
    """One compared observation: both sides as text, the differences and the tolerances."""

    name: str
    kind: str
    status: str
    dtype: str
    reasons: list[str]
    message: str
    baseline: str
    candidate: str
    rtol: float | None = None
    atol: float | None = None
    numel: int | None = None
    mismatched: int | None = None
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    max_ulp: float | None = None
    #: |a - e| / (atol + rtol |e|) at its greatest: 1 is the edge of tolerance (None: old file).
    max_tolerance_ratio: float | None = None


@dataclass
class FiniteDifferenceRow:
    """A float64 central-difference estimate of one gradient and each side's error against it."""

    name: str
    estimate: str
    baseline_error: float | None
    candidate_error: float | None
    pair_error: float | None
    wrong_side: str | None


@dataclass
class CaseRow:
    """One case: its outcome, worst differences, observations and how to reproduce it."""

    case_id: str
    area: str
    name: str
    tags: list[str]
    outcome: str
    reason: str
    message: str
    doc: str
    seed: int
    run_seed: int | None
    dtype: str
    observations: list[ObservationRow]
    expectations: list[str]
    durations: dict[str, float]
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    max_ulp: float | None = None
    max_tolerance_ratio: float | None = None
    reproducer: str = ""
    #: The backend pair, baseline first (cases of one report may come from different pairs).
    backends: list[str] = field(default_factory=list)
    finite_differences: list[FiniteDifferenceRow] = field(default_factory=list)
    #: Facets that differed, and those only the pair's comparison policy ignored.
    facets: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    #: What each backend measured about its run (compiled graphs...).
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The results file the row came from, when a report reads several.
    source: str = ""

    @property
    def pair(self) -> str:
        name = pair_name(self.backends)
        return f"{name} [{self.source}]" if self.source else name


@dataclass
class AreaSummary:
    """Outcome counts of one area (or of the whole run, area ``TOTAL``)."""

    area: str
    counts: dict[str, int]
    total: int


@dataclass
class PairSummary:
    """Outcome counts of one area on one backend pair (area ``TOTAL``: the pair over all)."""

    area: str
    pair: str
    counts: dict[str, int]
    total: int


@dataclass
class HeatCell:
    """The worst error of one area x dtype, over every compared observation there.

    ``max_tolerance_ratio`` is None when no observation there recorded it (results files
    written before the harness measured it).
    """

    area: str
    dtype: str
    observations: int
    max_ulp: float | None
    max_rel_diff: float | None
    max_tolerance_ratio: float | None = None


@dataclass
class FiniteDifferenceSummary:
    """How often the finite-difference oracle gave an opinion, and whom it called wrong."""

    cases: int
    checks: int
    #: Checks whose estimate disagreed with a side, by side (``baseline``, ``candidate``,
    #: ``both``), every side present even at 0.
    wrong_side: dict[str, int]


@dataclass
class ReportData:
    """Everything a report shows, computed once from the results file."""

    source: str
    environment: Environment
    totals: AreaSummary
    areas: list[AreaSummary]
    heat: list[HeatCell]
    histogram: dict[str, list[int]]
    cases: list[CaseRow]
    pairs: list[PairSummary] = field(default_factory=list)
    finite_differences: FiniteDifferenceSummary = field(
        default_factory=lambda: FiniteDifferenceSummary(0, 0, dict.fromkeys(WRONG_SIDES, 0))
    )
    #: The run against a gate baseline, when one was given (see ``reports.delta``).
    delta: BaselineDelta | None = None
    #: Cases per area with each facet differing (``conformance.facets``), TOTAL last.
    facets: list[AreaSummary] = field(default_factory=list)
    #: Each results file's own environment, in the order given (one entry for one file).
    environments: list[Environment] = field(default_factory=list)
    #: Per compiling backend: the share of grad-carrying results from compiled graphs.
    compiled: dict[str, str] = field(default_factory=dict)
    #: The run's verdict line, the first line of every summary (``PASSED: ...``/``FAILED: ...``).
    status: str = ""

    @property
    def dtypes(self) -> list[str]:
        return sorted({cell.dtype for cell in self.heat})

    @property
    def pair_names(self) -> list[str]:
        return sorted({p.pair for p in self.pairs})


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)  # numbers, or 'nan' / 'inf' / '-inf' as written to JSON


def _worst(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    nan = [v for v in present if math.isnan(v)]
    return nan[0] if nan else max(present)


def side_text(summary: dict[str, Any] | None, limit: int = VALUE_TEXT_LIMIT) -> str:
    """One side of an observation as short text (``-`` when that side has none)."""
    if summary is None:
        return "-"
    kind = summary.get("kind")
    if kind == "tensor":
        head = (
            f"tensor dtype={summary.get('dtype')} shape={summary.get('shape')} "
            f"requires_grad={summary.get('requires_grad')} grad_fn={summary.get('grad_fn')}"
        )
        text = f"{head}\n{summary.get('values')}"
    elif kind == "raised":
        text = f"raised {summary.get('type')}: {summary.get('message', '')}"
    elif "value" in summary:
        text = f"{summary.get('type', kind)}: {summary.get('value')!r}"
    else:
        text = ", ".join(f"{k}={v!r}" for k, v in summary.items() if k != "kind")
        text = f"{kind}: {text}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def observation_row(comparison: ObservationComparison) -> ObservationRow:
    diff = comparison.diff
    side = comparison.baseline or comparison.candidate or {}
    return ObservationRow(
        name=comparison.name,
        kind=comparison.kind,
        status=comparison.status,
        dtype=str(side.get("dtype") or "-"),
        reasons=list(comparison.reasons),
        message=comparison.message,
        baseline=side_text(comparison.baseline),
        candidate=side_text(comparison.candidate),
        rtol=diff.rtol if diff else None,
        atol=diff.atol if diff else None,
        numel=diff.numel if diff else None,
        mismatched=diff.mismatched if diff else None,
        max_abs_diff=_number(diff.max_abs_diff) if diff else None,
        max_rel_diff=_number(diff.max_rel_diff) if diff else None,
        max_ulp=_number(diff.max_ulp) if diff else None,
        max_tolerance_ratio=_number(diff.max_tolerance_ratio) if diff else None,
    )


def finite_difference_row(check: FiniteDifferenceCheck) -> FiniteDifferenceRow:
    estimate = repr(check.estimate)
    if len(estimate) > VALUE_TEXT_LIMIT:
        estimate = estimate[: VALUE_TEXT_LIMIT - 1] + "…"
    return FiniteDifferenceRow(
        name=check.name,
        estimate=estimate,
        baseline_error=_number(check.baseline_error),
        candidate_error=_number(check.candidate_error),
        pair_error=_number(check.pair_error),
        wrong_side=check.wrong_side,
    )


def case_row(result: CaseResult, run_seed: int | None) -> CaseRow:
    observations = [observation_row(c) for c in result.comparisons]
    measured = [o for o in observations if o.max_ulp is not None or o.max_rel_diff is not None]
    worst = max(measured, key=lambda o: (o.max_ulp or 0, o.max_rel_diff or 0), default=None)
    return CaseRow(
        case_id=result.case_id,
        area=result.area,
        name=result.name,
        tags=list(result.tags),
        outcome=result.outcome,
        reason=result.reason,
        message=result.message,
        doc=result.doc,
        seed=result.seed,
        run_seed=run_seed,
        dtype=worst.dtype if worst else "-",
        observations=observations,
        expectations=[
            f"{e.name} on {e.backend}: {'ok' if e.ok else 'NOT MET'} {e.detail}".rstrip()
            for e in result.expectations
        ],
        durations=dict(result.durations),
        max_abs_diff=_worst(o.max_abs_diff for o in observations),
        max_rel_diff=_worst(o.max_rel_diff for o in observations),
        max_ulp=_worst(o.max_ulp for o in observations),
        max_tolerance_ratio=_worst(o.max_tolerance_ratio for o in observations),
        backends=list(result.backends),
        finite_differences=[finite_difference_row(c) for c in result.finite_differences],
        facets=list(result.facets),
        ignored=list(result.ignored),
        stats=dict(result.stats),
    )


def ulp_bin(value: float) -> int:
    """Index into ``ULP_BINS`` of a ULP distance (NaN counts as the worst bin)."""
    if math.isnan(value):
        return len(ULP_BINS) - 1
    index = 0
    for i, (_, low) in enumerate(ULP_BINS):
        if value >= low:
            index = i
    return index


def summarise(cases: Sequence[CaseRow]) -> tuple[AreaSummary, list[AreaSummary]]:
    by_area: dict[str, dict[str, int]] = {}
    for row in cases:
        counts = by_area.setdefault(row.area, dict.fromkeys(OUTCOMES, 0))
        counts[row.outcome] = counts.get(row.outcome, 0) + 1
    areas = [AreaSummary(a, c, sum(c.values())) for a, c in sorted(by_area.items())]
    total = dict.fromkeys(OUTCOMES, 0)
    for summary in areas:
        for outcome, count in summary.counts.items():
            total[outcome] = total.get(outcome, 0) + count
    return AreaSummary("TOTAL", total, sum(total.values())), areas


def pair_summaries(cases: Sequence[CaseRow]) -> list[PairSummary]:
    """Outcome counts per area and backend pair, then per pair over all areas (``TOTAL``)."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for row in cases:
        for area in (row.area, "TOTAL"):
            cell = counts.setdefault((area, row.pair), dict.fromkeys(OUTCOMES, 0))
            cell[row.outcome] = cell.get(row.outcome, 0) + 1
    order = sorted(counts, key=lambda k: (k[0] == "TOTAL", k[0], k[1]))
    return [PairSummary(a, p, counts[a, p], sum(counts[a, p].values())) for a, p in order]


def finite_difference_summary(cases: Sequence[CaseRow]) -> FiniteDifferenceSummary:
    wrong = dict.fromkeys(WRONG_SIDES, 0)
    for row in cases:
        for check in row.finite_differences:
            if check.wrong_side is not None:
                wrong[check.wrong_side] = wrong.get(check.wrong_side, 0) + 1
    return FiniteDifferenceSummary(
        cases=sum(bool(row.finite_differences) for row in cases),
        checks=sum(len(row.finite_differences) for row in cases),
        wrong_side=wrong,
    )


def heat_map(cases: Sequence[CaseRow]) -> list[HeatCell]:
    cells: dict[tuple[str, str], HeatCell] = {}
    for row in cases:
        for obs in row.observations:
            if obs.max_ulp is None and obs.max_rel_diff is None:
                continue
            cell = cells.setdefault(
                (row.area, obs.dtype), HeatCell(row.area, obs.dtype, 0, None, None)
            )
            cell.observations += 1
            cell.max_ulp = _worst([cell.max_ulp, obs.max_ulp])
            cell.max_rel_diff = _worst([cell.max_rel_diff, obs.max_rel_diff])
            cell.max_tolerance_ratio = _worst([cell.max_tolerance_ratio, obs.max_tolerance_ratio])
    return [cells[k] for k in sorted(cells)]


def histogram(cases: Sequence[CaseRow]) -> dict[str, list[int]]:
    """Per area, how many cases have their worst ULP distance in each of ``ULP_BINS``."""
    counts: dict[str, list[int]] = {}
    for row in sorted(cases, key=lambda r: r.area):
        bins = counts.setdefault(row.area, [0] * len(ULP_BINS))
        if row.max_ulp is not None:
            bins[ulp_bin(row.max_ulp)] += 1
    return counts


def environment(headers: Sequence[dict[str, Any]]) -> Environment:
    import numpy

    last = headers[-1] if headers else {}
    backends = list(last.get("backends", []))
    return Environment(
        backends=backends,
        versions=dict(last.get("versions", {})),
        seed=last.get("seed"),
        started=str(last.get("started", "")),
        python=str(last.get("python", "")) or platform.python_version(),
        platform=str(last.get("platform", "")) or platform.platform(),
        harness_version=str(last.get("harness_version", "")),
        numpy=str(last.get("numpy", "")) or numpy.__version__,
        git_commit=str(last.get("git_commit", "")) or git_commit(),
        device=str(last.get("device", "")) or device(backends),
        dtype_policy=str(last.get("dtype_policy", "")) or DTYPE_POLICY,
        argv=list(last.get("argv", [])),
        policy=dict(last.get("policy", {})),
        compile_caches=dict(last.get("compile_caches", {})),
    )


def build_report(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    reproducers: str = "failing",
    baseline: str | os.PathLike[str] | None = None,
    gate_config: GateConfig | None = None,
) -> ReportData:
    """Read a results file (or several: their cases side by side) into ``ReportData``.

    ``reproducers``: ``"failing"`` generates the reproducer script of every case that did not
    pass (each re-runs the case on torch), ``"all"`` of every case, ``"none"`` of none; a case
    no longer in the catalogue gets none. ``baseline``: a gate baseline file; the report then
    shows how each error moved against it (``ReportData.delta``), judged with ``gate_config``.
    A case id met in several files on the same backend pair keeps the last file's record.
    """
    if reproducers not in ("failing", "all", "none"):
        raise ValueError(f"reproducers must be failing, all or none, got {reproducers!r}")
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    if not paths:
        raise ValueError("build_report needs at least one results file")
    runs = [read_run(one) for one in paths]
    env = environment([h for headers, _ in runs for h in headers])
    environments = []
    for one, (headers, _) in zip(paths, runs, strict=True):
        environments.append(environment(headers))
        environments[-1].source = str(one)
    pairs_of = {
        str(one): {tuple(h.get("backends", [])) for h in headers}
        for one, (headers, _) in zip(paths, runs, strict=True)
    }
    shared_pairs = {
        one: any(pairs & other for name, other in pairs_of.items() if name != one)
        for one, pairs in pairs_of.items()
    }
    rows: dict[tuple[str, str], CaseRow] = {}
    tally = Tally()
    for one, (headers, read) in zip(paths, runs, strict=True):
        header = headers[-1] if headers else {}
        file_rows = [case_row(r, header.get("seed")) for r in read]
        for result in read:
            tally.add(result)
        if shared_pairs[str(one)]:  # two files of one pair: each keeps its rows, named after it
            for row in file_rows:
                row.source = os.path.basename(str(one))
        if reproducers != "none":
            package = header.get("selection", {}).get("cases") or "cases"
            wanted = [c for c in file_rows if reproducers == "all" or c.outcome != "pass"]
            add_reproducers(wanted, package, header.get("seed") or 0)
        rows.update({(row.case_id, row.pair): row for row in file_rows})
    cases = [rows[key] for key in sorted(rows)]
    totals, areas = summarise(cases)
    delta = None
    if baseline is not None:
        delta = baseline_delta(baseline, [(h[-1] if h else {}, r) for h, r in runs], gate_config)
    return ReportData(
        source=", ".join(str(p) for p in paths),
        environment=env,
        totals=totals,
        areas=areas,
        heat=heat_map(cases),
        histogram=histogram(cases),
        cases=cases,
        pairs=pair_summaries(cases),
        finite_differences=finite_difference_summary(cases),
        delta=delta,
        facets=facet_summaries(tally),
        environments=environments,
        compiled=tally.compiled_share(),
        status=default_status(totals.counts, env.backends).line,
    )


def facet_summaries(tally: Tally) -> list[AreaSummary]:
    """Cases per area with each facet differing, then ``TOTAL``; empty when none differed."""
    if not any(tally.facets.values()):
        return []
    rows = [
        AreaSummary(area, {f: counts.get(f, 0) for f in FACETS}, sum(counts.values()))
        for area, counts in sorted(tally.facets.items())
    ]
    total = {f: sum(r.counts[f] for r in rows) for f in FACETS}
    return [*rows, AreaSummary("TOTAL", total, sum(total.values()))]


def add_reproducers(rows: Sequence[CaseRow], package: str, run_seed: int) -> None:
    """Fill ``reproducer`` of each row whose case the catalogue still has."""
    if not rows:
        return
    import warnings

    from conformance.catalogue import load_catalogue
    from conformance.programs.generated import case_for, is_generated
    from conformance.reproducer import build_reproducer

    try:
        catalogue = {c.id: c for c in load_catalogue(package)}
    except Exception as exc:  # noqa: BLE001 - a report still renders without reproducers
        for row in rows:
            row.reproducer = f"# catalogue {package!r} could not be loaded: {exc}"
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in rows:
            case = catalogue.get(row.case_id)
            if case is None and is_generated(row.case_id):
                try:
                    case = case_for(row.case_id, run_seed)
                except Exception as exc:  # noqa: BLE001 - the report renders without it
                    row.reproducer = f"# no reproducer: {type(exc).__name__}: {exc}"
                    continue
            if case is None:
                row.reproducer = f"# case {row.case_id} is not in the catalogue {package!r}"
                continue
            try:
                row.reproducer = build_reproducer(case, run_seed)
            except Exception as exc:  # noqa: BLE001 - one broken case must not sink the report
                row.reproducer = f"# no reproducer: {type(exc).__name__}: {exc}"
