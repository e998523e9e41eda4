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
from conformance.summary import OUTCOMES
from reports.rows import ULP_BINS, CaseRow, ReportData

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
        ("backends", " vs ".join(env.backends) or "-"),
        ("versions", versions or "-"),
        ("NumPy", env.numpy),
        ("Python", env.python),
        ("platform", env.platform),
        ("device", env.device),
        ("dtype policy", env.dtype_policy),
        ("seed", env.seed),
        ("git commit", env.git_commit),
        ("started", env.started or "-"),
    ]
    return "\n".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)


def _totals(data: ReportData) -> str:
    cells = [("total", data.totals.total)] + [(o, data.totals.counts.get(o, 0)) for o in OUTCOMES]
    return "\n".join(
        f'<div class="total o-{_e(k)}" id="total-{_e(k)}"><b>{v}</b>{_e(k)}</div>' for k, v in cells
    )


def _area_table(data: ReportData) -> str:
    head = "".join(f'<th class="num">{o}</th>' for o in (*OUTCOMES, "total"))
    rows = []
    for summary in [*data.areas, data.totals]:
        cells = "".join(
            f'<td class="num o-{o}" data-outcome="{o}">{summary.counts.get(o, 0)}</td>'
            for o in OUTCOMES
        )
        rows.append(
            f'<tr data-area="{_e(summary.area)}"><th>{_e(summary.area)}</th>{cells}'
            f'<td class="num">{summary.total}</td></tr>'
        )
    return f'<table class="areas"><tr><th>area</th>{head}</tr>{"".join(rows)}</table>'


def _shade(ulp: float | None) -> str:
    """Background for a heat-map cell: white at 0 ULP, deep red from 2**20 ULP on."""
    if ulp is None:
        return "#fff"
    level = 1.0 if math.isnan(ulp) else min(1.0, math.log2(1 + ulp) / 20)
    green_blue = int(255 - 200 * level)
    return f"rgb(255,{green_blue},{green_blue})"


def _heat_table(data: ReportData) -> str:
    if not data.heat:
        return "<p>No numeric comparisons in this run.</p>"
    dtypes = data.dtypes
    cells = {(c.area, c.dtype): c for c in data.heat}
    head = "".join(f"<th>{_e(d)}</th>" for d in dtypes)
    rows = []
    for area in sorted({c.area for c in data.heat}):
        tds = []
        for dtype in dtypes:
            cell = cells.get((area, dtype))
            if cell is None:
                tds.append('<td class="cell">&nbsp;</td>')
                continue
            title = f"{area} {dtype}: {cell.observations} observations"
            tds.append(
                f'<td class="cell" style="background:{_shade(cell.max_ulp)}" title="{_e(title)}">'
                f"{_e(_num(cell.max_ulp)) + ' ULP<br>' if cell.max_ulp is not None else ''}"
                f"{_e(_num(cell.max_rel_diff))} rel</td>"
            )
        rows.append(f"<tr><th>{_e(area)}</th>{''.join(tds)}</tr>")
    return f'<table class="heat"><tr><th>area</th>{head}</tr>{"".join(rows)}</table>'


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
    """The cases with the greatest ULP distance (then relative difference), worst first."""
    measured = [c for c in cases if c.max_ulp is not None and c.max_ulp > 0]

    def key(row: CaseRow) -> tuple[float, float]:
        ulp = math.inf if row.max_ulp is None or math.isnan(row.max_ulp) else row.max_ulp
        rel = row.max_rel_diff if row.max_rel_diff is not None else 0.0
        return (ulp, 0.0 if math.isnan(rel) else rel)

    return sorted(measured, key=key, reverse=True)[:count]


def _worst_table(data: ReportData) -> str:
    worst = worst_cases(data.cases)
    if not worst:
        return "<p>Every numeric comparison is exact (0 ULP).</p>"
    peak = worst[0].max_ulp or 1
    peak = 1 if math.isnan(peak) else peak
    rows = []
    for row in worst:
        ulp = row.max_ulp or 0
        fraction = 1.0 if math.isnan(ulp) else math.log1p(ulp) / math.log1p(peak)
        rows.append(
            f'<tr><td><a href="#case={_e(row.case_id)}">{_e(row.case_id)}</a></td>'
            f'<td class="o-{_e(row.outcome)}">{_e(row.outcome)}</td><td>{_e(row.dtype)}</td>'
            f'<td class="num">{_e(_num(row.max_ulp))}</td>'
            f'<td class="num">{_e(_num(row.max_rel_diff))}</td>'
            f'<td><svg width="160" height="10" aria-hidden="true">'
            f'<rect width="{160 * fraction:.0f}" height="10" fill="#c62828"/></svg></td></tr>'
        )
    head = (
        "<tr><th>case</th><th>outcome</th><th>dtype</th><th>max ULP</th><th>max rel</th>"
        "<th>log scale</th></tr>"
    )
    return f'<table class="worst">{head}{"".join(rows)}</table>'


def _case_data(row: CaseRow) -> dict[str, Any]:
    return dataclasses.asdict(row)


def render_html(data: ReportData, title: str = "Autograd conformance report") -> str:
    """The report as one HTML document."""
    bad = data.totals.counts.get("fail", 0) + data.totals.counts.get("error", 0)
    verdict = f"{bad} case(s) failed or errored" if bad else "no case failed"
    env = data.environment
    payload = {
        "environment": dataclasses.asdict(env),
        "cases": [_case_data(c) for c in data.cases],
    }
    areas = "".join(f'<option value="{_e(a.area)}">{_e(a.area)}</option>' for a in data.areas)
    return string.Template(_template("report.html")).substitute(
        title=_e(title),
        verdict=_e(verdict),
        verdict_class="bad" if bad else "ok",
        environment=_environment(data),
        totals=_totals(data),
        pair=_e(" vs ".join(env.backends)),
        area_table=_area_table(data),
        heat_table=_heat_table(data),
        histogram=_histograms(data),
        worst_table=_worst_table(data),
        area_options=areas,
        rendered=_e(datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")),
        source=_e(os.path.basename(data.source)),
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
