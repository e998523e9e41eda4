"""Finding cases: importing the catalogue package and selecting cases from the registry.

The catalogue is a package (``cases`` by default) whose import registers every case; selection by
area, tag and name pattern always yields cases sorted by id, so runs are deterministic.
``CatalogueSource`` is the catalogue as one of the run's case sources (``conformance.sources``).
"""

from __future__ import annotations

import fnmatch
import importlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.case import REGISTRY, Case
from conformance.errors import ConformanceInputError

if TYPE_CHECKING:
    from conformance.sources import Selection

DEFAULT_PACKAGE = "cases"


def load_catalogue(package: str = DEFAULT_PACKAGE) -> list[Case]:
    """Import ``package`` (registering its cases) and return every registered case by id.

    Any failure while importing (a syntax error, a malformed case) becomes one
    ``ConformanceInputError`` naming the module.
    """
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # `conformance run` finds a catalogue in the working directory
    try:
        importlib.import_module(package)
    except ConformanceInputError as exc:
        raise ConformanceInputError(f"catalogue {package}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - report any import failure in one line
        where = ""
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.endswith(".py"):
                where = f" ({tb.tb_frame.f_code.co_filename}:{tb.tb_lineno})"
            tb = tb.tb_next
        detail = str(exc).splitlines()[0] if str(exc) else ""
        if isinstance(exc, SyntaxError) and exc.filename:  # the file that does not parse
            where, detail = f" ({exc.filename}:{exc.lineno})", exc.msg
        raise ConformanceInputError(
            f"catalogue {package} failed to import: {type(exc).__name__}: {detail}{where}"
        ) from exc
    return sorted(REGISTRY.values(), key=lambda c: c.id)


def matches(case: Case, pattern: str) -> bool:
    """``-k`` matching: a glob when the pattern has wildcards, else a substring of the id."""
    return id_matches(case.id, pattern)


def id_matches(case_id: str, pattern: str) -> bool:
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(case_id, pattern)
    return pattern in case_id


def select(
    cases: Iterable[Case],
    areas: Sequence[str] = (),
    tags: Sequence[str] = (),
    patterns: Sequence[str] = (),
) -> list[Case]:
    """Cases in any of ``areas``, having any of ``tags``, matching any of ``patterns``.

    An empty criterion selects everything but ``opt_in`` cases, which a criterion must name;
    the result is sorted by case id.
    """
    named = bool(areas or tags or patterns)
    chosen = [
        c
        for c in cases
        if (not areas or c.area in areas)
        and (not tags or any(t in c.tags for t in tags))
        and (not patterns or any(matches(c, p) for p in patterns))
        and (named or not c.opt_in)
    ]
    return sorted(chosen, key=lambda c: c.id)


def get_case(case_id: str, package: str = DEFAULT_PACKAGE) -> Case:
    """One catalogue case by id (or by unique name); ``ConformanceInputError`` when there is
    none. ``conformance.sources.get_case`` also knows the other sources' ids."""
    cases = load_catalogue(package)
    by_id = {c.id: c for c in cases}
    if case_id in by_id:
        return by_id[case_id]
    named = [c for c in cases if c.name == case_id]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        ids = ", ".join(c.id for c in named)
        raise ConformanceInputError(f"case name {case_id!r} is ambiguous: {ids}")
    raise ConformanceInputError(f"no case {case_id!r} (see `conformance list`)")


class CatalogueSource:
    """The catalogue package as a case source (``conformance.sources.CaseSource``): cases that
    ``@case`` registered when the package was imported, selected by area, tag and ``-k``."""

    shrinkable = False

    def __init__(self, package: str = DEFAULT_PACKAGE) -> None:
        self.package = package
        self._chosen: dict[Selection, dict[str, None]] = {}  # ids in order, looked up by id

    def _selected(self, selection: Selection) -> dict[str, None]:
        if selection not in self._chosen:
            cases = load_catalogue(self.package)
            chosen = select(cases, selection.areas, selection.tags, selection.patterns)
            self._chosen[selection] = dict.fromkeys(c.id for c in chosen)
        return self._chosen[selection]

    def prepare(self) -> None:
        load_catalogue(self.package)

    def ids(self, selection: Selection) -> Iterator[str]:
        return iter(self._selected(selection))

    def selects(self, case_id: str, selection: Selection) -> bool:
        return case_id in self._selected(selection)

    def owns(self, case_id: str) -> bool:
        return case_id in REGISTRY  # filled by ``prepare`` (or ``ids``) in this process

    def resolve(self, case_id: str, run_seed: int) -> Case:
        if case_id not in REGISTRY:
            raise ConformanceInputError(f"no case {case_id!r} (see `conformance list`)")
        return REGISTRY[case_id]

    def keywords(self, case_id: str) -> tuple[str, tuple[str, ...]]:
        case = self.resolve(case_id, 0)
        return case.area, tuple(case.tags)

    def save_failure(self, case_id: str, run_seed: int, results_path: str | Path) -> Path | None:
        return None  # the case's own source file is its reproducer (``conformance show``)
