"""What a generated program is made of, and in what proportions, written once for two sources.

Every choice goes through a ``Chooser``: ``draw.py`` answers from a seeded ``random.Random``
(fast, the same in every process: the programs a run names ``generated/pNNNN``), and
``strategies.py`` answers through Hypothesis (its search, database and shrinking, in pytest).
So the vocabulary and its distribution live here only:

- one to three leaves of mutually broadcastable shapes (rank 0-2, sides 1-3), mostly float32,
  mostly requiring grad;
- up to six steps per block, mostly ops of the shared vocabulary (``vocabulary.FORMS``: every
  form whose rank and shape constraints the operand meets; operands half the time from the two
  newest slots, so most ops end up on a differentiated path). An op that takes a tensor without
  gradient (a mask, indices, a target) gets it as a ``Const`` step just before it, and a quarter
  of the time an in-place write to it just after (saved by the op, so a backward through the
  op must raise the version error); some state steps (detach - half the time followed
  by an in-place write through the detached tensor or its source -, ``requires_grad_``,
  ``retain_grad``, hooks, in-place ops, custom Functions correct, planted or given one tensor
  twice), and regions - grad mode, or saved-tensor hooks - nested at most twice; view ops are
  never drawn under no_grad (semantics §5.6);
- a schedule of one to four ``backward``/``autograd.grad`` calls with ``gradient`` weights,
  ``retain_graph``, ``create_graph`` and ``inputs=``, ``.grad`` resets between some of them.

``draw_one`` may still return a program of the section 11 quirk family (a ``requires_grad_``
after a view) or one that crashes torch (``known_crashes.py``); the callers draw again
(``draw.py``) or filter (``strategies.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np

from conformance.programs.program import (
    FUNCTIONS,
    OPS,
    SAVED_HOOKS,
    WRITES,
    Backward,
    Call,
    Const,
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
    SavedHooks,
    Step,
)
from conformance.programs.vocabulary import AUX, Form, aux_layout

T = TypeVar("T")


class Chooser(Protocol):
    """The source of every choice a program is built from."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``."""
        ...

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options`` (a repeated option is proportionally likelier)."""
        ...

    def boolean(self) -> bool: ...


MAX_SIDE = 3
MAX_RANK = 2
MAX_SEED = 2**16 - 1
MAX_STEPS = 6
MAX_REGION_DEPTH = 2
LEAF_DTYPES = ("float32", "float32", "float64")
#: Step kinds of a block: three ops for one state step and one region.
STEP_KINDS = ("op", "op", "op", "state", "region")
#: Regions: three grad-mode regions for one saved-tensor hooks region.
REGION_KINDS = ("grad_mode", "grad_mode", "grad_mode", "saved_hooks")
SAVED_HOOK_NAMES = tuple(SAVED_HOOKS)
STATE_KINDS = ("detach", "requires_grad", "retain_grad", "hook", "custom")
HOOK_SCALES = (0.5, 2.0, -1.0)
RETAIN_GRAPH = (None, True, False)
RESET_MODES = ("none", "zero")
#: Functions, ``Mul2`` (one tensor given as both inputs: half its gradient went missing under
#: inductor, PyTorch #183604) twice as often as each other.
FUNCTION_NAMES = (*sorted(FUNCTIONS), "Mul2")


@dataclass
class Slots:
    """What is known about each slot while drawing: shape, dtype, made by an op."""

    shapes: list[tuple[int, ...]] = field(default_factory=list)
    dtypes: list[str] = field(default_factory=list)
    computed: list[bool] = field(default_factory=list)
    #: Slots made by ``detach``: in-place targets (a write through them changes their source).
    detached: list[int] = field(default_factory=list)
    #: The float tensors of the program (every slot but the ``Const`` ones): operands.
    floats: list[int] = field(default_factory=list)
    #: ``Const`` slots: in-place targets only.
    consts: list[int] = field(default_factory=list)

    def add(self, shape: tuple[int, ...], dtype: str, computed: bool) -> int:
        self.floats.append(len(self.shapes))
        return self._add(shape, dtype, computed)

    def add_const(self, shape: tuple[int, ...], dtype: str) -> int:
        self.consts.append(len(self.shapes))
        return self._add(shape, dtype, False)

    def _add(self, shape: tuple[int, ...], dtype: str, computed: bool) -> int:
        self.shapes.append(shape)
        self.dtypes.append(dtype)
        self.computed.append(computed)
        return len(self.shapes) - 1

    def computed_slots(self) -> list[int]:
        return [i for i, c in enumerate(self.computed) if c]


#: The result shape of each rule of ``Form.shape``, from the operands' shapes.
SHAPE_RULES = {
    "same": lambda s, o: s,
    "broadcast": lambda s, o: tuple(np.broadcast_shapes(s, o)),
    "scalar": lambda s, o: (),
    "drop0": lambda s, o: s[1:],
    "droplast": lambda s, o: s[:-1],
    "keeplast": lambda s, o: (*s[:-1], 1),
    "t": lambda s, o: s[::-1],
    "swap01": lambda s, o: (s[1], s[0], *s[2:]),
    "unsqueeze": lambda s, o: (1, *s),
    "unsqueeze_last": lambda s, o: (*s, 1),
    "flatten": lambda s, o: (int(np.prod(s)),),
    "squeeze": lambda s, o: tuple(side for side in s if side != 1),
    "select": lambda s, o: s[1:],
    "slice": lambda s, o: (s[0] - 1, *s[1:]),
    "first1": lambda s, o: (1, *s[1:]),
    "rows": lambda s, o: (2, *s[1:]),
    "expand": lambda s, o: (2, *s),
    "double0": lambda s, o: (2 * s[0], *s[1:]),
    "stack": lambda s, o: (2, *s),
    "gram": lambda s, o: (s[0], s[0]),
    "gram_t": lambda s, o: (s[1], s[1]),
    "outer": lambda s, o: (s[0], o[0]),
}


def result_shape(op: str, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The shape ``op`` gives for operands of ``shapes`` (``Form.shape``)."""
    first = shapes[0]
    return SHAPE_RULES[OPS[op].shape](first, shapes[1] if len(shapes) > 1 else first)


