"""Running a program on any torch-like module, returning the observations a case returns.

Every step runs under ``capture``: an error is recorded (``steps.<n>``) and the slot it would have
produced stays empty, so later steps that need it are skipped identically on both backends. After
each scheduled call, every leaf's ``.grad`` (and every retained grad) is snapshotted, because
later calls accumulate into the same objects.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from conformance.capture import Raised, capture
from conformance.expressions import call_expression
from conformance.programs.program import (
    APPLY,
    FUNCTIONS,
    INPLACE,
    OPS,
    SAVED_HOOKS,
    Backward,
    Call,
    Const,
    Custom,
    Detach,
    GradMode,
    Hook,
    InPlace,
    Op,
    Program,
    RequiresGrad,
    ResetGrads,
    RetainGrad,
    SavedHooks,
    Step,
    call_concern,
    const_values,
    leaf_values,
    saved_hooks_factory,
    step_concern,
)
from conformance.programs.vocabulary import aux_values

_CLASSES: dict[tuple[int, str], Any] = {}
_HOOK_FACTORIES: dict[str, Callable[[list[int]], tuple[Any, Any]]] = {}


def weights(seed: int, like: Any, torch: Any) -> Any:
    """The ``gradient=`` weights for ``like``: uniform in [-1, 1], two decimals, its dtype.
    (Reproducers carry this function's source, so it stands alone.)"""
    values = np.round(np.random.default_rng(seed).uniform(-1.0, 1.0, tuple(like.shape)), 2)
    return torch.tensor(values.tolist(), dtype=like.dtype)


@functools.lru_cache(maxsize=4096)
def _weight_values(seed: int, shape: tuple[int, ...]) -> Any:
    """``weights``'s numbers, kept per seed and shape: both backends and the oracle ask for
    them, and seeding a generator costs more than using it."""
    return np.round(np.random.default_rng(seed).uniform(-1.0, 1.0, shape), 2).tolist()


@functools.lru_cache(maxsize=4096)
def _const_list(step: Const) -> Any:
    """A ``Const`` step's values as a list, kept per step like the weights' numbers."""
    return const_values(step).tolist()


#: The functions that make a program's numbers with NumPy from seeds alone (leaf values,
#: constants, gradient weights): the harness's data, not code under test. ``torch-compile``
#: keeps them out of Dynamo's sight: traced, they went through ``torch._numpy``, which has no
#: ``ndarray.setflags``, so a program that ran compiled before any eager run had filled the
#: caches ended in a ``TorchRuntimeError`` of the harness's own making.
NUMPY_HELPERS: tuple[Callable[..., Any], ...] = (
    leaf_values,
    const_values,
    aux_values,
    _weight_values,
    _const_list,
)


def cached_weights(seed: int, like: Any, torch: Any) -> Any:
    """``weights(seed, like, torch)`` from kept numbers (the reproducer test pins the two)."""
    return torch.tensor(_weight_values(seed, tuple(like.shape)), dtype=like.dtype)


def snapshot(tensor: Any) -> Any:
    """A grad as it is now: a detached copy and its grad_fn name (None when there is none)."""
    if tensor is None:
        return None
    grad_fn = tensor.grad_fn
    return {
        "value": tensor.detach().clone(),
        "grad_fn": None if grad_fn is None else type(grad_fn).__name__,
    }


def evaluate(expr: str, namespace: Mapping[str, Any]) -> Any:
    """Evaluate one table expression as a function call (traceable by a compiler)."""
    return call_expression(expr, namespace)


def function_class(torch: Any, name: str) -> Any:
    """The custom Function ``name`` defined against ``torch`` (once per module)."""
    key = (id(torch), name)
    if key not in _CLASSES:
        namespace: dict[str, Any] = {"torch": torch}
        exec(FUNCTIONS[name], namespace)  # noqa: S102 - source from the fixed table
        _CLASSES[key] = namespace[name]
    return _CLASSES[key]


def hooks_factory(name: str) -> Callable[[list[int]], tuple[Any, Any]]:
    """The ``<name>_hooks(packed)`` function of ``SAVED_HOOKS[name]`` (module-independent)."""
    if name not in _HOOK_FACTORIES:
        namespace: dict[str, Any] = {}
        exec(SAVED_HOOKS[name], namespace)  # noqa: S102 - source from the fixed table
        _HOOK_FACTORIES[name] = namespace[saved_hooks_factory(name)]
    return _HOOK_FACTORIES[name]


class _Run:
    def __init__(self, program: Program, torch: Any) -> None:
        self.program = program
        self.torch = torch
        self.slots: list[Any] = []
        self.errors: dict[str, Raised] = {}
        self.retained: list[int] = []
        #: step key of each saved-hooks region -> how many tensors its pack hook was given
        self.packed: dict[str, int] = {}
        self.counter = 0

    def step(self, key: str, fn: Callable[[], Any], *needs: int) -> Any:
        if any(self.slots[n] is None for n in needs):
            self.errors[key] = Raised("Skipped", "an input of this step was not made")
            return None
        value = capture(fn)
        if isinstance(value, Raised):
            self.errors[key] = value
            return None
        return value

    def run_steps(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            key = str(self.counter)
            self.counter += 1
            value = execute(step, self, key)
            if step.produces:
                self.slots.append(value)

    def call(self, call: Call) -> dict[str, Any]:
        return {"result": perform(call, self)}

    def observations(self) -> dict[str, Any]:
        torch = self.torch
        for leaf in self.program.leaves:
            values = leaf_values(leaf)
            dtype = getattr(torch, leaf.dtype)
            self.slots.append(
                torch.tensor(values.tolist(), dtype=dtype, requires_grad=leaf.requires_grad)
            )
        self.run_steps(self.program.steps)
        calls: dict[int, Any] = {}
        for index, call in enumerate(self.program.schedule):
            record = self.call(call)
            record["grads"] = {
                i: snapshot(self.slots[i].grad) for i in range(len(self.program.leaves))
            }
            if self.retained:
                record["retained"] = {i: snapshot(self.slots[i].grad) for i in self.retained}
            calls[index] = record
        observed = {
            "slots": dict(enumerate(self.slots)),
            "errors": dict(self.errors),
            "calls": calls,
        }
        if self.packed:
            observed["packed"] = dict(self.packed)
        return observed


# -- steps: what each one does (``key`` names it in ``errors``) ---------------------------------


@step_concern
def execute(step: Step, run: _Run, key: str) -> Any:
    """Run one step in ``run``: the tensor it produces, or None (an error is recorded)."""
    raise NotImplementedError  # never run: step_concern dispatches on the step's type


@execute.register
def _(step: Op, run: _Run, key: str) -> Any:
    spec = OPS[step.op]
    namespace = {"torch": run.torch}
    namespace.update(
        (name, run.slots[arg]) for name, arg in zip(spec.names, step.args, strict=True)
    )
    return _expression_step(run, key, spec.program_expr, MappingProxyType(namespace), *step.args)


def _expression_step(
    run: _Run, key: str, expr: str, namespace: MappingProxyType[str, Any], *needs: int
) -> Any:
    """A step that evaluates one table expression over ``namespace``, a read-only view, not a
    dict: Dynamo traces a frame only when its arguments hold tensors in lists, tuples or dicts,
    so under torch-compile it compiles the expression's own function (one code object per table
    expression) and not this frame, evaluate's or call_expression's, which all expressions
    share (sharing made every step after a program's first a recompile of the shared frame,
    through two more frames: 29 ms against the 18 ms of the expression alone)."""
    return run.step(key, functools.partial(evaluate, expr, namespace), *needs)


@execute.register
def _(step: Const, run: _Run, key: str) -> Any:
    values, dtype = _const_list(step), getattr(run.torch, step.dtype)
    return run.step(key, lambda: run.torch.tensor(values, dtype=dtype))


@execute.register
def _(step: Detach, run: _Run, key: str) -> Any:
    return run.step(key, lambda: run.slots[step.arg].detach(), step.arg)


@execute.register
def _(step: Custom, run: _Run, key: str) -> Any:
    cls = function_class(run.torch, step.function)
    namespace = MappingProxyType({"F": cls, "a": run.slots[step.arg]})
    return _expression_step(run, key, APPLY[step.function], namespace, step.arg)


@execute.register
def _(step: InPlace, run: _Run, key: str) -> Any:
    namespace = MappingProxyType({"a": run.slots[step.arg]})
    return _expression_step(run, key, INPLACE[step.op], namespace, step.arg)


@execute.register
def _(step: RequiresGrad, run: _Run, key: str) -> Any:
    return run.step(key, lambda: run.slots[step.arg].requires_grad_(step.flag), step.arg)


@execute.register
def _(step: RetainGrad, run: _Run, key: str) -> Any:
    done = run.step(key, lambda: run.slots[step.arg].retain_grad(), step.arg)
    if key not in run.errors and step.arg not in run.retained:
        run.retained.append(step.arg)
    return done


@execute.register
def _(step: Hook, run: _Run, key: str) -> Any:
    scale = step.scale
    return run.step(key, lambda: run.slots[step.arg].register_hook(lambda g: g * scale), step.arg)


@execute.register
def _(step: GradMode, run: _Run, key: str) -> Any:
    with run.torch.enable_grad() if step.enabled else run.torch.no_grad():
        run.run_steps(step.body)
    return None


@execute.register
def _(step: SavedHooks, run: _Run, key: str) -> Any:
    packed: list[int] = []
    pack, unpack = hooks_factory(step.hooks)(packed)
    with run.torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        run.run_steps(step.body)
    run.packed[key] = len(packed)
    return None


# -- calls: what each one does to the leaves' grads ---------------------------------------------


@call_concern
def perform(call: Call, run: _Run) -> Any:
    """Make one scheduled call in ``run``: its result (None, a tuple of grads, or ``Raised``).

    The bookkeeping of a call (its targets, the ``gradient=`` weights: NumPy's numbers made a
    tensor) is done first, in frames that hold no tensors: under ``torch-compile`` Dynamo traces
    only frames whose arguments hold tensors, so it does not trace the harness's NumPy and
    Python around the call (nor the frame of the autograd call, which it could only break on).
    ``_reset_grads`` (``.grad`` set to None or zeroed) it does trace."""
    raise NotImplementedError  # never run: call_concern dispatches on the call's type


@perform.register
def _(call: ResetGrads, run: _Run) -> Any:
    _reset_grads(run.slots[: len(run.program.leaves)], call.mode == "none")
    return None


def _reset_grads(leaves: list[Any], to_none: bool) -> None:
    for leaf in leaves:
        if to_none:
            leaf.grad = None
        elif leaf.grad is not None:
            leaf.grad.zero_()


@perform.register
def _(call: Backward, run: _Run) -> Any:
    root = run.slots[call.root]
    if root is None:
        return Raised("Skipped", "the root of this call was not made")
    gradient = None
    if call.weight_seed is not None:
        values = _weight_values(call.weight_seed, tuple(root.shape))
        gradient = capture(functools.partial(run.torch.tensor, values, dtype=root.dtype))
        if isinstance(gradient, Raised):
            return gradient
    chosen = range(len(run.program.leaves)) if call.inputs is None else call.inputs
    targets = [run.slots[i] for i in chosen]
    # The call's tensors go as a read-only view, not in the arguments: Dynamo traces a frame only
    # when its arguments hold tensors (themselves, or in lists, tuples and dicts), and in
    # _backward it could do nothing but break at autograd's entry point (backward() and
    # autograd.grad are graph breaks), so under torch-compile the call runs eagerly either way,
    # now without a trace of the frame around it (about 22 ms a call).
    tensors = MappingProxyType({"root": root, "targets": targets, "gradient": gradient})
    return capture(functools.partial(_backward, run.torch, call, tensors))


def _backward(torch: Any, call: Backward, tensors: Mapping[str, Any]) -> Any:
    """``call`` on ``tensors["root"]`` with ``gradient=`` weights (``cached_weights``'s, or
    None)."""
    root, targets, gradient = tensors["root"], tensors["targets"], tensors["gradient"]
    if call.use_grad:
        return torch.autograd.grad(
            root,
            targets,
            grad_outputs=gradient,
            retain_graph=call.retain_graph,
            create_graph=call.create_graph,
            allow_unused=True,
        )
    kwargs: dict[str, Any] = {"gradient": gradient, "create_graph": call.create_graph}
    if call.retain_graph is not None:
        kwargs["retain_graph"] = call.retain_graph
    if call.inputs is not None:
        kwargs["inputs"] = targets
    root.backward(**kwargs)
    return None


def interpret(program: Program, torch: Any) -> dict[str, Any]:
    """Run ``program`` on the torch-like module ``torch``; never raises for the program's sake.

    Returns ``{"slots": {n: tensor or None}, "errors": {step: Raised}, "calls": {i: {"result":
    None | Raised | tuple of grads, "grads": {leaf: {"value", "grad_fn"} or None},
    "retained": {...}}}}``, and ``"packed": {step: count}`` when there are saved-hooks regions.
    Grad mode is restored afterwards.
    """
    with torch.enable_grad():
        return _Run(program, torch).observations()


def case_function(program: Program) -> Callable[[Any, Any], dict[str, Any]]:
    """``interpret`` as a generated case's function, ``(torch, make)`` (``make`` is unused: a
    program makes its own inputs). A closure, not a ``functools.partial``: ``torch.compile``
    wraps a partial in a function of its own and inlines what it calls, so the case's frame
    could not be left untraced (``UNTRACED_FRAMES``)."""

    def interpret_case(torch: Any, make: Any) -> dict[str, Any]:
        return interpret(program, torch)

    return interpret_case


#: The harness's frames that ``torch-compile`` runs outside Dynamo's tracing (its callback
#: still decides on every frame they call): the NumPy helpers; a generated case's own
#: function (every closure ``case_function`` makes shares one code object), which holds no
#: tensor and only calls the interpreter - traced, it had Dynamo inline the interpreter down to
#: the first NumPy helper and break there, with no graph to show for it: 18 ms of a 215 ms
#: program, and a graph break of the harness's in every program's count; and ``snapshot``, the
#: harness reading a grad after a call (a detached copy and a name), which the program under
#: test does not contain: traced, it compiled a graph of its own, 17 ms each time.
UNTRACED_FRAMES: tuple[Callable[..., Any], ...] = (
    *NUMPY_HELPERS,
    case_function(None),  # type: ignore[arg-type]
    snapshot,
)
