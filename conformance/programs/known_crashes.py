"""Programs that crash torch itself (the process dies), so they are never generated.

A crash is a finding, but a generated program that kills the process ends a ``--jobs 0`` run and
the pytest search with it, and says nothing about the reference. Each pattern here was reduced
from a generated program to a few lines of plain torch, kept in the docstring of its predicate.
"""

from __future__ import annotations

from conformance.programs.program import OPS, Custom, Detach, Hook, InPlace, Op, Program, walk

#: Ops whose result can be the very tensor they were given (``a.double()`` on float64).
_ALIASING = frozenset({"double"})


def hook_on_stale_view(program: Program) -> bool:
    """``register_hook`` on a view whose base was written in place after the view was made.

    torch 2.13.0 segfaults: PyTorch #196459, pinned by the opt-in catalogue case
    ``known_issues/hook_on_view_after_base_written_in_place`` (met here as program 218 of seed 1)::

        b = torch.ones(2, 3, requires_grad=True).exp()
        v = b[0]            # any view op: unsqueeze, t, select, slice, reshape, view
        b.mul_(2)           # or through another view, or a detached alias, or under no_grad
        v.register_hook(lambda g: g)   # Segmentation fault

    Reading ``v.grad_fn`` (or ``v.retain_grad()``) first regenerates the view's node and avoids
    the crash; this check ignores that and flags every such hook (a few programs too many).
    """
    family: dict[int, int] = {index: index for index in range(len(program.leaves))}
    made_at: dict[int, int] = {}  # view slot -> position of the step that made it
    written_at: dict[int, int] = {}  # family -> position of its latest in-place write
    slot = len(program.leaves)
    for position, (step, _) in enumerate(walk(program.steps)):
        if isinstance(step, Op):
            spec, first = OPS[step.op], step.args[0]
            if spec.view or step.op in _ALIASING:
                family[slot] = family[first]
                if spec.view:
                    made_at[slot] = position
                elif first in made_at:
                    made_at[slot] = made_at[first]
            else:
                family[slot] = slot
        elif isinstance(step, Detach):
            family[slot] = family[step.arg]
        elif isinstance(step, Custom):
            family[slot] = slot
        elif isinstance(step, InPlace):
            written_at[family[step.arg]] = position
            if step.arg in made_at:  # a write through the view itself regenerates its node
                made_at[step.arg] = position
        elif isinstance(step, Hook) and _stale(step.arg, made_at, written_at, family):
            return True
        if step.produces:
            slot += 1
    return False


def _stale(
    view: int, made_at: dict[int, int], written_at: dict[int, int], family: dict[int, int]
) -> bool:
    return view in made_at and written_at.get(family[view], -1) > made_at[view]


def crashes_torch(program: Program) -> bool:
    """Whether ``program`` matches a pattern known to crash torch (see the predicates)."""
    return hook_on_stale_view(program)
