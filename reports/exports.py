"""Machine-readable outputs of a run: summary JSON, CSV, parquet, JUnit XML and Markdown.

Each is a function of ``ReportData`` returning text (or writing a file), so a CI job can pick
what its tools read: JUnit for test dashboards, Markdown for a job summary, JSON/CSV/parquet
for notebooks. ``write_outputs`` picks the format from the file suffix.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceInputError
from conformance.summary import OUTCOMES
from reports.delta import KINDS, BaselineDelta
from reports.rows import CaseRow, ReportData

#: Version of the summary JSON layout; bump when its shape changes.
#:
#: 1. schema_version, source, environment, totals, areas, worst_error (area, dtype,
#:    observations, max_ulp, max_rel_diff), failures (case_id, outcome, reason).
#: 2. adds ``pairs`` (per area and backend pair: ``{"area", "pair", "total", <outcomes>}``,
#:    area ``TOTAL`` per pair over all areas), ``worst_error[].max_tolerance_ratio`` (null for
#:    results written before it was measured; "inf" for a NaN/inf placement mismatch),
#:    ``failures[].pair``, ``finite_differences`` (``{"cases", "checks", "wrong_side":
#:    {"baseline", "candidate", "both"}}``: counts of checks) and ``baseline_delta`` (null
#:    unless rendered against a gate baseline: ``{"baseline", "compared", "factor", "counts":
#:    {<gate finding kind>: cases}, "regressions": [{"kind", "case_id", "observation",
#:    "detail"}], "notes"}``).
#: 3. adds ``status`` (the run's verdict line: ``PASSED: ...`` or ``FAILED: <why>``), outcomes
#:    ``crash`` and ``known`` in every count, ``facets`` (per area and ``TOTAL``: cases with each
#:    facet differing), ``compiled`` (per compiling backend: its compiled share),
#:    ``environments`` (each results file's own environment) and ``environment.policy``.
SUMMARY_SCHEMA_VERSION = 3
#: One row per case in CSV and parquet, in this order.
CSV_COLUMNS = [
    "case_id",
    "area",
    "name",
    "tags",
    "outcome",
    "reason",
    "seed",
    "run_seed",
    "dtype",
    "observations",
    "differing",
    "max_abs_diff",
    "max_rel_diff",
    "max_ulp",
    "max_tolerance_ratio",
    "pair",
    "fd_checks",
    "fd_wrong_side",
]


def _finite(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "nan" if value != value else ("inf" if value > 0 else "-inf")


def _delta(delta: BaselineDelta | None) -> dict[str, Any] | None:
    if delta is None:
        return None
    return {
        "baseline": delta.baseline,
        "compared": delta.compared,
        "factor": delta.factor,
        "counts": dict(delta.counts),
        "regressions": [
            {
                "kind": f.kind,
                "case_id": f.case_id,
                "observation": f.observation,
                "detail": f.detail,
            }
            for f in delta.findings
            if f.regression
        ],
        "notes": list(delta.notes),
    }


def summary(data: ReportData) -> dict[str, Any]:
    """The run in numbers: environment, totals, per area (and pair), worst errors per area x
    dtype, failures, finite-difference opinions and the baseline delta (see the schema notes
    at ``SUMMARY_SCHEMA_VERSION``)."""
    fd = data.finite_differences
    return {
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "status": data.status,
        "source": data.source,
        "environment": dataclasses.asdict(data.environment),
        "environments": [dataclasses.asdict(e) for e in data.environments],
        "totals": {"total": data.totals.total, **data.totals.counts},
        "facets": {a.area: a.counts for a in data.facets},
        "compiled": data.compiled,
        "areas": {a.area: {"total": a.total, **a.counts} for a in data.areas},
        "pairs": [
            {"area": p.area, "pair": p.pair, "total": p.total, **p.counts} for p in data.pairs
        ],
        "worst_error": [
            {
                "area": c.area,
                "dtype": c.dtype,
                "observations": c.observations,
                "max_ulp": _finite(c.max_ulp),
                "max_rel_diff": _finite(c.max_rel_diff),
                "max_tolerance_ratio": _finite(c.max_tolerance_ratio),
            }
            for c in data.heat
        ],
        "failures": [
            {"case_id": c.case_id, "outcome": c.outcome, "reason": c.reason, "pair": c.pair}
            for c in data.cases
            if c.outcome in ("fail", "error", "crash")
        ],
        "finite_differences": {
            "cases": fd.cases,
            "checks": fd.checks,
            "wrong_side": dict(fd.wrong_side),
        },
        "baseline_delta": _delta(data.delta),
    }


def summary_json(data: ReportData) -> str:
    return json.dumps(summary(data), indent=2, allow_nan=False) + "\n"


def case_record(row: CaseRow) -> dict[str, Any]:
    """The flat per-case record of CSV and parquet."""
    return {
        "case_id": row.case_id,
        "area": row.area,
        "name": row.name,
        "tags": ",".join(row.tags),
        "outcome": row.outcome,
        "reason": row.reason,
        "seed": str(row.seed),  # 64-bit unsigned: text keeps it exact everywhere
        "run_seed": row.run_seed,
        "dtype": row.dtype,
        "observations": len(row.observations),
        "differing": sum(o.status != "match" for o in row.observations),
        "max_abs_diff": row.max_abs_diff,
        "max_rel_diff": row.max_rel_diff,
        "max_ulp": row.max_ulp,
        "max_tolerance_ratio": row.max_tolerance_ratio,
        "pair": row.pair,
        "fd_checks": len(row.finite_differences),
        # the sides the estimate called wrong, over this case's checks ("" when none)
        "fd_wrong_side": ",".join(
            sorted({f.wrong_side for f in row.finite_differences if f.wrong_side})
        ),
    }


def cases_csv(data: ReportData) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in data.cases:
        writer.writerow(case_record(row))
    return out.getvalue()


def parquet_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def write_parquet(data: ReportData, path: str | os.PathLike[str]) -> None:
    """One row per case (the CSV columns); needs pyarrow."""
    if not parquet_available():
        raise ConformanceInputError(
            f"cannot write {path}: parquet needs pyarrow (pip install pyarrow)"
        )
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [case_record(r) for r in data.cases]
    columns = {name: [r[name] for r in records] for name in CSV_COLUMNS}
    pq.write_table(pa.table(columns), str(path))


def junit_xml(data: ReportData) -> str:
    """JUnit XML: one testsuite per area, one testcase per case (unsupported = skipped)."""
    suites = ET.Element("testsuites", name="autograd-conformance")
    suites.set("tests", str(data.totals.total))
    suites.set("failures", str(data.totals.counts.get("fail", 0)))
    suites.set("errors", str(data.totals.counts.get("error", 0)))
    suites.set("skipped", str(data.totals.counts.get("unsupported", 0)))
    by_area: dict[str, list[CaseRow]] = {}
    for row in data.cases:
        by_area.setdefault(row.area, []).append(row)
    for area, rows in sorted(by_area.items()):
        suite = ET.SubElement(suites, "testsuite", name=area, tests=str(len(rows)))
        suite.set("failures", str(sum(r.outcome == "fail" for r in rows)))
        suite.set("errors", str(sum(r.outcome == "error" for r in rows)))
        suite.set("skipped", str(sum(r.outcome == "unsupported" for r in rows)))
        for row in rows:
            seconds = sum(row.durations.values())
            case = ET.SubElement(
                suite, "testcase", classname=area, name=row.name, time=f"{seconds:.6f}"
            )
            if row.outcome == "fail":
                ET.SubElement(case, "failure", message=row.reason).text = row.message or row.reason
            elif row.outcome == "error":
                ET.SubElement(case, "error", message=row.reason).text = row.message or row.reason
            elif row.outcome == "unsupported":
                ET.SubElement(case, "skipped", message=row.reason)
    ET.indent(suites)
    status = data.status.replace("--", "- -")  # a comment may not hold "--"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        + f"<!-- {status} -->\n"
        + ET.tostring(suites, encoding="unicode")
        + "\n"
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def markdown_summary(data: ReportData, failures_shown: int = 50) -> str:
    """A Markdown summary for a CI job page: totals, a table per area (and pair when there are
    several), finite-difference opinions, the baseline delta, the first failures."""
    env = data.environment
    counts = data.totals.counts
    bad = counts.get("fail", 0) + counts.get("error", 0) + counts.get("crash", 0)
    pairs = data.pair_names
    lines = [
        f"**{data.status}**" if data.status else "## Autograd conformance",
        "",
        "## Autograd conformance",
        "",
        f"{'**' + str(bad) + ' case(s) failed or errored**' if bad else 'No case failed'} "
        f"of {data.totals.total} ({'; '.join(pairs) or ' vs '.join(env.backends)}; "
        + ", ".join(f"{k} {v}" for k, v in env.versions.items())
        + f"; seed {env.seed}; commit `{env.git_commit[:12]}`).",
        "",
        "| area | " + " | ".join(OUTCOMES) + " | total |",
        "|---|" + "---:|" * (len(OUTCOMES) + 1),
    ]
    for a in [*data.areas, data.totals]:
        name = f"**{a.area}**" if a.area == "TOTAL" else _cell(a.area)
        lines.append(
            f"| {name} | "
            + " | ".join(str(a.counts.get(o, 0)) for o in OUTCOMES)
            + f" | {a.total} |"
        )
    if len(pairs) > 1:
        lines += ["", "| area | pair | " + " | ".join(OUTCOMES) + " | total |"]
        lines.append("|---|---|" + "---:|" * (len(OUTCOMES) + 1))
        lines += [
            f"| {_cell(p.area)} | {_cell(p.pair)} | "
            + " | ".join(str(p.counts.get(o, 0)) for o in OUTCOMES)
            + f" | {p.total} |"
            for p in data.pairs
        ]
    fd = data.finite_differences
    if fd.checks:
        wrong = ", ".join(f"{side} {count}" for side, count in fd.wrong_side.items())
        lines += [
            "",
            f"Finite differences: {fd.checks} gradient check(s) on {fd.cases} case(s); "
            f"the estimate called wrong: {wrong}.",
        ]
    if data.delta is not None:
        moved = ", ".join(f"{kind} {data.delta.counts.get(kind, 0)}" for kind in KINDS)
        lines += [
            "",
            f"Against baseline `{_cell(data.delta.baseline)}` ({data.delta.compared} case(s) "
            f"compared, cases per finding): {moved}.",
        ]
        lines += [f"> {_cell(note)}" for note in data.delta.notes]
    failed = [c for c in data.cases if c.outcome in ("fail", "error")]
    if failed:
        lines += ["", "| case | outcome | reason |", "|---|---|---|"]
        lines += [
            f"| `{_cell(c.case_id)}` | {c.outcome} | {_cell(c.reason)} |"
            for c in failed[:failures_shown]
        ]
        if len(failed) > failures_shown:
            lines.append(f"\n... and {len(failed) - failures_shown} more.")
    return "\n".join(lines) + "\n"


#: Output formats by file suffix.
FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".json": "summary JSON",
    ".csv": "CSV",
    ".parquet": "parquet",
    ".xml": "JUnit XML",
    ".md": "Markdown",
}


def write_output(data: ReportData, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` in the format its suffix names (see ``FORMATS``)."""
    from reports.html import write_html

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(FORMATS)
        raise ConformanceInputError(f"cannot tell the format of {target} (known suffixes: {known})")
    if suffix in (".html", ".htm"):
        return write_html(data, target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".parquet":
            write_parquet(data, target)
            return target
        writers = {
            ".json": summary_json,
            ".csv": cases_csv,
            ".xml": junit_xml,
            ".md": markdown_summary,
        }
        target.write_text(writers[suffix](data), encoding="utf-8")
    except OSError as exc:
        raise ConformanceInputError(f"cannot write {target}: {exc.strerror}") from None
    return target
