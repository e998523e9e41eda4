"""The program representation: leaves, graph-building steps and a backward schedule, as data.

Programs are frozen dataclasses that round-trip through JSON, so a failing generated program can
be saved, shrunk, diffed and re-run. Tensors are named by *slot*: leaves take slots ``0..L-1``
and every step that produces a tensor appends the next slot. Op expressions and custom Function
classes are stored as source text in tables shared by the interpreter and the renderer, so the
reproducer runs exactly the code the interpreter ran.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from conformance.programs.vocabulary import FORMS, Form, aux_values

if TYPE_CHECKING:
    from functools import _SingleDispatchCallable


@dataclass(frozen=True)
class Leaf:
    """A leaf tensor: values drawn from ``seed`` (magnitudes in [0.5, 1.5], two decimals)."""

    shape: tuple[int, ...]
    dtype: str = "float32"
    requires_grad: bool = True
    seed: int = 0


@functools.lru_cache(maxsize=4096)
def leaf_values(leaf: Leaf) -> np.ndarray:
    """The values of ``leaf``: away from 0 so abs/relu kinks and FD steps stay apart. Read-only
    and kept: each backend and the oracle read them, and seeding a generator costs more than
    using it."""
    rng = np.random.default_rng(leaf.seed)
    magnitude = rng.uniform(0.5, 1.5, leaf.shape)
    sign = np.where(rng.random(leaf.shape) < 0.5, -1.0, 1.0)
    values = np.round(magnitude * sign, 2)
    values.setflags(write=False)
    return values


#: The ops programs may use, with their domains and shape rules: the shared vocabulary.
OPS: dict[str, Form] = FORMS

#: In-place ops applied to non-leaf slots (templates over ``a``).
INPLACE: dict[str, str] = {
    "mul_": "a.mul_(2)",
    "add_": "a.add_(1)",
    "neg_": "a.neg_()",
    "sigmoid_": "a.sigmoid_()",
    "tanh_": "a.tanh_()",
    "clamp_": "a.clamp_(-1.0, 1.0)",
    "zero_": "a.zero_()",
    "fill_true_": "a.fill_(True)",
    "fill_0_": "a.fill_(0)",
}
#: The in-place writes of each dtype (a bool mask, int64 indices keep valid values).
WRITES: dict[str, tuple[str, ...]] = {
    "float32": ("mul_", "add_", "neg_", "sigmoid_", "tanh_", "clamp_"),
    "float64": ("mul_", "add_", "neg_", "sigmoid_", "tanh_", "clamp_"),
    "bool": ("zero_", "fill_true_"),
    "int64": ("zero_", "fill_0_"),
}

#: Custom Function classes as source text (``torch`` is the module they run on). The ones
#: named ``planted`` make a mistake that autograd must reject with the same error on both.
FUNCTIONS: dict[str, str] = {
    "Square": """
class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad
""",
    "Scale": """
class Scale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.k, None
""",
    "MissingNone": """
