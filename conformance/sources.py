"""Where cases come from: each source lists, owns, rebuilds and saves its own cases.

A run, a worker process, a Dask task and the pytest plugin know cases by id alone. A source says
which of its ids a selection picks, whether an id is its own, how an id and the run seed become
a ``Case`` again, and what to keep next to the results when one of its cases fails. The sources
are the catalogue (``conformance.catalogue``; the known-issue cases are catalogue cases), the
generated programs (``conformance.programs.generated``) and PyTorch's OpInfo entries
(``conformance.opinfo``, opt-in); adding one (a replayed file) is adding it to
``case_sources``, not a special case in each caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from conformance import catalogue
from conformance.case import Case
from conformance.catalogue import DEFAULT_PACKAGE, CatalogueSource
from conformance.errors import ConformanceInputError
from conformance.opinfo import OpInfoSource
from conformance.programs.generated import GeneratedSource


@dataclass(frozen=True)
class Selection:
    """What a run asked for: ``--area``, ``--tag``, ``-k`` and ``--generated N``."""

    areas: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    generated: int = 0

    @classmethod
    def of(
        cls,
        areas: Sequence[str] | None = (),
        tags: Sequence[str] | None = (),
        patterns: Sequence[str] | None = (),
        generated: int | None = 0,
    ) -> Selection:
        """A selection from command-line values (lists, or None when not given)."""
        return cls(tuple(areas or ()), tuple(tags or ()), tuple(patterns or ()), generated or 0)


class CaseSource(Protocol):
    """One kind of case, known by its ids."""

    #: Whether a failing case is a program ``conformance.programs.shrink`` can make smaller.
    shrinkable: bool

    def prepare(self) -> None:
        """Make ``owns``/``resolve`` work in this process (a worker calls it once)."""
        ...

    def ids(self, selection: Selection) -> Iterator[str]:
        """The ids ``selection`` picks, in the order a run runs them."""
        ...

    def selects(self, case_id: str, selection: Selection) -> bool:
        """Whether ``case_id`` is one of ``ids(selection)`` (without listing them)."""
        ...

    def owns(self, case_id: str) -> bool:
        """Whether ``case_id`` names a case of this source."""
        ...

    def resolve(self, case_id: str, run_seed: int) -> Case:
        """The case ``case_id`` names in a run seeded ``run_seed``."""
        ...

    def keywords(self, case_id: str) -> tuple[str, tuple[str, ...]]:
        """The area and tags of ``case_id``, known without building the case."""
        ...

    def save_failure(self, case_id: str, run_seed: int, results_path: str | Path) -> Path | None:
        """Keep what reproduces the failing case ``case_id`` next to the results; the file
        written, or None when the source keeps nothing."""
        ...


def case_sources(package: str = DEFAULT_PACKAGE) -> tuple[CaseSource, ...]:
    """Every source, in the order a run takes their cases: the catalogue ``package``, generated
    programs, then OpInfo entries (opt-in). An id belongs to the first source that owns it."""
    return (CatalogueSource(package), GeneratedSource(), OpInfoSource())


def prepare_sources(package: str = DEFAULT_PACKAGE) -> None:
    """What a worker process does once before it is sent ids: each source gets ready (the
    catalogue ``package`` is imported, registering its cases)."""
    for source in case_sources(package):
        source.prepare()


def source_of(case_id: str, sources: Sequence[CaseSource] | None = None) -> CaseSource | None:
    """The source that owns ``case_id``, or None."""
    return next((s for s in sources or case_sources() if s.owns(case_id)), None)


def selected_ids(sources: Sequence[CaseSource], selection: Selection) -> Iterator[str]:
    """The ids ``selection`` picks from every source, source after source, lazily."""
    for source in sources:
        yield from source.ids(selection)


def selects(sources: Sequence[CaseSource], case_id: str, selection: Selection) -> bool:
    """Whether ``case_id`` is one of ``selected_ids(sources, selection)``."""
    return any(source.selects(case_id, selection) for source in sources)


def resolve_case(case_id: str, run_seed: int) -> Case:
    """The case ``case_id`` names in a run seeded ``run_seed``: how a worker, a Dask task or a
    pytest item turns the id it was given back into a case (after ``prepare_sources``)."""
    source = source_of(case_id)
    if source is None:
        raise ConformanceInputError(f"no case {case_id!r} (see `conformance list`)")
    return source.resolve(case_id, run_seed)


def get_case(case_id: str, package: str = DEFAULT_PACKAGE, run_seed: int = 0) -> Case:
    """One case by id, or a catalogue case by unique name (the catalogue loaded if need be);
    ``ConformanceInputError`` when there is none."""
    source = source_of(case_id, case_sources(package))
    if source is None:
        return catalogue.get_case(case_id, package)
    return source.resolve(case_id, run_seed)


def save_failure(case_id: str, run_seed: int, results_path: str | Path) -> Path | None:
    """What the source of the failing case ``case_id`` keeps next to the results, if anything."""
    source = source_of(case_id)
    return None if source is None else source.save_failure(case_id, run_seed, results_path)


def shrinkable(case_id: str) -> bool:
    """Whether the failing case ``case_id`` is a program the shrinker can make smaller."""
    source = source_of(case_id)
    return source is not None and source.shrinkable
