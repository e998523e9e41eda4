"""The self-contained HTML report: one file, inline CSS/JS/SVG, no network, every string escaped.

Static parts (environment, totals, summaries, heat map, histogram) are rendered here with
``html.escape``; the case table is drawn in the browser from the cases embedded once as JSON,
one page of rows at a time, so a run of 20,000 cases opens as fast as one of 20.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import json
import math
import os
import string
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceInputError
from conformance.facets import FACETS
from conformance.programs.oracle import WRONG_SIDE_TOL
from conformance.summary import OUTCOMES
from reports.delta_plot import delta_section
from reports.rows import ULP_BINS, CaseRow, HeatCell, ReportData

WORST_SHOWN = 15


#: The HTML, CSS and JS the page is made of (shipped as package data).
TEMPLATES = Path(__file__).resolve().with_name("templates")


def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2e}"


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` written as escapes.

    ``</script>`` in a case name can then never end the element (``<`` becomes ``\\u003c``,
    which JSON.parse reads back as ``<``). Non-finite floats become strings, as in results.
    """
    text = json.dumps(_finite(value), separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _environment(data: ReportData) -> str:
    env = data.environment
    versions = ", ".join(f"{k} {v}" for k, v in env.versions.items())
    items = [
        ("backends", "; ".join(data.pair_names) or " vs ".join(env.backends) or "-"),
        ("versions", versions or "-"),
        ("NumPy", env.numpy),
        ("Python", env.python),
        ("platform", env.platform),
        ("device", env.device),
        ("dtype policy", env.dtype_policy),
        ("comparison policy", _policy_text(env.policy)),
        *((f"compiled share ({b})", text) for b, text in data.compiled.items()),
        *((f"{name} cache", _cache_text(cache)) for name, cache in env.compile_caches.items()),
        ("seed", env.seed),
        ("git commit", env.git_commit),
        ("started", env.started or "-"),
    ]
    if len(data.environments) > 1:  # each file's own backends and versions
        for one in data.environments:
            versions = ", ".join(f"{k} {v}" for k, v in one.versions.items())
            items.append((f"file {os.path.basename(one.source)}", versions or "-"))
    return "\n".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)


def _cache_text(cache: dict[str, Any]) -> str:
    """A compile cache as the run found it: empty, or how many graphs earlier runs left."""
    folder, graphs = cache.get("dir", "?"), int(cache.get("fx_graphs", 0))
    if graphs == 0:
        return f"{folder}: empty at the start"
    held = f"{graphs} compiled graphs at the start"
    return f"{folder}: {held} (verdicts may depend on what earlier runs compiled)"


def _policy_text(policy: dict[str, str]) -> str:
    if not policy:
        return "-"
    why = f" ({policy['why']})" if policy.get("why") else ""
    return f"{policy.get('name', '?')}: {policy.get('description', '')}{why}"


def _facet_table(data: ReportData) -> str:
    """Cases per area by the facet that differed: what a failure is about."""
    if not data.facets:
        return ""
    head = "".join(f'<th class="num">{_e(f)}</th>' for f in FACETS)
    rows = "".join(
        f'<tr data-area="{_e(a.area)}"><th>{_e(a.area)}</th>'
        + "".join(f'<td class="num">{a.counts.get(f, 0)}</td>' for f in FACETS)
        + "</tr>"
        for a in data.facets
    )
    return (
        "<h3>What differed, by facet</h3>"
        f'<table class="areas facets" id="facets"><tr><th>area</th>{head}</tr>{rows}</table>'
    )


def _totals(data: ReportData) -> str:
    cells = [("total", data.totals.total)] + [(o, data.totals.counts.get(o, 0)) for o in OUTCOMES]
    return "\n".join(
        f'<div class="total o-{_e(k)}" id="total-{_e(k)}"><b>{v}</b>{_e(k)}</div>' for k, v in cells
    )


