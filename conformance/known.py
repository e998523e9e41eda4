"""Known differences: a committed, reviewed list of what a backend pair is known to do apart.

Each file under ``known/`` declares the pair it applies to and one ``[[difference]]`` per known
difference: the case (an id or an ``fnmatch`` pattern), the facet that differs
(``conformance.facets``), why, and a link (a PyTorch issue, a ``docs/findings.md`` entry)::

    pair = ["torch", "torch-compile*"]

    [[difference]]
    case = "hooks/newer_node_runs_first"
    facet = "values"
    reason = "compiled graphs fire hooks in another order"
    link = "docs/findings.md#..."

A failing case whose every differing facet is listed becomes ``known`` (it no longer fails the
run, and the report shows why). The list is strict: a case listed by its exact id that passes is
reported as a failure ("no longer differs"), so the list stays true as torch changes.
"""

from __future__ import annotations

import fnmatch
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from conformance.errors import ConformanceInputError
from conformance.facets import FACETS
from conformance.verdict import Outcome, Verdict

#: Where ``conformance run`` looks for lists when ``--known`` is not given.
DEFAULT_FOLDER = "known"


@dataclass(frozen=True)
class KnownDifference:
    """One reviewed difference of a backend pair."""

    case: str
    facet: str
    reason: str
    link: str
    source: str  #: file it came from, for messages

    def matches(self, case_id: str) -> bool:
        return self.case == case_id or fnmatch.fnmatchcase(case_id, self.case)

    @property
    def exact(self) -> bool:
        return not any(ch in self.case for ch in "*?[")


@dataclass(frozen=True)
class KnownList:
    """The known differences of one backend pair, from every file that declares it."""

    differences: tuple[KnownDifference, ...] = ()

    def for_case(self, case_id: str) -> list[KnownDifference]:
        return [d for d in self.differences if d.matches(case_id)]

    def apply(self, case_id: str, verdict: Verdict) -> Verdict:
        """``verdict`` with the list applied: ``known`` when every differing facet is listed,
        a failure when an exactly listed case no longer differs."""
        listed = self.for_case(case_id)
        if not listed:
            return verdict
        if verdict.outcome == Outcome.PASS:
            stale = [d for d in listed if d.exact]
            if not stale:
                return verdict
            entry = stale[0]
            reason = f"listed known difference no longer happens ({entry.source}: {entry.reason})"
            return Verdict(
                Outcome.FAIL, reason, reason, verdict.comparisons, verdict.expectations, ["known"]
            )
        if verdict.outcome not in (Outcome.FAIL, Outcome.CRASH) or not verdict.facets:
            return verdict
        covered = {d.facet for d in listed}
        if not set(verdict.facets) <= covered:
            return verdict
        why = "; ".join(f"{d.reason} ({d.link})" for d in listed if d.facet in verdict.facets)
        return Verdict(
            Outcome.KNOWN,
            f"known difference: {why}",
            verdict.message,
            verdict.comparisons,
            verdict.expectations,
            verdict.facets,
            verdict.ignored,
        )


def _entries(path: Path) -> tuple[list[str], list[KnownDifference]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConformanceInputError(f"known differences {path}: {exc}") from None
    pair = data.get("pair")
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
        raise ConformanceInputError(f"known differences {path}: 'pair' must name two backends")
    found = []
    for number, entry in enumerate(data.get("difference", []), 1):
        where = f"known differences {path}: difference {number}"
        if not isinstance(entry, dict):
            raise ConformanceInputError(f"{where} is not a table")
        missing = [k for k in ("case", "facet", "reason", "link") if not entry.get(k)]
        if missing:
            raise ConformanceInputError(f"{where} lacks {', '.join(missing)}")
        if entry["facet"] not in FACETS:
            raise ConformanceInputError(
                f"{where}: unknown facet {entry['facet']!r} (one of {', '.join(FACETS)})"
            )
        found.append(
            KnownDifference(
                str(entry["case"]),
                entry["facet"],
                str(entry["reason"]),
                str(entry["link"]),
                path.name,
            )
        )
    return pair, found


@functools.cache
def load_known(folder: str | None, baseline: str, candidate: str) -> KnownList:
    """Every known difference declared for this pair in ``folder`` (``*.toml``); an absent
    default folder is an empty list, an absent named folder an input error."""
    if folder is None:
        root = Path(DEFAULT_FOLDER)
        if not root.is_dir():
            return KnownList()
    else:
        root = Path(folder)
        if not root.is_dir():
            raise ConformanceInputError(f"--known {folder!r} is not a folder")
    differences: list[KnownDifference] = []
    for path in sorted(root.glob("*.toml")):
        (left, right), entries = _entries(path)
        if fnmatch.fnmatchcase(baseline, left) and fnmatch.fnmatchcase(candidate, right):
            differences.extend(entries)
    return KnownList(tuple(differences))
