"""Counting outcomes per area, the facets behind them, and whether the run as a whole is a
success; printed as tables at the end of a run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from conformance.facets import FACETS
from conformance.results import CaseResult

OUTCOMES = ("pass", "fail", "unsupported", "error", "crash", "known")
#: Outcomes that fail a run unless ``--fail-on`` says otherwise.
DEFAULT_FAIL_ON = ("fail", "error", "crash")


@dataclass
class Tally:
    """Outcomes and differing facets per area, compiled-code counts, and the failed, errored or
    crashed results, counted as results stream past, so a run can print its summary without
    holding every result."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    facets: dict[str, Counter[str]] = field(default_factory=dict)
    #: Facets that differed only where the comparison policy ignores them, over all cases.
    ignored: Counter[str] = field(default_factory=Counter)
    #: Summed ``stats`` per backend (graphs, grad-carrying results, compiled ones...).
    stats: dict[str, Counter[str]] = field(default_factory=dict)
    bad: list[CaseResult] = field(default_factory=list)

    def add(self, result: CaseResult) -> None:
        self.counts.setdefault(result.area, Counter())[result.outcome] += 1
        self.facets.setdefault(result.area, Counter()).update(result.facets)
        self.ignored.update(result.ignored)
        for backend, figures in result.stats.items():
            self.stats.setdefault(backend, Counter()).update(
                {k: v for k, v in figures.items() if isinstance(v, int)}
            )
        if result.outcome in ("fail", "error", "crash"):
            self.bad.append(result)

    def failures(self) -> list[CaseResult]:
        return sorted(self.bad, key=lambda r: r.case_id)

    def total(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for counter in self.counts.values():
            found.update(counter)
        return found

    def table(self) -> str:
        return format_counts(dict(sorted(self.counts.items())))

    def facet_table(self) -> str:
        """Cases per area and facet that differed; empty when nothing differed."""
        if not any(self.facets.values()):
            return ""
        return format_counts(dict(sorted(self.facets.items())), FACETS, "differing facet")

    def compiled_share(self) -> dict[str, str]:
        """Per compiling backend: the share of grad-carrying results from compiled graphs."""
        lines = {}
        for backend, figures in sorted(self.stats.items()):
            if "grad_results" not in figures:
                continue
            total, compiled = figures["grad_results"], figures["compiled_grad_results"]
            share = f"{100 * compiled / total:.0f}%" if total else "n/a"
            lines[backend] = (
                f"{compiled} of {total} grad-carrying results from compiled graphs ({share}); "
                f"{figures.get('graphs', 0)} graphs compiled"
                + (
                    f", {figures['backward_graphs']} backward graphs"
                    if "backward_graphs" in figures
                    else ""
                )
                + (f", {figures['graph_breaks']} graph breaks" if "graph_breaks" in figures else "")
            )
        return lines


@dataclass(frozen=True)
class RunStatus:
    """Whether a run succeeded, and the one line that says why (the first line of every
    summary: console, Markdown, JUnit)."""

    ok: bool
    line: str


def run_status(
    totals: Counter[str],
    fail_on: tuple[str, ...] = DEFAULT_FAIL_ON,
    max_unsupported: float = 0.0,
) -> RunStatus:
    """A run fails when any outcome in ``fail_on`` occurred, when no case passed, or when more
    than ``max_unsupported`` of its cases were unsupported: a backend that supports nothing is
    never a success."""
    count = sum(totals.values())
    if count == 0:
        return RunStatus(False, "FAILED: no case ran")
    passed = totals.get("pass", 0)
    unsupported = totals.get("unsupported", 0)
    found = [f"{totals[o]} {o}" for o in fail_on if totals.get(o, 0)]
    problems = list(found)
    if passed == 0:
        problems.insert(0, "no case passed")
    if unsupported / count > max_unsupported:
        problems.append(
            f"{unsupported} of {count} unsupported ({100 * unsupported / count:.0f}% > "
            f"{100 * max_unsupported:g}% allowed)"
        )
    if problems:
        return RunStatus(False, f"FAILED: {'; '.join(dict.fromkeys(problems))}")
    return RunStatus(True, f"PASSED: {passed} of {count} cases passed")


BUILTIN_BACKENDS = ("torch", "torch-cuda", "reference", "replay")
COMPILED_BACKENDS = ("torch-compile", "torch-compiled-autograd", "torch-compile-ops")


def is_builtin(name: str) -> bool:
    """Whether ``name`` is one of the project's own backends (their unsupported share must
    be zero by default; a third-party library's may not)."""
    return name.partition(":")[0] in BUILTIN_BACKENDS + COMPILED_BACKENDS


def default_status(
    totals: Counter[str] | dict[str, int],
    backends: list[str] | tuple[str, ...],
    fail_on: tuple[str, ...] | None = None,
    max_unsupported: float | None = None,
) -> RunStatus:
    """``run_status`` with the defaults for this pair: with two built-in backends any
    unsupported case fails the run, with a third-party one up to half may be unsupported."""
    builtin = bool(backends) and all(is_builtin(b) for b in backends)
    if fail_on is None:
        fail_on = (*DEFAULT_FAIL_ON, "unsupported") if builtin else DEFAULT_FAIL_ON
    if max_unsupported is None:
        max_unsupported = 0.0 if builtin else 0.5
    return run_status(Counter(totals), fail_on, max_unsupported)


def format_counts(
    counts: dict[str, Counter[str]],
    columns: tuple[str, ...] = OUTCOMES,
    first: str = "area",
) -> str:
    """A plain-text table: one row per area, a total row, one column per outcome (or facet)."""
    total: Counter[str] = Counter()
    for counter in counts.values():
        total.update(counter)
    header = (first, *columns, "total")
    rows = [
        (area, *(str(c[o]) for o in columns), str(sum(c[o] for o in columns)))
        for area, c in counts.items()
    ]
    rows.append(("TOTAL", *(str(total[o]) for o in columns), str(sum(total[o] for o in columns))))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        head = row[0].ljust(widths[0])
        rest = "  ".join(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))
        return f"{head}  {rest}"

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, *map(line, rows[:-1]), rule, line(rows[-1])])