def _pair_table(data: ReportData) -> str:
    """Outcome counts by area and backend pair; a run has one pair, merged reports several."""
    head = "".join(f'<th class="num">{o}</th>' for o in (*OUTCOMES, "total"))
    several = len(data.pair_names) > 1
    summaries: list[tuple[str, str, dict[str, int], int]] = [
        (p.area, p.pair, p.counts, p.total) for p in data.pairs
    ]
    if several or not summaries:
        summaries.append(("TOTAL", "every pair", data.totals.counts, data.totals.total))
    rows = []
    for area, pair, counts, total in summaries:
        cells = "".join(
            f'<td class="num o-{o}" data-outcome="{o}">{counts.get(o, 0)}</td>' for o in OUTCOMES
        )
        rows.append(
            f'<tr data-area="{_e(area)}" data-pair="{_e(pair)}"><th>{_e(area)}</th>'
            f'<td>{_e(pair)}</td>{cells}<td class="num">{total}</td></tr>'
        )
    return (
        f'<table class="areas"><tr><th>area</th><th>backend pair</th>{head}</tr>'
        f"{''.join(rows)}</table>"
    )


def _finite_differences(data: ReportData) -> str:
    fd = data.finite_differences
    if not fd.checks:
        return ""
    # several pairs: roles only, as the names differ between pairs
    names = (
        {}
        if len(data.pair_names) > 1
        else dict(zip(("baseline", "candidate"), data.environment.backends, strict=False))
    )
    wrong = ", ".join(
        f"{side}{f' ({names[side]})' if side in names else ''} {count}"
        for side, count in fd.wrong_side.items()
    )
    return (
        f'<p id="fd-summary">Finite-difference third opinion: <b>{fd.checks}</b> gradient '
        f"check(s) on {fd.cases} case(s); the estimate called wrong: {_e(wrong)}.</p>"
    )


def _shade(ulp: float | None) -> str:
    """Background for a heat-map cell: white at 0 ULP, deep red from 2**20 ULP on."""
    if ulp is None:
        return "#fff"
    level = 1.0 if math.isnan(ulp) else min(1.0, math.log2(1 + ulp) / 20)
    green_blue = int(255 - 200 * level)
    return f"rgb(255,{green_blue},{green_blue})"


def _ratio_shade(ratio: float | None) -> str:
    """Background for a tolerance-ratio cell: white at 0, amber up to 1 (inside tolerance,
    on a log scale from 1e-6), red past 1, deepest from 1000 (and for NaN/inf placement)."""
    if ratio is None:
        return "#fff"
    if math.isnan(ratio) or ratio > 1:
        level = 1.0 if not math.isfinite(ratio) else min(1.0, 0.35 + math.log10(ratio) / 3 * 0.65)
        green_blue = int(205 - 170 * level)
        return f"rgb(255,{green_blue},{green_blue})"
    if ratio <= 1e-6:
        return "#fff"
    level = (math.log10(ratio) + 6) / 6
    return f"rgb(255,{int(255 - 40 * level)},{int(255 - 150 * level)})"


def _heat_grid(data: ReportData, cell_html: Any) -> str:
    dtypes = data.dtypes
    cells = {(c.area, c.dtype): c for c in data.heat}
    head = "".join(f"<th>{_e(d)}</th>" for d in dtypes)
    rows = []
    for area in sorted({c.area for c in data.heat}):
        tds = []
        for dtype in dtypes:
            cell = cells.get((area, dtype))
            tds.append('<td class="cell">&nbsp;</td>' if cell is None else cell_html(cell))
        rows.append(f"<tr><th>{_e(area)}</th>{''.join(tds)}</tr>")
    return f'<table class="heat"><tr><th>area</th>{head}</tr>{"".join(rows)}</table>'


