"""Hypothesis strategies for programs, composed of small pieces, and the settings profiles.

``leaves`` draws mutually broadcastable leaf shapes (``hypothesis.extra.numpy``); ``steps`` draws
graph-building steps while tracking each slot's shape and dtype, so every op gets operands in its
domain and broadcastable shapes; ``schedules`` draws the backward calls. View ops are never drawn
inside a no_grad region (spec section 11). Profiles: ``dev`` (default), ``ci`` (when CI is set)
and ``nightly``; ``HYPOTHESIS_PROFILE`` picks one explicitly.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from conformance.programs.program import (
    FUNCTIONS,
    INPLACE,
    OPS,
    Backward,
    Call,
    Custom,
    Detach,
    GradMode,
    Hook,
    InPlace,
    Leaf,
    Op,
    Program,
    RequiresGrad,
    ResetGrads,
    RetainGrad,
    Step,
    hits_quirk,
)

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=_SLOW)
settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=_SLOW,
)
settings.register_profile("nightly", max_examples=2000, deadline=None, suppress_health_check=_SLOW)


def profile_name() -> str:
    """The active profile: HYPOTHESIS_PROFILE, else ``ci`` when CI is set, else ``dev``."""
    explicit = os.environ.get("HYPOTHESIS_PROFILE")
    if explicit in ("dev", "ci", "nightly"):
        return explicit
    return "ci" if os.environ.get("CI") else "dev"


def profile() -> settings:
    """The active profile's settings (use as ``@settings(profile())``)."""
    return settings.get_profile(profile_name())


T = TypeVar("T")

MAX_SIDE = 3
SEEDS = st.integers(0, 2**16 - 1)


@dataclass
class Slots:
    """What the strategy knows about each slot while drawing: shape, dtype, made by an op."""

    shapes: list[tuple[int, ...]] = field(default_factory=list)
    dtypes: list[str] = field(default_factory=list)
    computed: list[bool] = field(default_factory=list)
    #: Slots made by ``detach``: in-place targets (a write through them changes their source).
    detached: list[int] = field(default_factory=list)

    def add(self, shape: tuple[int, ...], dtype: str, computed: bool) -> None:
        self.shapes.append(shape)
        self.dtypes.append(dtype)
        self.computed.append(computed)