def takes(spec: Form, shape: tuple[int, ...]) -> bool:
    """Whether ``spec`` takes a first operand of ``shape`` (rank, first side)."""
    rank = len(shape)
    return spec.min_dims <= rank <= spec.max_dims and (rank == 0 or shape[0] >= spec.min_first)


def partners_with(spec: Form, shape: tuple[int, ...], other: tuple[int, ...]) -> bool:
    """Whether ``other`` may be the second operand of ``spec`` after one of ``shape``."""
    if spec.partner == "equal":
        return other == shape
    if spec.partner == "vector":
        return len(other) == 1
    return _broadcasts(shape, other)


def operands_fit(spec: Form, shapes: list[tuple[int, ...]]) -> bool:
    """Whether ``spec`` takes operands of ``shapes`` (all its constraints but dtypes)."""
    if len(shapes) != spec.arity or not takes(spec, shapes[0]):
        return False
    return spec.arity == 1 or partners_with(spec, shapes[0], shapes[1])


@functools.lru_cache(maxsize=1024)
def fitting_ops(shape: tuple[int, ...], grad_enabled: bool) -> tuple[str, ...]:
    """The ops (in ``OPS`` order) that take an operand of ``shape``; no views under no_grad."""
    return tuple(
        name
        for name, spec in OPS.items()
        if takes(spec, shape) and not (spec.view and not grad_enabled)  # section 11 quirk
    )


@functools.lru_cache(maxsize=4096)
def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def mostly_true(choose: Chooser) -> bool:
    """True three times in four."""
    return choose.boolean() or choose.boolean()


def recent_or_any(choose: Chooser, count: int) -> int:
    """A slot index, half the time one of the two newest: operands mostly extend the graph
    towards the roots backward calls use, so most ops end up on a differentiated path."""
    if choose.boolean():
        return choose.integer(max(count - 2, 0), count - 1)
    return choose.integer(0, count - 1)