def _tolerance_table(data: ReportData) -> str:
    if not data.heat:
        return "<p>No numeric comparisons in this run.</p>"
    if all(c.max_tolerance_ratio is None for c in data.heat):
        return (
            '<p class="hint" id="no-ratio">This results file predates the tolerance ratio '
            "(re-run to record it); the ULP and relative figures below are all it holds.</p>"
        )

    def cell_html(cell: HeatCell) -> str:
        ratio = cell.max_tolerance_ratio
        text = "-" if ratio is None else ("&#8734;" if ratio == math.inf else _e(_ratio(ratio)))
        title = f"{cell.area} {cell.dtype}: {cell.observations} observations"
        return (
            f'<td class="cell" style="background:{_ratio_shade(ratio)}" title="{_e(title)}">'
            f"{text}</td>"
        )

    return _heat_grid(data, cell_html).replace('class="heat"', 'class="heat" id="heat-ratio"', 1)


def _ratio(value: float) -> str:
    """A tolerance ratio for people: two significant figures, a multiplication sign."""
    if math.isnan(value):
        return "nan"
    if value == 0:
        return "0"
    return f"{value:.2g}\u00d7".replace("e-0", "e-").replace("e+0", "e+")


def _heat_table(data: ReportData) -> str:
    if not data.heat:
        return "<p>No numeric comparisons in this run.</p>"

    def cell_html(cell: HeatCell) -> str:
        title = f"{cell.area} {cell.dtype}: {cell.observations} observations"
        return (
            f'<td class="cell" style="background:{_shade(cell.max_ulp)}" title="{_e(title)}">'
            f"{_e(_num(cell.max_ulp)) + ' ULP<br>' if cell.max_ulp is not None else ''}"
            f"{_e(_num(cell.max_rel_diff))} rel</td>"
        )

    return _heat_grid(data, cell_html).replace('class="heat"', 'class="heat" id="heat-ulp"', 1)


