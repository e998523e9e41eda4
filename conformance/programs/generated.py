"""Generated programs as harness cases: program ``i`` of a run is drawn from its own seed.

``draw_program(run_seed, index)`` (``draw.py``) draws one program from a random stream seeded by
``(run_seed, index)`` alone. So the id ``generated/p0042`` names the same program in every
process, on every machine, whatever else the run contains: a worker (or a Dask task) rebuilds a
case from its id, nothing is drawn up front, memory does not grow with the number of programs,
and consecutive programs are independent draws rather than near-copies of one another.

Each case carries the finite-difference oracle (``oracle.opinions``) and a tolerance policy that
follows the lowest precision in the program: one float32 leaf makes every comparison use
float32's tolerances, since float64 values computed from float32 ones (``.double()``, type
promotion) carry float32 rounding. A failing program is saved as JSON plus its reproducer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.case import Case
from conformance.catalogue import id_matches
from conformance.errors import ConformanceInputError
from conformance.programs.draw import DRAW_VERSION, draw_program
from conformance.programs.interpreter import case_function
from conformance.programs.program import Program, to_json
from conformance.programs.render import render
from conformance.tolerances import DEFAULT_TOLERANCES

if TYPE_CHECKING:
    from conformance.sources import Selection

AREA = "generated"
_ID = re.compile(rf"^{AREA}/p(\d+)$")


def generate(run_seed: int, count: int) -> tuple[Program, ...]:
    """Programs ``0..count-1`` of ``run_seed`` (for tests and statistics; runs draw lazily)."""
    return tuple(draw_program(run_seed, index) for index in range(count))


def case_id(index: int) -> str:
    return f"{AREA}/p{index:04d}"


def case_ids(count: int) -> Iterator[str]:
    """The ids of the first ``count`` generated programs, in order."""
    return (case_id(index) for index in range(count))


def selected_ids(
    count: int, areas: Sequence[str] = (), tags: Sequence[str] = (), patterns: Sequence[str] = ()
) -> Iterator[str]:
    """The ids of programs ``0..count-1`` that a run's ``--area/--tag/-k`` selection keeps,
    decided from the id alone (nothing is drawn), in index order."""
    return (cid for cid in case_ids(count) if _kept(cid, areas, tags, patterns))


def is_selected(
    case_id_: str,
    count: int,
    areas: Sequence[str] = (),
    tags: Sequence[str] = (),
    patterns: Sequence[str] = (),
) -> bool:
    """Whether ``case_id_`` is one of ``selected_ids(count, areas, tags, patterns)``."""
    return (
        is_generated(case_id_)
        and index_of(case_id_) < count
        and _kept(case_id_, areas, tags, patterns)
    )


def _kept(
    case_id_: str, areas: Sequence[str], tags: Sequence[str], patterns: Sequence[str]
) -> bool:
    if (areas and AREA not in areas) or (tags and "generated" not in tags):
        return False
    return not patterns or any(id_matches(case_id_, p) for p in patterns)


def index_of(case_id_: str) -> int:
    """The program index in a ``generated/p<index>`` id; ``ConformanceInputError`` otherwise."""
    match = _ID.match(case_id_)
    if match is None:
        raise ConformanceInputError(f"not a generated case id: {case_id_!r}")
    return int(match.group(1))


def is_generated(case_id_: str) -> bool:
    return _ID.match(case_id_) is not None


def tolerances(program: Program) -> tuple[float | None, float | None]:
    """(rtol, atol) for every observation: float32's when any leaf is float32, else None
    (each observation's own dtype decides)."""
    if any(leaf.dtype == "float32" for leaf in program.leaves):
        return DEFAULT_TOLERANCES["float32"]
    return None, None


def as_case(index: int, program: Program, run_seed: int | None = None) -> Case:
    """A ``Case`` running ``program`` through the interpreter; its reproducer is rendered when
    asked for (``conformance show``, a report's failure), not for every program judged."""
    from conformance.programs.oracle import opinions

    rtol, atol = tolerances(program)
    seed_note = "" if run_seed is None else f" of run seed {run_seed}"
    title = f"generated program {index}{seed_note}"
    return Case(
        id=case_id(index),
        area=AREA,
        name=f"p{index:04d}",
        tags=("generated",),
        func=case_function(program),
        doc=f"Generated autograd program {index}{seed_note} (draw version {DRAW_VERSION}).",
        source_text=f"# {title}: its script is `conformance show {case_id(index)}`\n",
        module=__name__,
        filename=None,
        lineno=None,
        rtol=rtol,
        atol=atol,
        oracle=functools.partial(opinions, program),
        reproducer=functools.partial(render, program, title),
    )


def case_for(case_id_: str, run_seed: int) -> Case:
    """The case named ``case_id_`` in a run seeded ``run_seed``, rebuilt from the id alone."""
    index = index_of(case_id_)
    return as_case(index, draw_program(run_seed, index), run_seed)


def save_failure(case_id_: str, run_seed: int, results_path: str | Path) -> Path:
    """Write ``<name>.json`` and ``.py`` for a generated case into the results file's own
    folder of failures (``results/run.jsonl`` -> ``results/run.generated/``)."""
    from conformance.results import failures_folder

    program = draw_program(run_seed, index_of(case_id_))
    folder = failures_folder(results_path)
    folder.mkdir(parents=True, exist_ok=True)
    name = case_id_.split("/", 1)[1]
    (folder / f"{name}.json").write_text(to_json(program) + "\n")
    (folder / f"{name}.py").write_text(render(program, f"{case_id_} (run seed {run_seed})"))
    return folder / f"{name}.py"


class GeneratedSource:
    """Generated programs as a case source (``conformance.sources.CaseSource``): ``--generated N``
    picks programs ``0..N-1``, rebuilt from the id and the run seed wherever they run."""

    shrinkable = True

    def prepare(self) -> None:
        return None  # a program is drawn from its id and the seed alone

    def ids(self, selection: Selection) -> Iterator[str]:
        return selected_ids(
            selection.generated, selection.areas, selection.tags, selection.patterns
        )

    def selects(self, case_id: str, selection: Selection) -> bool:
        return is_selected(
            case_id, selection.generated, selection.areas, selection.tags, selection.patterns
        )

    def owns(self, case_id: str) -> bool:
        return is_generated(case_id)

    def resolve(self, case_id: str, run_seed: int) -> Case:
        return case_for(case_id, run_seed)

    def keywords(self, case_id: str) -> tuple[str, tuple[str, ...]]:
        return AREA, ("generated",)

    def save_failure(self, case_id: str, run_seed: int, results_path: str | Path) -> Path | None:
        return save_failure(case_id, run_seed, results_path)