def broadcastable_shapes(choose: Chooser, count: int) -> list[tuple[int, ...]]:
    """``count`` shapes that broadcast together: each a trailing part of one drawn shape of
    rank ``MAX_RANK``, some sides replaced by 1."""
    full = [choose.integer(1, MAX_SIDE) for _ in range(MAX_RANK)]
    shapes = []
    for _ in range(count):
        rank = choose.integer(0, MAX_RANK)
        kept = full[MAX_RANK - rank :]
        shapes.append(tuple(1 if choose.integer(0, 3) == 0 else side for side in kept))
    return shapes


def leaves(choose: Chooser) -> tuple[Leaf, ...]:
    """One to three leaves with mutually broadcastable shapes, mostly float32."""
    shapes = broadcastable_shapes(choose, choose.integer(1, 3))
    drawn = []
    for shape in shapes:
        dtype = choose.choice(LEAF_DTYPES)
        requires_grad = mostly_true(choose)
        drawn.append(Leaf(shape, dtype, requires_grad, choose.integer(0, MAX_SEED)))
    return tuple(drawn)


def op_step(choose: Chooser, slots: Slots, grad_enabled: bool) -> tuple[Step, ...]:
    """An op whose operands fit its shape constraints (domains are met by its guards): first
    operand (mostly a recent slot), then an op that fits it, then a second operand that fits
    both; then its aux tensors as ``Const`` steps before it, and sometimes a write to one after."""
    first = slots.floats[recent_or_any(choose, len(slots.floats))]
    shape, dtype = slots.shapes[first], slots.dtypes[first]
    name = choose.choice(fitting_ops(shape, grad_enabled))
    spec = OPS[name]
    args: tuple[int, ...] = (first,)
    if spec.arity == 2:
        partners = [
            j
            for j in slots.floats
            if partners_with(spec, shape, slots.shapes[j])
            and (not spec.same_dtype or slots.dtypes[j] == dtype)
        ]
        args = (first, choose.choice(partners))
    operand_shapes = [slots.shapes[a] for a in args]
    drawn: list[Step] = []
    for kind in spec.aux:
        aux_shape, high = aux_layout(kind, operand_shapes)
        const = Const(kind, AUX[kind] or dtype, aux_shape, high, choose.integer(0, MAX_SEED))
        drawn.append(const)
        args += (slots.add_const(aux_shape, const.dtype),)
    slots.add(result_shape(name, operand_shapes), result_dtype(spec, slots, args), True)
    drawn.append(Op(name, args))
    if spec.aux and choose.integer(0, 3) == 0:
        target = choose.choice(args[spec.arity :])
        drawn.append(InPlace(choose.choice(WRITES[slots.dtypes[target]]), target))
    return tuple(drawn)


def result_dtype(spec: Form, slots: Slots, args: tuple[int, ...]) -> str:
    """The dtype of ``spec`` on the operands in ``args``, promoted as torch does: a 0-d operand
    does not widen one with dimensions (``torch.where(m, float64 0-d, float32 (3,))`` is
    float32)."""
    operands = args[: spec.arity]
    ranked = [a for a in operands if slots.shapes[a]] or list(operands)
    float64 = spec.to_double or any(slots.dtypes[a] == "float64" for a in ranked)
    return "float64" if float64 else "float32"


def state_step(choose: Chooser, slots: Slots) -> tuple[Step, ...]:
    """A graph-state step: detach (half the time followed by an in-place write through the
    detached tensor or its source, which share memory), requires_grad_, retain_grad, a hook,
    in-place, a Function."""
    floats = slots.floats
    targets = slots.computed_slots() + slots.detached + slots.consts
    kind = choose.choice(STATE_KINDS + ("inplace",) if targets else STATE_KINDS)
    if kind == "detach":
        arg = choose.choice(floats)
        made = slots.add(slots.shapes[arg], slots.dtypes[arg], False)
        slots.detached.append(made)
        if not choose.boolean():
            return (Detach(arg),)
        target = choose.choice((made, arg))
        return (Detach(arg), InPlace(choose.choice(WRITES[slots.dtypes[target]]), target))
    if kind == "requires_grad":
        return (RequiresGrad(choose.choice(floats), choose.boolean()),)
    if kind == "retain_grad":
        return (RetainGrad(choose.choice(floats)),)
    if kind == "hook":
        return (Hook(choose.choice(floats), choose.choice(HOOK_SCALES)),)
    if kind == "inplace":
        target = choose.choice(targets)
        return (InPlace(choose.choice(WRITES[slots.dtypes[target]]), target),)
    ranked = [i for i in floats if len(slots.shapes[i]) >= 1]
    function = choose.choice(FUNCTION_NAMES)
    if function == "WrongShape" and ranked:
        arg = choose.choice(ranked)
    else:
        function = "Square" if function == "WrongShape" else function
        arg = choose.choice(floats)
    slots.add(slots.shapes[arg], slots.dtypes[arg], True)
    return (Custom(function, arg),)