def histogram_svg(area: str, counts: list[int]) -> str:
    """An inline SVG bar chart of one area's cases per ULP bin (bar heights on a log scale)."""
    width, height, bar, top, bottom = 300, 140, 36, 30, 34
    peak = max(counts) if counts else 0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(area)} ULP histogram">',
        f'<text x="4" y="13" font-size="12" font-weight="bold">{_e(area)}</text>',
    ]
    span = height - top - bottom
    for i, ((label, _), count) in enumerate(zip(ULP_BINS, counts, strict=True)):
        x = 6 + i * (bar + 5)
        h = 0 if not count else max(2, span * math.log1p(count) / math.log1p(peak))
        y = top + span - h
        colour = "#2e7d32" if i < 2 else ("#f9a825" if i < 4 else "#c62828")
        parts.append(
            f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colour}">'
            f"<title>{_e(label)} ULP: {count} cases</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar / 2}" y="{y - 2:.1f}" font-size="9" text-anchor="middle">'
            f"{count or ''}</text>"
        )
        parts.append(
            f'<text x="{x + bar / 2}" y="{height - bottom + 12}" font-size="8" '
            f'text-anchor="middle">{_e(label)}</text>'
        )
    parts.append(f'<text x="4" y="{height - 4}" font-size="9" fill="#666">ULP distance</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histograms(data: ReportData) -> str:
    if not any(sum(c) for c in data.histogram.values()):
        return "<p>No numeric comparisons in this run.</p>"
    charts = (histogram_svg(a, c) for a, c in data.histogram.items() if sum(c))
    return f'<div class="svgs">{"".join(charts)}</div>'


def worst_cases(cases: list[CaseRow], count: int = WORST_SHOWN) -> list[CaseRow]:
    """The cases furthest out of (or closest to the edge of) tolerance, worst first.

    Ordered by tolerance ratio, then ULP distance, then relative difference; a case without a
    ratio (older results) sorts by its ULP distance after those with one.
    """
    measured = [
        c
        for c in cases
        if (c.max_tolerance_ratio or 0) > 0 or (c.max_ulp is not None and c.max_ulp > 0)
    ]

    def key(row: CaseRow) -> tuple[float, float, float]:
        ratio = row.max_tolerance_ratio
        ratio = -1.0 if ratio is None else (math.inf if math.isnan(ratio) else ratio)
        ulp = math.inf if row.max_ulp is None or math.isnan(row.max_ulp) else row.max_ulp
        rel = row.max_rel_diff if row.max_rel_diff is not None else 0.0
        return (ratio, ulp, 0.0 if math.isnan(rel) else rel)

    return sorted(measured, key=key, reverse=True)[:count]


def _worst_table(data: ReportData) -> str:
    worst = worst_cases(data.cases)
    if not worst:
        return "<p>Every numeric comparison is exact (0 ULP).</p>"
    peak = max((c.max_ulp or 0) for c in worst if not math.isnan(c.max_ulp or 0)) or 1
    rows = []
    for row in worst:
        ratio = row.max_tolerance_ratio
        if ratio is None:
            ulp = row.max_ulp or 0
            fraction = 1.0 if math.isnan(ulp) else math.log1p(ulp) / math.log1p(peak)
        else:
            # 1e-6 of tolerance is the left edge, the tolerance itself the middle, 1e6 the right
            level = math.inf if math.isnan(ratio) else ratio
            fraction = 0.0 if level <= 0 else min(1.0, max(0.0, (math.log10(level) + 6) / 12))
        colour = "#c62828" if ratio is None or not ratio <= 1 else "#f9a825"
        rows.append(
            f'<tr><td><a href="#case={_e(row.case_id)}">{_e(row.case_id)}</a></td>'
            f'<td class="o-{_e(row.outcome)}">{_e(row.outcome)}</td><td>{_e(row.dtype)}</td>'
            f'<td class="num">{"-" if ratio is None else _e(_ratio(ratio))}</td>'
            f'<td class="num">{_e(_num(row.max_ulp))}</td>'
            f'<td class="num">{_e(_num(row.max_rel_diff))}</td>'
            f'<td><svg width="160" height="10" aria-hidden="true">'
            f'<rect width="{160 * fraction:.0f}" height="10" fill="{colour}"/>'
            f'<line x1="80" x2="80" y1="0" y2="10" stroke="#333"/></svg></td></tr>'
        )
    head = (
        "<tr><th>case</th><th>outcome</th><th>dtype</th><th>&#215; tolerance</th>"
        "<th>max ULP</th><th>max rel</th><th>log scale (mark: tolerance)</th></tr>"
    )
    return f'<table class="worst">{head}{"".join(rows)}</table>'


def _case_data(row: CaseRow) -> dict[str, Any]:
    return dataclasses.asdict(row)  # the page names the pair from ``backends``


def render_html(data: ReportData, title: str = "Autograd conformance report") -> str:
    """The report as one HTML document."""
    bad = not data.status.startswith("PASSED")
    verdict = data.status
    env = data.environment
    payload = {
        "environment": dataclasses.asdict(env),
        "pairs": data.pair_names,
        "fd_tolerance": WRONG_SIDE_TOL,
        "cases": [_case_data(c) for c in data.cases],
    }
    areas = "".join(f'<option value="{_e(a.area)}">{_e(a.area)}</option>' for a in data.areas)
    return string.Template(_template("report.html")).substitute(
        title=_e(title),
        verdict=_e(verdict),
        verdict_class="bad" if bad else "ok",
        environment=_environment(data),
        totals=_totals(data),
        pair_table=_pair_table(data),
        facet_table=_facet_table(data),
        fd_summary=_finite_differences(data),
        tolerance_table=_tolerance_table(data),
        heat_table=_heat_table(data),
        delta=delta_section(data.delta),
        histogram=_histograms(data),
        worst_table=_worst_table(data),
        area_options=areas,
        rendered=_e(datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")),
        source=_e(", ".join(os.path.basename(p) for p in data.source.split(", "))),
        harness_version=_e(env.harness_version or "unknown"),
        data=script_json(payload),
        css=_template("report.css"),
        js=_template("report.js"),
    )


def write_html(data: ReportData, path: str | os.PathLike[str]) -> Path:
    """Render ``data`` to ``path`` (parent folders created); bad paths are input errors."""
    target = Path(path)
    text = render_html(data)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConformanceInputError(f"cannot write report {target}: {exc.strerror}") from None
    return target
