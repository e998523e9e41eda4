"""Programs that crash torch itself (the process dies), so they are never generated.

A crash is a finding, but a generated program that kills the process ends a ``--jobs 0`` run and
the pytest search with it, and says nothing about the reference. Each pattern here was reduced
from a generated program to a few lines of plain torch, kept in the docstring of its predicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.programs.program import (
    ALIASING,
    OPS,
    Const,
    Custom,
    Detach,
    GradMode,
    Hook,
    InPlace,
    Op,
    Program,
    RequiresGrad,
    RetainGrad,
    SavedHooks,
    Step,
    step_concern,
    walk,
)


def hook_on_stale_view(program: Program) -> bool:
    """``register_hook`` on a view whose base was written in place after the view was made.

    torch 2.13.0 segfaults: PyTorch #196459, pinned by the opt-in catalogue case
    ``known_issues/hook_on_view_after_base_written_in_place`` (met here as program 218 of seed 1)::

        b = torch.ones(2, 3, requires_grad=True).exp()
        v = b[0]            # any view op: unsqueeze, t, select, slice, reshape, view
        b.mul_(2)           # or through another view, or a detached alias, or under no_grad
        v.register_hook(lambda g: g)   # Segmentation fault

    A write through the view itself regenerates its node, unless it ran under ``no_grad``
    (met as program 4586 of seed 0, draw version 6)::

        v = torch.ones(3, 3, requires_grad=True).t()
        with torch.no_grad():
            v.clamp_(0, 1)
        v.register_hook(lambda g: g)   # Segmentation fault

    Nor does a write through the view that torch refuses (met as program 21598 of seed 11, draw
    version 7)::

        v = torch.tensor(0.5, requires_grad=True).unsqueeze(0)
        with torch.no_grad():
            v.add_(1)
        v.mul_(2)                      # RuntimeError: a view of a leaf Variable that ...
        v.register_hook(lambda g: g)   # Segmentation fault

    Reading ``v.grad_fn`` (or ``v.retain_grad()``) first regenerates the view's node and avoids
    the crash; this check ignores that and flags every such hook (a few programs too many).
    """
    leaves = len(program.leaves)
    views = _Views(family={index: index for index in range(leaves)}, leaves=leaves)
    slot = len(program.leaves)
    for position, (step, mode) in enumerate(walk(program.steps)):
        if hooks_stale_view(step, views, position, slot, mode is not False):
            return True
        if step.produces:
            slot += 1
    return False


@dataclass
class _Views:
    """Which tensors alias which, and when each view was made and each family written."""

    family: dict[int, int]  # slot -> the slot whose storage it shares
    leaves: int = 0  # slots below this are leaves
    made_at: dict[int, int] = field(default_factory=dict)  # view slot -> position it was made
    written_at: dict[int, int] = field(default_factory=dict)  # family -> latest in-place write


@step_concern
def hooks_stale_view(step: Step, views: _Views, position: int, slot: int, grad: bool) -> bool:
    """Whether ``step`` (at ``position``, producing ``slot``, with grad mode ``grad``) hooks a
    stale view; tracks views."""
    raise NotImplementedError  # never run: step_concern dispatches on the step's type


@hooks_stale_view.register
def _(step: Op, views: _Views, position: int, slot: int, grad: bool) -> bool:
    spec, first = OPS[step.op], step.args[0]
    if spec.view or step.op in ALIASING:
        views.family[slot] = views.family[first]
        if spec.view:
            views.made_at[slot] = position
        elif first in views.made_at:
            views.made_at[slot] = views.made_at[first]
    else:
        views.family[slot] = slot
    return False


@hooks_stale_view.register
def _(step: Detach, views: _Views, position: int, slot: int, grad: bool) -> bool:
    views.family[slot] = views.family[step.arg]
    return False


@hooks_stale_view.register(Custom)
@hooks_stale_view.register(Const)
def _(step: Custom | Const, views: _Views, position: int, slot: int, grad: bool) -> bool:
    views.family[slot] = slot
    return False


@hooks_stale_view.register
def _(step: InPlace, views: _Views, position: int, slot: int, grad: bool) -> bool:
    family = views.family[step.arg]
    views.written_at[family] = position
    # A recorded write through the view itself rebases it - unless it raised: torch refuses an
    # in-place write to a view of a leaf (one that requires grad; flags may change, so any).
    if grad and step.arg in views.made_at and family >= views.leaves:
        views.made_at[step.arg] = position
    return False


@hooks_stale_view.register
def _(step: Hook, views: _Views, position: int, slot: int, grad: bool) -> bool:
    return _stale(step.arg, views.made_at, views.written_at, views.family)


@hooks_stale_view.register(RequiresGrad)
@hooks_stale_view.register(RetainGrad)
@hooks_stale_view.register(GradMode)
@hooks_stale_view.register(SavedHooks)
def _(step: Step, views: _Views, position: int, slot: int, grad: bool) -> bool:
    return False


def _stale(
    view: int, made_at: dict[int, int], written_at: dict[int, int], family: dict[int, int]
) -> bool:
    return view in made_at and written_at.get(family[view], -1) > made_at[view]


def crashes_torch(program: Program) -> bool:
    """Whether ``program`` matches a pattern known to crash torch (see the predicates)."""
    return hook_on_stale_view(program)