def result_shape(op: str, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The shape ``op`` gives for operands of ``shapes`` (see ``OpSpec.shape``)."""
    rule, s = OPS[op].shape, shapes[0]
    if rule == "broadcast":
        return tuple(np.broadcast_shapes(*shapes))
    rules = {
        "same": lambda: s,
        "scalar": lambda: (),
        "drop0": lambda: s[1:],
        "droplast": lambda: s[:-1],
        "t": lambda: s[::-1],
        "unsqueeze": lambda: (1, *s),
        "flatten": lambda: (int(np.prod(s)),),
        "select": lambda: s[1:],
        "slice": lambda: (s[0] - 1, *s[1:]),
        "gram": lambda: (s[0], s[0]),
    }
    return rules[rule]()


@functools.lru_cache(maxsize=4096)
def _fits(op: str, shape: tuple[int, ...]) -> bool:
    spec = OPS[op]
    if not spec.min_dims <= len(shape) <= spec.max_dims:
        return False
    return not (spec.shape == "slice" and shape[0] < 2)


@functools.lru_cache(maxsize=4096)
def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


# Strategies are cached by their arguments: drawing thousands of programs then reuses validated
# strategy objects instead of building and validating new ones at every draw.
_BOOLS = st.booleans()
_MOSTLY_TRUE = st.booleans() | st.just(True)


@functools.lru_cache(maxsize=1024)
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


def _pick(options: Sequence[T]) -> st.SearchStrategy[T]:
    return _sampled(tuple(options))


@functools.lru_cache(maxsize=4096)
def _sampled(options: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(options)


@functools.lru_cache(maxsize=1024)
def _either(a: st.SearchStrategy[Any], b: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(a, b)


def _recent_or_any(count: int) -> st.SearchStrategy[int]:
    """A slot index, half the time one of the two newest: operands mostly extend the graph
    towards the roots backward calls use, so most ops end up on a differentiated path."""
    return _either(_ints(max(count - 2, 0), count - 1), _ints(0, count - 1))


@st.composite
def leaves(draw: st.DrawFn) -> tuple[Leaf, ...]:
    """One to three leaves with mutually broadcastable shapes, mostly float32."""
    count = draw(_ints(1, 3))
    shapes = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=count, min_dims=0, max_dims=2, min_side=1, max_side=MAX_SIDE
        )
    ).input_shapes
    return tuple(
        Leaf(
            shape=tuple(shape),
            dtype=draw(_pick(["float32", "float32", "float64"])),
            requires_grad=draw(_MOSTLY_TRUE),
            seed=draw(SEEDS),
        )
        for shape in shapes
    )


@st.composite
def op_step(draw: st.DrawFn, slots: Slots, grad_enabled: bool) -> Op:
    """An op whose operands fit its rank and domain and broadcast together: first operand
    (mostly a recent slot), then an op that fits it, then a second operand that broadcasts."""
    first = draw(_recent_or_any(len(slots.shapes)))
    shape = slots.shapes[first]
    fitting = [
        name
        for name, spec in OPS.items()
        if _fits(name, shape) and not (spec.view and not grad_enabled)  # section 11 quirk
    ]
    name = draw(_pick(fitting))
    args: tuple[int, ...] = (first,)
    if OPS[name].arity == 2:
        partners = [j for j, other in enumerate(slots.shapes) if _broadcasts(shape, other)]
        args = (first, draw(_pick(partners)))
    shapes = [slots.shapes[a] for a in args]
    dtype = (
        "float64"
        if OPS[name].to_double or "float64" in [slots.dtypes[a] for a in args]
        else ("float32")
    )
    slots.add(result_shape(name, shapes), dtype, True)
    return Op(name, args)


@st.composite
def state_step(draw: st.DrawFn, slots: Slots) -> tuple[Step, ...]:
    """A graph-state step: detach (half the time followed by an in-place write through the
    detached tensor or its source, which share memory), requires_grad_, retain_grad, a hook,
    in-place, a Function."""
    everything = _ints(0, len(slots.shapes) - 1)
    computed = [i for i, c in enumerate(slots.computed) if c] + slots.detached
    kinds = ["detach", "requires_grad", "retain_grad", "hook", "custom"]
    kinds += ["inplace"] if computed else []
    kind = draw(_pick(kinds))
    if kind == "detach":
        arg = draw(everything)
        slots.add(slots.shapes[arg], slots.dtypes[arg], False)
        slots.detached.append(len(slots.shapes) - 1)
        detach = Detach(arg)
        if not draw(_BOOLS):
            return (detach,)
        target = draw(_pick([len(slots.shapes) - 1, arg]))
        return (detach, InPlace(draw(_pick(sorted(INPLACE))), target))
    if kind == "requires_grad":
        return (RequiresGrad(draw(everything), draw(_BOOLS)),)
    if kind == "retain_grad":
        return (RetainGrad(draw(everything)),)
    if kind == "hook":
        return (Hook(draw(everything), draw(_pick([0.5, 2.0, -1.0]))),)
    if kind == "inplace":
        return (InPlace(draw(_pick(sorted(INPLACE))), draw(_pick(computed))),)
    ranked = [i for i, s in enumerate(slots.shapes) if len(s) >= 1]
    function = draw(_pick(sorted(FUNCTIONS)))
    if function == "WrongShape" and ranked:
        arg = draw(_pick(ranked))
    else:
        function = "Square" if function == "WrongShape" else function
        arg = draw(everything)
    slots.add(slots.shapes[arg], slots.dtypes[arg], True)
    return (Custom(function, arg),)


@st.composite
def steps(
    draw: st.DrawFn, slots: Slots, grad_enabled: bool = True, depth: int = 0
) -> tuple[Step, ...]:
    """Up to six steps: mostly ops, some state steps, sometimes a grad-mode region."""
    drawn: list[Step] = []
    for _ in range(draw(_ints(1, 6))):
        kind = draw(_pick(["op", "op", "op", "state", "region"]))
        if kind == "region" and depth < 2:
            enabled = draw(_BOOLS)
            body = draw(steps(slots, enabled, depth + 1))
            drawn.append(GradMode(enabled, body))
        elif kind == "state":
            drawn.extend(draw(state_step(slots)))
        else:
            drawn.append(draw(op_step(slots, grad_enabled)))
    return tuple(drawn)


@st.composite
def backward_call(draw: st.DrawFn, slots: Slots, leaf_count: int) -> Backward:
    """A backward or autograd.grad call on a computed slot (usually the last one)."""
    computed = [i for i, c in enumerate(slots.computed) if c] or [len(slots.shapes) - 1]
    root = draw(_either(_pick(computed[-1:]), _pick(computed)))
    scalar = slots.shapes[root] == ()
    weight = draw(SEEDS) if not scalar or draw(_BOOLS) else None
    if not scalar and draw(_ints(0, 9)) == 0:
        weight = None  # sometimes the "grad can be implicitly created" error
    inputs = None
    if draw(_BOOLS):
        pool = list(range(leaf_count)) + computed
        inputs = tuple(draw(st.lists(_pick(pool), min_size=1, max_size=2, unique=True)))
    return Backward(
        root=root,
        weight_seed=weight,
        retain_graph=draw(_pick([None, True, False])),
        create_graph=draw(_ints(0, 4)) == 0,
        inputs=inputs,
        use_grad=draw(_ints(0, 3)) == 0,
    )


@st.composite
def schedules(draw: st.DrawFn, slots: Slots, leaf_count: int) -> tuple[Call, ...]:
    """One to four calls: backward/grad calls with resets between some of them."""
    calls: list[Call] = [draw(backward_call(slots, leaf_count))]
    for _ in range(draw(_ints(0, 3))):
        if draw(_ints(0, 3)) == 0:
            calls.append(ResetGrads(draw(_pick(["none", "zero"]))))
        calls.append(draw(backward_call(slots, leaf_count)))
    return tuple(calls)


@st.composite
def _any_program(draw: st.DrawFn) -> Program:
    drawn_leaves = draw(leaves())
    slots = Slots()
    for leaf in drawn_leaves:
        slots.add(leaf.shape, leaf.dtype, False)
    body = draw(steps(slots))
    return Program(drawn_leaves, body, draw(schedules(slots, len(drawn_leaves))))


@functools.cache
def programs() -> st.SearchStrategy[Program]:
    """A whole program: leaves, steps, schedule; never one that hits the section 11 quirk.
    (Built once: each draw of a run reuses the validated strategy.)"""
    return _any_program().filter(lambda program: not hits_quirk(program))