class MissingNone(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.k
""",
    "WrongShape": """
class WrongShape(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, grad):
        return grad[0] * 3
""",
    "TooMany": """
class TooMany(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, grad):
        return grad * 3, grad
""",
    "Mul2": """
class Mul2(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * x
""",
}
#: How each Function is applied (``F`` is the class, ``a`` the argument).
APPLY: dict[str, str] = {
    "Square": "F.apply(a)",
    "Scale": "F.apply(a, 1.5)",
    "MissingNone": "F.apply(a, 1.5)",
    "WrongShape": "F.apply(a)",
    "TooMany": "F.apply(a)",
    "Mul2": "F.apply(a, a)",  # one tensor as both inputs: its two gradients must add up
}
PLANTED = ("MissingNone", "WrongShape", "TooMany")

#: Saved-tensor hook pairs as source text: ``<name>_hooks(packed)`` returns ``(pack, unpack)``;
#: ``pack`` appends to the list ``packed``, so a run can report how many tensors were packed.
#: Each pair keeps the values autograd computes: only where and how the tensor is kept varies.
SAVED_HOOKS: dict[str, str] = {
    "keep": """
def keep_hooks(packed):
    def pack(t):
        packed.append(1)
        return t

    def unpack(p):
        return p

    return pack, unpack
""",
    "clone": """
def clone_hooks(packed):
    def pack(t):
        packed.append(1)
        return t.clone()

    def unpack(p):
        return p

    return pack, unpack
""",
    "times_one": """
def times_one_hooks(packed):
    def pack(t):
        packed.append(1)
        return t

    def unpack(p):
        return p * 1 if p.is_floating_point() else p  # a mask or indices keep their dtype

    return pack, unpack
""",
}


def saved_hooks_factory(name: str) -> str:
    """The name of the function ``SAVED_HOOKS[name]`` defines."""
    return f"{name}_hooks"


# -- steps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """``slot_new = OPS[op]`` over ``args``: its operands (``x``, ``y``), then its aux tensors."""

    op: str
    args: tuple[int, ...]
    kind: ClassVar[str] = "op"
    produces: ClassVar[bool] = True


@dataclass(frozen=True)
class Const:
    """``slot_new = torch.tensor(const_values(step), dtype=dtype)``: a tensor an op takes that
    takes no gradient (``vocabulary.AUX``: a mask, indices, a target), drawn from ``seed``. A
    program may write it in place after the op saved it, before a backward call needs it."""

    aux: str
    dtype: str
    shape: tuple[int, ...] = ()
    high: int = 0
    seed: int = 0
    kind: ClassVar[str] = "const"
    produces: ClassVar[bool] = True


def const_values(step: Const) -> np.ndarray:
    """The values of a ``Const`` step."""
    return aux_values(step.aux, step.shape, step.high, step.seed)


@dataclass(frozen=True)
class Detach:
    """``slot_new = a.detach()``."""

    arg: int
    kind: ClassVar[str] = "detach"
    produces: ClassVar[bool] = True


@dataclass(frozen=True)
class Custom:
    """``slot_new = FUNCTIONS[function].apply(a, ...)``."""

    function: str
    arg: int
    kind: ClassVar[str] = "custom"
    produces: ClassVar[bool] = True


@dataclass(frozen=True)
class InPlace:
    """``INPLACE[op]`` applied to an existing slot (the slot keeps the same tensor)."""

    op: str
    arg: int
    kind: ClassVar[str] = "inplace"
    produces: ClassVar[bool] = False


@dataclass(frozen=True)
class RequiresGrad:
    """``a.requires_grad_(flag)``."""

    arg: int
    flag: bool
    kind: ClassVar[str] = "requires_grad"
    produces: ClassVar[bool] = False


@dataclass(frozen=True)
class RetainGrad:
    """``a.retain_grad()``; its ``.grad`` is then observed after every call."""

    arg: int
    kind: ClassVar[str] = "retain_grad"
    produces: ClassVar[bool] = False


@dataclass(frozen=True)
class Hook:
    """``a.register_hook(lambda g: g * scale)``."""

    arg: int
    scale: float
    kind: ClassVar[str] = "hook"
    produces: ClassVar[bool] = False


@dataclass(frozen=True)
class GradMode:
    """The ``body`` steps inside ``torch.no_grad()`` (enabled=False) or ``torch.enable_grad()``."""

    enabled: bool
    body: tuple[Step, ...] = ()
    kind: ClassVar[str] = "grad_mode"
    produces: ClassVar[bool] = False


@dataclass(frozen=True)
class SavedHooks:
    """The ``body`` steps inside ``torch.autograd.graph.saved_tensors_hooks(pack, unpack)``, the
    pair made by ``SAVED_HOOKS[hooks]``; how many tensors it packed is observed afterwards."""

    hooks: str
    body: tuple[Step, ...] = ()
    kind: ClassVar[str] = "saved_hooks"
    produces: ClassVar[bool] = False


Step = (
    Op
    | Const
    | Detach
    | Custom
    | InPlace
    | RequiresGrad
    | RetainGrad
    | Hook
    | GradMode
    | SavedHooks
)
Region = GradMode | SavedHooks
#: The step types that hold a body of steps.
REGIONS = (GradMode, SavedHooks)


# -- the backward schedule ---------------------------------------------------------------------


@dataclass(frozen=True)
class Backward:
    """``root.backward(gradient=weights(weight_seed), retain_graph, create_graph, inputs)``.

    With ``use_grad`` it is ``torch.autograd.grad(root, inputs or every leaf, ...)`` instead
    (``allow_unused=True``). ``weight_seed=None`` passes no gradient.
    """

    root: int
    weight_seed: int | None = None
    retain_graph: bool | None = None
    create_graph: bool = False
    inputs: tuple[int, ...] | None = None
    use_grad: bool = False
    kind: ClassVar[str] = "backward"


@dataclass(frozen=True)
class ResetGrads:
    """Every leaf's ``.grad``: set to None (``mode='none'``) or zeroed in place (``'zero'``)."""

    mode: str = "none"
    kind: ClassVar[str] = "reset"


Call = Backward | ResetGrads


@dataclass(frozen=True)
class Program:
    """Leaves, then steps, then the backward schedule."""

    leaves: tuple[Leaf, ...]
    steps: tuple[Step, ...] = ()
    schedule: tuple[Call, ...] = ()
    version: int = field(default=1)


STEP_TYPES: dict[str, type] = {
    t.kind: t
    for t in (
        Op,
        Const,
        Detach,
        Custom,
        InPlace,
        RequiresGrad,
        RetainGrad,
        Hook,
        GradMode,
        SavedHooks,
    )
}
CALL_TYPES: dict[str, type] = {t.kind: t for t in (Backward, ResetGrads)}


# -- one dispatch per concern -------------------------------------------------------------------

_T = TypeVar("_T")

#: Every function that dispatches on a step type, and every one that dispatches on a call type:
#: ``tests/harness/test_structure.py`` checks each handles every type, so a new step type cannot
#: be forgotten by the interpreter, the renderer, the shrinker, the oracle or the census.
STEP_CONCERNS: list[Any] = []
CALL_CONCERNS: list[Any] = []


def _concern(fn: Callable[..., _T], registry: list[Any], what: str) -> _SingleDispatchCallable[_T]:
    def unhandled(item: Any, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{fn.__module__}.{fn.__qualname__} does not handle {what} {item!r}")

    unhandled.__name__, unhandled.__qualname__ = fn.__name__, fn.__qualname__
    unhandled.__module__, unhandled.__doc__ = fn.__module__, fn.__doc__
    dispatcher = functools.singledispatch(unhandled)
    registry.append(dispatcher)
    return dispatcher


def step_concern(fn: Callable[..., _T]) -> _SingleDispatchCallable[_T]:
    """``fn`` as a ``functools.singledispatch`` over step types, each registered separately.

    The decorated body is never run: a step type with no registration raises ``TypeError``.
    """
    return _concern(fn, STEP_CONCERNS, "step")


def call_concern(fn: Callable[..., _T]) -> _SingleDispatchCallable[_T]:
    """Like ``step_concern``, over the call types of a schedule (``Backward``, ``ResetGrads``)."""
    return _concern(fn, CALL_CONCERNS, "call")


def walk(steps: tuple[Step, ...]) -> list[tuple[Step, bool | None]]:
    """Steps in execution order (regions flattened), each with the grad mode set around it.

    The mode is None outside any grad-mode region, else the innermost one's ``enabled`` (a
    saved-hooks region keeps the mode around it).
    """
    found: list[tuple[Step, bool | None]] = []

    def visit(body: tuple[Step, ...], mode: bool | None) -> None:
        for step in body:
            found.append((step, mode))
            if isinstance(step, GradMode):
                visit(step.body, step.enabled)
            elif isinstance(step, SavedHooks):
                visit(step.body, mode)

    visit(steps, None)
    return found


#: Ops whose result can be the very tensor they were given (``a.double()`` on float64): what
#: happens to the result happens to that tensor.
ALIASING = frozenset({"double"})


def hits_quirk(program: Program) -> bool:
    """Whether the program runs into the views quirk family of docs/semantics.md §5.6 and §5.7.

    Torch answers a view's ``requires_grad`` from its base. So a view made under no_grad, or a
    view made before ``requires_grad_()`` was called on its base, reports requires_grad=True
    although autograd never recorded it; gradients through it are dropped. The page documents
    this as a divergence, so such programs are not generated. The base may be reached through
    an op that returns the very tensor it was given (``ALIASING``; counted so whatever the
    dtype, a few programs too many).
    """
    families = _Families()
    slot = len(program.leaves)
    for step, mode in walk(program.steps):
        if _meets_quirk(step, mode, families, slot):
            return True
        if step.produces:
            slot += 1
    return False


@dataclass
class _Families:
    """The view families met so far, and which slots hold another slot's very tensor."""

    root: dict[int, int] = field(default_factory=dict)  # tensor slot -> its family's first slot
    alias: dict[int, int] = field(default_factory=dict)  # slot -> the slot whose tensor it is

    def tensor(self, slot: int) -> int:
        return self.alias.get(slot, slot)


@step_concern
def _meets_quirk(step: Step, mode: bool | None, families: _Families, slot: int) -> bool:
    """Whether ``step`` (producing ``slot`` under ``mode``) meets the quirk; records views."""
    raise NotImplementedError  # never run: step_concern dispatches on the step's type


@_meets_quirk.register
def _(step: Op, mode: bool | None, families: _Families, slot: int) -> bool:
    tensor = families.tensor(step.args[0])
    if step.op in ALIASING:
        families.alias[slot] = tensor
        return False
    if not OPS[step.op].view:
        return False
    if mode is False:
        return True
    base = families.root.get(tensor, tensor)
    families.root[tensor] = families.root[slot] = base
    return False


@_meets_quirk.register
def _(step: RequiresGrad, mode: bool | None, families: _Families, slot: int) -> bool:
    return step.flag and families.tensor(step.arg) in families.root


@_meets_quirk.register(Const)
@_meets_quirk.register(Detach)
@_meets_quirk.register(Custom)
@_meets_quirk.register(InPlace)
@_meets_quirk.register(RetainGrad)
@_meets_quirk.register(Hook)
@_meets_quirk.register(GradMode)
@_meets_quirk.register(SavedHooks)
def _(step: Step, mode: bool | None, families: _Families, slot: int) -> bool:
    return False


def step_kinds(program: Program) -> list[str]:
    """The kind of every step and call (``op``, ``custom``, ``backward``...), for statistics."""
    kinds = [step.kind for step, _ in walk(program.steps)]
    kinds += [c.kind + ("_grad" if getattr(c, "use_grad", False) else "") for c in program.schedule]
    return kinds


# -- JSON ------------------------------------------------------------------------------------


def _encode(item: Any) -> dict[str, Any]:
    data = {"kind": item.kind}
    for key, value in asdict(item).items():
        data[key] = value
    if isinstance(item, REGIONS):
        data["body"] = [_encode(s) for s in item.body]
    return data


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _decode(data: dict[str, Any], types: dict[str, type]) -> Any:
    fields = dict(data)
    kind = fields.pop("kind")
    if "body" in fields:
        fields["body"] = tuple(_decode(s, STEP_TYPES) for s in fields["body"])
    return types[kind](**{k: _tuple(v) for k, v in fields.items()})


def to_dict(program: Program) -> dict[str, Any]:
    """The program as plain JSON-ready data."""
    return {
        "version": program.version,
        "leaves": [asdict(leaf) for leaf in program.leaves],
        "steps": [_encode(s) for s in program.steps],
        "schedule": [_encode(c) for c in program.schedule],
    }


def from_dict(data: dict[str, Any]) -> Program:
    """The inverse of ``to_dict``."""
    return Program(
        leaves=tuple(Leaf(**{k: _tuple(v) for k, v in leaf.items()}) for leaf in data["leaves"]),
        steps=tuple(_decode(s, STEP_TYPES) for s in data["steps"]),
        schedule=tuple(_decode(c, CALL_TYPES) for c in data["schedule"]),
        version=int(data.get("version", 1)),
    )


def to_json(program: Program) -> str:
    """The program as JSON text: one line per leaf, step and call, so a diff reads well."""
    data = to_dict(program)
    lines = ["{", f' "version": {data["version"]},']
    for key in ("leaves", "steps", "schedule"):
        items = [f"  {json.dumps(item)}" for item in data[key]]
        body = "\n" + ",\n".join(items) + "\n " if items else ""
        comma = "," if key != "schedule" else ""
        lines.append(f' "{key}": [{body}]{comma}')
    lines.append("}")
    return "\n".join(lines)


def from_json(text: str) -> Program:
    """Parse what ``to_json`` wrote."""
    return from_dict(json.loads(text))