def steps(
    choose: Chooser, slots: Slots, grad_enabled: bool = True, depth: int = 0
) -> tuple[Step, ...]:
    """One to ``MAX_STEPS`` steps: mostly ops, some state steps, sometimes a region."""
    drawn: list[Step] = []
    for _ in range(choose.integer(1, MAX_STEPS)):
        kind = choose.choice(STEP_KINDS)
        if kind == "region" and depth < MAX_REGION_DEPTH:
            drawn.append(region(choose, slots, grad_enabled, depth))
        elif kind == "state":
            drawn.extend(state_step(choose, slots))
        else:
            drawn.extend(op_step(choose, slots, grad_enabled))
    return tuple(drawn)


def region(choose: Chooser, slots: Slots, grad_enabled: bool, depth: int) -> Step:
    """A grad-mode region (no_grad or enable_grad), or a body under saved-tensor hooks that
    keeps the grad mode around it."""
    if choose.choice(REGION_KINDS) == "saved_hooks":
        hooks = choose.choice(SAVED_HOOK_NAMES)
        return SavedHooks(hooks, steps(choose, slots, grad_enabled, depth + 1))
    enabled = choose.boolean()
    return GradMode(enabled, steps(choose, slots, enabled, depth + 1))


def backward_call(choose: Chooser, slots: Slots, leaf_count: int) -> Backward:
    """A backward or autograd.grad call on a computed slot (half the time the newest one)."""
    computed = slots.computed_slots() or [slots.floats[-1]]
    root = computed[-1] if choose.boolean() else choose.choice(computed)
    scalar = slots.shapes[root] == ()
    weight = choose.integer(0, MAX_SEED) if not scalar or choose.boolean() else None
    if not scalar and choose.integer(0, 9) == 0:
        weight = None  # sometimes the "grad can be implicitly created" error
    inputs: tuple[int, ...] | None = None
    if choose.boolean():
        pool = list(range(leaf_count)) + computed
        first = choose.choice(pool)
        inputs = (first,)
        others = [slot for slot in pool if slot != first]
        if others and choose.boolean():
            inputs = (first, choose.choice(others))
    return Backward(
        root=root,
        weight_seed=weight,
        retain_graph=choose.choice(RETAIN_GRAPH),
        create_graph=choose.integer(0, 4) == 0,
        inputs=inputs,
        use_grad=choose.integer(0, 3) == 0,
    )


def schedule(choose: Chooser, slots: Slots, leaf_count: int) -> tuple[Call, ...]:
    """One to four calls: backward/grad calls with resets between some of them."""
    calls: list[Call] = [backward_call(choose, slots, leaf_count)]
    for _ in range(choose.integer(0, 3)):
        if choose.integer(0, 3) == 0:
            calls.append(ResetGrads(choose.choice(RESET_MODES)))
        calls.append(backward_call(choose, slots, leaf_count))
    return tuple(calls)


def draw_one(choose: Chooser) -> Program:
    """Leaves, steps, schedule (possibly of the section 11 quirk family: see the docstring)."""
    drawn_leaves = leaves(choose)
    slots = Slots()
    for leaf in drawn_leaves:
        slots.add(leaf.shape, leaf.dtype, False)
    body = steps(choose, slots)
    return Program(drawn_leaves, body, schedule(choose, slots, len(drawn_leaves)))
