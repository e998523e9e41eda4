"""The report's baseline-delta section: counts of the gate's findings, a scatter of each
observation's error in the baseline against this run (log axes), and the largest moves.

Points are pooled per few-pixel cell and movement, so the SVG stays small however many
observations a run has; every string in it is escaped.
"""

from __future__ import annotations

import html
import math
from collections import Counter

from conformance.gate import FIXED, GREW, IMPROVED, MISSING, NEW_CASE, NEW_FAILURE
from reports.delta import KINDS, BaselineDelta, DeltaPoint, largest_moves

SIZE, MARGIN, CELL = 380, 46, 4
COLOURS = {NEW_FAILURE: "#6a1b9a", GREW: "#c62828", IMPROVED: "#2e7d32", "steady": "#90a4ae"}
#: Findings listed by name at most (all are counted).
FINDINGS_SHOWN = 40


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _ticks(peak: float) -> list[float]:
    ticks, value = [0.0], 1.0
    while value <= peak * 1.001:
        ticks.append(value)
        value *= 100 if peak > 1e6 else 10
    return ticks


def scatter_svg(points: list[DeltaPoint], factor: float | None = None) -> str:
    """Baseline ULP (x) against this run's ULP (y), both on log1p axes; above the diagonal an
    error grew, below it shrank; the dashed line is the gate's growth factor."""
    peak = max([1.0, *(max(p.before, p.after) for p in points if math.isfinite(p.after))])
    top = math.log1p(peak)
    span = SIZE - 2 * MARGIN

    def at(value: float) -> float:
        return span * math.log1p(min(value, peak)) / top

    pooled: Counter[tuple[int, int, str]] = Counter()
    example: dict[tuple[int, int, str], DeltaPoint] = {}
    for point in points:
        key = (int(at(point.before) // CELL), int(at(point.after) // CELL), point.movement)
        pooled[key] += 1
        example.setdefault(key, point)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" role="img" '
        f'id="delta-scatter" aria-label="error in the baseline against this run">',
        f'<rect x="{MARGIN}" y="{MARGIN}" width="{span}" height="{span}" fill="#fafafa" '
        f'stroke="#ccc"/>',
    ]
    for tick in _ticks(peak):
        if tick == 1 and at(1) < 12:
            continue  # would overprint the 0
        x, y = MARGIN + at(tick), SIZE - MARGIN - at(tick)
        label = f"{tick:.0e}".replace("e+0", "e") if tick >= 1e4 else f"{tick:g}"
        parts.append(
            f'<text x="{x:.1f}" y="{SIZE - MARGIN + 12}" font-size="9" text-anchor="middle">'
            f'{label}</text><text x="{MARGIN - 4}" y="{y + 3:.1f}" font-size="9" '
            f'text-anchor="end">{label}</text>'
        )
    end = MARGIN + span
    parts.append(f'<line x1="{MARGIN}" y1="{end}" x2="{end}" y2="{MARGIN}" stroke="#999"/>')
    if factor and factor > 1:
        # y = factor * x on log1p axes is a curve: sample it
        samples = [v for v in (peak * (i / 60) ** 3 for i in range(61)) if v * factor <= peak]
        path = " ".join(
            f"{MARGIN + at(v):.1f},{SIZE - MARGIN - at(v * factor):.1f}" for v in samples
        )
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="#c62828" stroke-dasharray="4 3">'
            f"<title>the gate's growth factor {factor:g}x</title></polyline>"
        )
    for key, count in sorted(pooled.items(), key=lambda kv: kv[0][2] != "steady"):
        cx = MARGIN + key[0] * CELL + CELL / 2
        cy = SIZE - MARGIN - key[1] * CELL - CELL / 2
        radius = 2.2 + 1.2 * math.log10(count)
        point = example[key]
        title = (
            f"{count} observation(s), {key[2]}; e.g. {point.case_id} [{point.observation}]: "
            f"{point.before:g} -> {point.after:g} ULP"
        )
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{COLOURS[key[2]]}" '
            f'fill-opacity="0.75"><title>{_e(title)}</title></circle>'
        )
    parts.append(
        f'<text x="{SIZE / 2}" y="{SIZE - 8}" font-size="10" text-anchor="middle">'
        "baseline max ULP</text>"
        f'<text x="12" y="{SIZE / 2}" font-size="10" text-anchor="middle" '
        f'transform="rotate(-90 12 {SIZE / 2})">this run max ULP</text></svg>'
    )
    return "".join(parts)


