"""Counting outcomes per area and printing them as a table at the end of a run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from conformance.results import CaseResult

OUTCOMES = ("pass", "fail", "unsupported", "error")


@dataclass
class Tally:
    """Outcomes per area and the failed or errored results, counted as results stream past, so a
    run can print its summary without holding every result."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    bad: list[CaseResult] = field(default_factory=list)

    def add(self, result: CaseResult) -> None:
        self.counts.setdefault(result.area, Counter())[result.outcome] += 1
        if result.outcome in ("fail", "error"):
            self.bad.append(result)

    def failures(self) -> list[CaseResult]:
        return sorted(self.bad, key=lambda r: r.case_id)

    def table(self) -> str:
        return format_counts(dict(sorted(self.counts.items())))


def format_counts(counts: dict[str, Counter[str]]) -> str:
    """A plain-text table: one row per area, a total row, columns per outcome."""
    total: Counter[str] = Counter()
    for counter in counts.values():
        total.update(counter)
    header = ("area", *OUTCOMES, "total")
    rows = [
        (area, *(str(c[o]) for o in OUTCOMES), str(sum(c.values()))) for area, c in counts.items()
    ]
    rows.append(("TOTAL", *(str(total[o]) for o in OUTCOMES), str(sum(total.values()))))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        first = row[0].ljust(widths[0])
        rest = "  ".join(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))
        return f"{first}  {rest}"

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, *map(line, rows[:-1]), rule, line(rows[-1])])