def _counts(delta: BaselineDelta) -> str:
    cells = "".join(
        f'<div class="total" id="delta-{_e(kind.replace(" ", "-"))}">'
        f"<b>{delta.counts.get(kind, 0)}</b>{_e(kind)}</div>"
        for kind in KINDS
    )
    return f'<div class="totals" id="delta-counts">{cells}</div>'


def _moves_table(points: list[DeltaPoint]) -> str:
    moves = [p for p in largest_moves(points) if p.before != p.after]
    if not moves:
        return "<p>No observation's ULP distance changed.</p>"
    rows = "".join(
        f'<tr><td><a href="#case={_e(p.case_id)}">{_e(p.case_id)}</a></td>'
        f'<td>{_e(p.observation)}</td><td class="num">{p.before:g}</td>'
        f'<td class="num">{p.after:g}</td>'
        f'<td style="color:{COLOURS[p.movement]}">{_e(p.movement)}</td></tr>'
        for p in moves
    )
    return (
        '<table class="worst" id="delta-moves"><tr><th>case</th><th>observation</th>'
        f"<th>baseline ULP</th><th>this run</th><th>gate</th></tr>{rows}</table>"
    )


def _findings(delta: BaselineDelta) -> str:
    listed = [f for f in delta.findings if f.kind in (NEW_FAILURE, GREW, MISSING, FIXED)]
    if not listed:
        return ""
    listed.sort(key=lambda f: (not f.regression, KINDS.index(f.kind), f.case_id))
    items = "".join(
        f'<li class="{"o-fail" if f.regression else "o-pass"}">{_e(f.kind.upper())}: '
        f"{_e(f.case_id)}{' [' + _e(f.observation) + ']' if f.observation else ''}: "
        f"{_e(f.detail)}</li>"
        for f in listed[:FINDINGS_SHOWN]
    )
    more = len(listed) - FINDINGS_SHOWN
    tail = f"<p>... and {more} more (run <code>conformance gate</code>).</p>" if more > 0 else ""
    return f'<ul id="delta-findings">{items}</ul>{tail}'


def delta_section(delta: BaselineDelta | None) -> str:
    """The HTML of the baseline-delta section (a hint how to get one when there is none)."""
    if delta is None:
        return (
            '<p class="hint">No baseline given: render with <code>--baseline FILE</code> '
            "(a <code>conformance gate</code> baseline) to see how errors moved.</p>"
        )
    notes = "".join(f'<p class="hint">{_e(n)}</p>' for n in delta.notes)
    verdict = (
        f'<p class="verdict verdict-{"bad" if delta.regressions else "ok"}" id="delta-verdict">'
        f"{delta.compared} case(s) compared with {_e(delta.baseline)}: "
        f"{delta.regressions} regression(s) by the gate's rules; "
        f"{delta.counts.get(NEW_CASE, 0)} new case(s) not in the baseline.</p>"
    )
    if not delta.points:
        plot = "<p>No observation has a ULP distance in both the baseline and this run.</p>"
    else:
        plot = (
            f'<div class="svgs">{scatter_svg(delta.points, delta.factor)}'
            f"<div><h3>Largest moves</h3>{_moves_table(delta.points)}</div></div>"
        )
    return notes + verdict + _counts(delta) + plot + _findings(delta)
