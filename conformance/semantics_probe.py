"""Re-probe an installed torch against the statements of docs/semantics.md.

docs/semantics.md is the project's own account of the torch autograd behaviour that
reference_impl reproduces and the catalogue checks. It was written against torch 2.13.0; this
module keeps it honest on the next release. Each numbered statement of the page (``**4.3**``)
has one probe here under the same id: a small torch snippet that raises ``AssertionError`` when
torch no longer behaves as the statement says. ``python -m conformance.semantics_probe`` runs
them all, prints per section which statements still hold and exits 1 if any does not.

``--module reference_impl`` points the same probes at the reference engine: every statement
holds there except the documented divergences (``DIVERGENCES``), which is how the page's claim
"reference_impl reproduces this" is itself checked (``tests/harness/test_docs.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

#: Section number -> title, exactly as the ``## N. Title`` headings of docs/semantics.md.
SECTIONS: dict[int, str] = {
    1: "Accumulation of .grad",
    2: "Gradient weights",
    3: "retain_graph and freed graphs",
    4: "Leaves, requires_grad, no_grad and detach",
    5: "Views",
    6: "Custom Functions",
    7: "Hooks and the order things run in",
    8: "In-place ops and version counters",
    9: "Higher order and autograd.grad",
    10: "dtypes and shapes",
    11: "Error texts",
    12: "Graph-node names",
    13: "Derivatives at ties, kinks and domain edges",
}

#: Statements that describe a torch behaviour reference_impl deliberately does not copy.
DIVERGENCES: frozenset[str] = frozenset({"5.6", "5.7"})

FREED_GRAPH = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)


@dataclass(frozen=True)
class Statement:
    """One numbered statement of docs/semantics.md and the snippet that probes it."""

    id: str
    claim: str
    check: Callable[[Any], None]

    @property
    def section(self) -> int:
        return int(self.id.split(".")[0])


@dataclass(frozen=True)
class Verdict:
    """Whether a statement still holds on the probed module, and why not when it does not."""

    statement: Statement
    holds: bool
    detail: str = ""


STATEMENTS: list[Statement] = []


def statement(id: str, claim: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register the decorated function as the probe of statement ``id``."""

    def register(check: Callable[[Any], None]) -> Callable[[Any], None]:
        assert all(s.id != id for s in STATEMENTS), f"statement {id} probed twice"
        STATEMENTS.append(Statement(id, claim, check))
        return check

    return register


# -- small tools the probes share ---------------------------------------------------------------


def _leaf(torch: Any, *values: float, dtype: Any = None) -> Any:
    return torch.tensor(list(values), dtype=dtype, requires_grad=True)


def _values(tensor: Any) -> list[Any]:
    return tensor.detach().tolist()


def _name(tensor: Any) -> str | None:
    return None if tensor.grad_fn is None else type(tensor.grad_fn).__name__


def _next_names(node: Any) -> tuple[tuple[str | None, int], ...]:
    return tuple((None if n is None else type(n).__name__, i) for n, i in node.next_functions)


def _raises(kind: type[BaseException], message: str, action: Callable[[], Any]) -> None:
    """``action()`` raises exactly ``kind`` whose text starts with ``message``."""
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - the probe reports any other exception
        assert type(exc) is kind, f"raised {type(exc).__name__}: {exc}"
        assert str(exc).startswith(message), f"message was {str(exc)!r}"
        return
    raise AssertionError(f"no {kind.__name__} raised")


@contextlib.contextmanager
def _warns(category: type[Warning], start: str) -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    texts = [str(w.message) for w in caught if issubclass(w.category, category)]
    assert any(t.startswith(start) for t in texts), f"{category.__name__} texts: {texts}"


@contextlib.contextmanager
def _no_warning() -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert not caught, [str(w.message) for w in caught]


# -- 1. Accumulation of .grad -------------------------------------------------------------------


@statement("1.1", "the first .grad is a new tensor, never the gradient argument")
def _first_grad_is_new(torch: Any) -> None:
    assert _leaf(torch, 1.0).grad is None
    x = _leaf(torch, 1.0, 2.0)
    weights = torch.tensor([1.0, 1.0])
    (x + 0).backward(weights)
    assert x.grad is not weights and x.grad.tolist() == [1.0, 1.0]
    weights.add_(1)
    assert x.grad.tolist() == [1.0, 1.0]
    assert x.grad.requires_grad is False and x.grad.grad_fn is None


@statement("1.2", "later backwards add into the same .grad object, in place")
def _accumulates_in_place(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    (x * 2).sum().backward()
    first = x.grad
    version = first._version
    (x * 3).sum().backward()
    assert x.grad is first and first.tolist() == [5.0, 5.0]
    assert first._version > version


@statement("1.3", "gradients reaching a leaf by several paths are summed")
def _paths_are_summed(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    (x * 2 + x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 6.0]


@statement("1.4", "under create_graph an existing .grad is replaced by a new AddBackward0 sum")
def _create_graph_accumulates_out_of_place(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    (x * 2).sum().backward()
    first = x.grad
    (x * x).sum().backward(create_graph=True)
    assert x.grad is not first and first.tolist() == [2.0, 2.0]
    assert _name(x.grad) == "AddBackward0" and x.grad.tolist() == [4.0, 6.0]


@statement("1.5", "a user-assigned .grad is used and updated in place; a wrong shape is refused")
def _assigned_grad(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    mine = torch.tensor([10.0, 10.0])
    x.grad = mine
    (x * 2).sum().backward()
    assert x.grad is mine and mine.tolist() == [12.0, 12.0]
    _raises(
        RuntimeError,
        "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure "
        "that the gradient and the tensor are the same size",
        lambda: setattr(x, "grad", torch.zeros(3)),
    )
    _raises(
        TypeError,
        "assigned grad expected to be a Tensor or None but got grad of type list",
        lambda: setattr(x, "grad", [1.0, 2.0]),
    )


@statement("1.6", "retain_grad() grads of non-leaves accumulate, as a new object each time")
def _retain_grad_accumulates(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    y = x * 2
    y.retain_grad()
    out = (y * y).sum()
    out.backward(retain_graph=True)
    first = y.grad
    assert first.tolist() == [4.0, 8.0]
    out.backward()
    assert y.grad is not first and y.grad.tolist() == [8.0, 16.0]


@statement("1.7", "backward(inputs=) fills only the listed tensors; autograd.grad fills no leaf")
def _inputs_restrict(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    w = _leaf(torch, 3.0, 4.0)
    y = x * w
    (y * 2).sum().backward(inputs=[y])
    assert y.grad.tolist() == [2.0, 2.0] and x.grad is None and w.grad is None
    (grad,) = torch.autograd.grad((x * w).sum(), x)
    assert grad.tolist() == [3.0, 4.0] and x.grad is None and w.grad is None


@statement("1.8", "autograd.grad still fills the .grad of non-leaves that retain_grad()")
def _autograd_grad_fills_retained(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    y = x * 2
    y.retain_grad()
    torch.autograd.grad((y * y).sum(), x)
    assert y.grad is not None and y.grad.tolist() == [4.0, 8.0]
    assert x.grad is None


@statement("1.9", "backward inside no_grad still computes and accumulates grads")
def _backward_under_no_grad(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    out = (x * x).sum()
    with torch.no_grad():
        out.backward()
    assert x.grad.tolist() == [2.0, 4.0]


# -- 2. Gradient weights ------------------------------------------------------------------------


@statement("2.1", "gradient= weights the vector-Jacobian product")
def _gradient_weights(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0, 3.0)
    (x**2).backward(torch.tensor([1.0, 0.0, -1.0]))
    assert x.grad.tolist() == [2.0, 0.0, -6.0]


@statement("2.2", "a weight of any real dtype is cast to the output's dtype")
def _gradient_is_cast(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    (x * 2).backward(torch.tensor([1.0, 1.0], dtype=torch.float64))
    assert x.grad.dtype == torch.float32 and x.grad.tolist() == [2.0, 2.0]
    y = _leaf(torch, 1.0, 2.0)
    (y * 2).backward(torch.tensor([1, 1]))
    assert y.grad.dtype == torch.float32 and y.grad.tolist() == [2.0, 2.0]


@statement("2.3", "the weight's shape must match exactly: no broadcasting")
def _gradient_shape(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    _raises(
        RuntimeError,
        "Mismatch in shape: grad_output[0] has a shape of torch.Size([1]) and output[0] has a "
        "shape of torch.Size([2]).",
        lambda: (x * 2).backward(torch.tensor([1.0])),
    )


@statement("2.4", "several roots: contributions are summed, None means 1 for a scalar")
def _several_roots(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    torch.autograd.backward([(x * 2).sum(), x * 3], [None, torch.ones(2)])
    assert x.grad.tolist() == [5.0, 5.0]
    (g,) = torch.autograd.grad([x * 2, x * x], x, grad_outputs=[torch.ones(2), torch.ones(2)])
    assert g.tolist() == [4.0, 6.0]


@statement("2.5", "backward does not modify the weight it is given")
def _gradient_untouched(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    weights = torch.tensor([1.0, -1.0])
    (x * 3).backward(weights)
    assert weights.tolist() == [1.0, -1.0]


# -- 3. retain_graph and freed graphs -----------------------------------------------------------


@statement("3.1", "a second backward through saved tensors raises the freed-graph error")
def _second_backward(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    out = (x * x).sum()
    out.backward()
    _raises(RuntimeError, FREED_GRAPH, out.backward)
    out2 = (x * x).sum()
    torch.autograd.grad(out2, x)
    _raises(RuntimeError, FREED_GRAPH, out2.backward)


@statement("3.2", "retain_graph=True keeps saved tensors: the next backward works and adds up")
def _retain_graph(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    out = (x * x).sum()
    out.backward(retain_graph=True)
    out.backward()
    assert x.grad.tolist() == [4.0, 8.0]


@statement("3.3", "only saved tensors are freed: a graph that saved nothing runs again and again")
def _nothing_saved(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    out = (x + 1).sum()
    for _ in range(3):
        out.backward()
    assert x.grad.tolist() == [3.0, 3.0]
    y = x * x
    y.sum().backward()
    assert _name(y) == "MulBackward0" and _next_names(y.grad_fn) == (
        ("AccumulateGrad", 0),
        ("AccumulateGrad", 0),
    )
    z = _square(torch).apply(x)
    z.sum().backward()
    _raises(RuntimeError, FREED_GRAPH, lambda: z.grad_fn.saved_tensors)


@statement("3.4", "the error is lazy: only a run through a freed node raises")
def _lazy_error(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    shared = x * x
    shared.sum().backward()
    _raises(RuntimeError, FREED_GRAPH, lambda: (shared * 2).sum().backward())
    (x * 2).sum().backward()
    assert x.grad.tolist() == [4.0, 6.0]


@statement("3.5", "retain_graph defaults to create_graph")
def _retain_follows_create(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    out = (x * x).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out.backward(create_graph=True)
    out.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    y = _leaf(torch, 1.0, 2.0)
    out = (y * y).sum()
    torch.autograd.grad(out, y, create_graph=True)
    torch.autograd.grad(out, y)


# -- 4. Leaves, requires_grad, no_grad and detach -----------------------------------------------


@statement("4.1", "leaves: user tensors, no-grad results, detach(); ops on grad tensors are not")
def _what_is_a_leaf(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    plain = torch.tensor([1.0, 2.0])
    with torch.no_grad():
        under_no_grad = x * 2
    for tensor in (x, plain * 2, under_no_grad, x.detach()):
        assert tensor.is_leaf and tensor.grad_fn is None
    for tensor in (x * 2, x.clone(), x[:1], x.double()):
        assert not tensor.is_leaf and tensor.requires_grad


@statement("4.2", "no_grad records nothing; factories with requires_grad=True still make leaves")
def _no_grad(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    with torch.no_grad():
        y = x * 2
        fresh = torch.ones(2, requires_grad=True)
        with torch.enable_grad():
            inner = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert fresh.is_leaf and fresh.requires_grad
    assert _name(inner) == "MulBackward0"
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with torch.inference_mode():
        assert not (x * 2).requires_grad


@statement("4.3", "detach() shares storage and version counter and is a leaf without grad")
def _detach(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    d = x.detach()
    assert d.is_leaf and not d.requires_grad
    d.add_(1)
    assert x.tolist() == [2.0, 3.0] and x._version == 1


@statement("4.4", "detach_() turns a non-leaf into a leaf; graphs built from it still work")
def _detach_in_place(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    a = x * 2
    b = a * 3
    assert a.detach_() is a and a.is_leaf and not a.requires_grad
    b.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


@statement("4.5", "x.detach().requires_grad_() is a new leaf with its own .grad")
def _detached_leaf(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    d = x.detach().requires_grad_()
    (d * 3).sum().backward()
    assert d.grad.tolist() == [3.0, 3.0] and x.grad is None


@statement("4.6", "requires_grad_(True) on a non-leaf is a no-op returning it")
def _non_leaf_requires_grad(torch: Any) -> None:
    y = _leaf(torch, 1.0) * 2
    assert y.requires_grad_(True) is y and not y.is_leaf


@statement("4.7", "an inference tensor cannot be saved for backward nor written outside")
def _inference_tensors(torch: Any) -> None:
    with torch.inference_mode():
        inference = torch.ones(2)
    x = _leaf(torch, 1.0, 2.0)
    _raises(
        RuntimeError,
        "Inference tensors cannot be saved for backward.",
        lambda: (x * inference).sum().backward(),
    )
    _raises(
        RuntimeError,
        "Inplace update to inference tensor outside InferenceMode is not allowed.",
        lambda: inference.add_(1),
    )
    _raises(
        RuntimeError,
        "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.",
        inference.requires_grad_,
    )


# -- 5. Views -----------------------------------------------------------------------------------


@statement("5.1", "a view shares storage and version counter with its base and records a node")
def _view_shares(torch: Any) -> None:
    base = _leaf(torch, 1.0, 2.0, 3.0) * 1
    view = base[1:]
    assert _name(view) == "SliceBackward0" and view._base is base
    with torch.no_grad():
        base.add_(1)
    assert view.tolist() == [3.0, 4.0] and view._version == base._version == 1


@statement("5.2", "an in-place write through a view rebases its base onto CopySlices")
def _write_through_view(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0, 3.0)
    base = x * 1
    base[1:].mul_(2)
    assert _name(base) == "CopySlices" and base._version == 1
    base.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 2.0]


@statement("5.3", "a view with history is regenerated after its base is written in place")
def _view_regenerated(torch: Any) -> None:
    base = _leaf(torch, 1.0, 2.0, 3.0) * 1
    view = base[:2]
    assert _name(view) == "SliceBackward0"
    base.mul_(2)
    assert _name(view) == "AsStridedBackward0"


@statement("5.4", "writing in place into a view of a leaf that requires grad is refused")
def _view_of_leaf(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)

    def write() -> None:
        x[0] = 5.0

    _raises(
        RuntimeError,
        "a view of a leaf Variable that requires grad is being used in an in-place operation.",
        write,
    )


@statement("5.5", "detach_() of a view is refused")
def _detach_view(torch: Any) -> None:
    view = (_leaf(torch, 1.0, 2.0) * 1)[:1]
    _raises(RuntimeError, "Can't detach views in-place. Use detach() instead.", view.detach_)


@statement("5.6", "divergence: a view taken under no_grad of a grad leaf reports requires_grad")
def _no_grad_view(torch: Any) -> None:
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        view = x[:2]
    assert view.requires_grad is True and view.is_leaf is True and view.grad_fn is None
    (view * 2).sum().backward()
    assert x.grad is None and view.grad is None


@statement("5.7", "divergence: a view taken before base.requires_grad_() reports requires_grad")
def _view_before_requires_grad(torch: Any) -> None:
    base = torch.ones(3)
    view = base[:2]
    base.requires_grad_(True)
    assert view.requires_grad is True and view.grad_fn is None
    (view * 2).sum().backward()
    assert base.grad is None


# -- 6. Custom Functions ------------------------------------------------------------------------


def _square(torch: Any) -> Any:
    class Sq(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    return Sq


@statement("6.1", "apply records a node named <Class>Backward whose backward gives the grad")
def _custom_backward(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    y = _square(torch).apply(x)
    assert _name(y) == "SqBackward"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


@statement("6.2", "forward runs with grad off; backward has grad on only under create_graph")
def _grad_modes(torch: Any) -> None:
    seen: list[tuple[str, bool]] = []

    class Spy(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            seen.append(("forward", torch.is_grad_enabled()))
            return x * 2

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            seen.append(("backward", torch.is_grad_enabled()))
            return grad * 2

    x = _leaf(torch, 1.0)
    Spy.apply(x).sum().backward()
    torch.autograd.grad(Spy.apply(x).sum(), x, create_graph=True)
    assert seen == [("forward", False), ("backward", False), ("forward", False), ("backward", True)]


@statement("6.3", "needs_input_grad has one bool per forward argument, non-tensors False")
def _needs_input_grad(torch: Any) -> None:
    seen: list[tuple[bool, ...]] = []

    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, w: Any, k: float) -> Any:
            seen.append(ctx.needs_input_grad)
            return x * w * k

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            seen.append(ctx.needs_input_grad)
            return grad, None, None

    Scale.apply(_leaf(torch, 1.0), torch.tensor([2.0]), 3.0).sum().backward()
    assert seen == [(True, False, False), (True, False, False)]


@statement("6.4", "backward's grads are checked: count, type, shape; trailing Nones are fine")
def _backward_results_checked(torch: Any) -> None:
    def function(name: str, result: Callable[[Any], Any]) -> Any:
        def backward(ctx: Any, grad: Any) -> Any:
            return result(grad)

        return type(
            name,
            (torch.autograd.Function,),
            {"forward": staticmethod(lambda ctx, x: x * 1), "backward": staticmethod(backward)},
        )

    x = _leaf(torch, 1.0, 2.0)
    too_many = function("TooMany", lambda g: (g, g))
    _raises(
        RuntimeError,
        "function TooManyBackward returned an incorrect number of gradients (expected 1, got 2)",
        lambda: too_many.apply(x).sum().backward(),
    )
    wrong_shape = function("WrongShape", lambda g: torch.ones(3))
    _raises(
        RuntimeError,
        "Function WrongShapeBackward returned an invalid gradient at index 0 - got [3] but "
        "expected shape compatible with [2]",
        lambda: wrong_shape.apply(x).sum().backward(),
    )
    not_a_tensor = function("NotATensor", lambda g: 1)
    _raises(
        RuntimeError,
        "expected Variable or None (got int)",
        lambda: not_a_tensor.apply(x).sum().backward(),
    )
    function("Padded", lambda g: (g, None, None)).apply(x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


@statement("6.5", "mark_dirty returns the input object, now with the Function's node")
def _mark_dirty(torch: Any) -> None:
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            return grad * 2

    x = _leaf(torch, 1.0, 2.0)
    a = x * 1
    out = Double.apply(a)
    assert out is a and _name(a) == "DoubleBackward"
    _raises(
        RuntimeError,
        "a leaf Variable that requires grad has been used in an in-place operation.",
        lambda: Double.apply(x),
    )


@statement("6.6", "mark_non_differentiable outputs are leaves without grad; unused grads are 0")
def _non_differentiable(torch: Any) -> None:
    seen: list[Any] = []

    class Split(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            flag = x > 0
            ctx.mark_non_differentiable(flag)
            return x * 2, flag, x * 3

        @staticmethod
        def backward(ctx: Any, g: Any, g_flag: Any, g_unused: Any) -> Any:
            seen.extend([g_flag, g_unused])
            return g * 2

    x = _leaf(torch, 1.0, 2.0)
    out, flag, _ = Split.apply(x)
    assert flag.is_leaf and not flag.requires_grad
    out.sum().backward()
    assert [_values(t) for t in seen] == [[False, False], [0.0, 0.0]]


@statement("6.7", "once_differentiable refuses a second differentiation through it")
def _once_differentiable(torch: Any) -> None:
    from_module = importlib.import_module(f"{torch.__name__}.autograd.function")

    class Once(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @from_module.once_differentiable
        def backward(ctx: Any, grad: Any) -> Any:
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = _leaf(torch, 1.0, 2.0)
    (g,) = torch.autograd.grad((Once.apply(x) ** 2).sum(), x, create_graph=True)
    _raises(
        RuntimeError,
        "trying to differentiate twice a function that was marked with @once_differentiable",
        lambda: g.sum().backward(),
    )


@statement("6.8", "apply under no_grad, or with no grad-requiring input, records no node")
def _apply_without_grad(torch: Any) -> None:
    square = _square(torch)
    with torch.no_grad():
        out = square.apply(_leaf(torch, 1.0))
    assert out.grad_fn is None and not out.requires_grad
    out = square.apply(torch.tensor([1.0]))
    assert out.grad_fn is None and not out.requires_grad


# -- 7. Hooks and the order things run in -------------------------------------------------------


@statement("7.1", "tensor hooks, then node pre-hooks, node hooks, leaf hooks, post-accumulate")
def _hook_order(torch: Any) -> None:
    events: list[str] = []
    x = _leaf(torch, 1.0, 2.0)
    y = x * 3
    y.register_hook(lambda g: events.append("tensor y"))
    y.grad_fn.register_prehook(lambda g: events.append("node pre"))
    y.grad_fn.register_hook(lambda gi, go: events.append("node post"))
    x.register_hook(lambda g: events.append("leaf 1"))
    x.register_hook(lambda g: events.append("leaf 2"))
    x.register_post_accumulate_grad_hook(lambda t: events.append("post-accumulate"))
    y.sum().backward()
    assert events == ["tensor y", "node pre", "node post", "leaf 1", "leaf 2", "post-accumulate"]


@statement("7.2", "a hook's return value replaces the grad; None keeps it; wrong size is refused")
def _hook_results(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    x.register_hook(lambda g: None)
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    z = _leaf(torch, 1.0, 2.0)
    z.register_hook(lambda g: torch.ones(3))
    _raises(
        RuntimeError,
        "hook '<lambda>' has changed the size of value",
        lambda: (z * 2).sum().backward(),
    )


@statement("7.3", "a tensor hook fires once, with the summed grad, when its tensor is used twice")
def _hook_fires_once(torch: Any) -> None:
    seen: list[list[float]] = []
    x = _leaf(torch, 1.0, 2.0)
    y = x * 1
    y.register_hook(lambda g: seen.append(g.tolist()))
    (y * 2 + y * 3).sum().backward()
    assert seen == [[5.0, 5.0]]


@statement("7.4", "retain_grad captures the grad after every tensor hook")
def _retain_grad_after_hooks(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    y = x * 1
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    y.sum().backward()
    assert y.grad.tolist() == [2.0, 2.0]


@statement("7.5", "ready nodes run newest first (highest sequence number)")
def _newest_first(torch: Any) -> None:
    events: list[str] = []
    x = _leaf(torch, 1.0)
    first = x * 2
    second = x * 3
    first.register_hook(lambda g: events.append("first"))
    second.register_hook(lambda g: events.append("second"))
    (first + second).sum().backward()
    assert events == ["second", "first"]


@statement("7.6", "a removed hook no longer runs")
def _hook_handle(torch: Any) -> None:
    x = _leaf(torch, 1.0)
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


@statement(
    "7.7",
    "autograd.grad returns a hooked input's grad after its hooks, unless the input's node also "
    "runs for another input: then before them",
)
def _capture_and_hooks(torch: Any) -> None:
    def grads(names: tuple[str, ...]) -> list[float]:
        x = _leaf(torch, 1.0)
        y = x * 3
        y.register_hook(lambda g: g * 2)
        chosen = {"x": x, "y": y}
        return [g.item() for g in torch.autograd.grad(y * 1, [chosen[n] for n in names])]

    assert grads(("y",)) == [2.0]  # y's node only feeds the capture: the hooked grad
    assert grads(("y", "x")) == [1.0, 6.0]  # y's node runs for x: what arrived, unhooked


# -- 8. In-place ops and version counters -------------------------------------------------------


@statement("8.1", "every in-place write adds 1 to the version; requires_grad_ adds nothing")
def _version_bumps(torch: Any) -> None:
    t = torch.zeros(2)
    t.add_(1)
    t[0] = 3.0
    t.copy_(torch.ones(2))
    t += 1
    torch.add(t, 1, out=t)
    assert t._version == 5
    t.mul_(2).add_(1)
    assert t._version == 7
    t.requires_grad_()
    assert t._version == 7


@statement("8.2", "a saved tensor changed in place fails backward with the version error")
def _saved_tensor_modified(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    y = x.sigmoid()
    y.add_(1)
    _raises(
        RuntimeError,
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [torch.FloatTensor [2]], which is output 0 of Sigmoid, is at version 1; "
        "expected version 0 instead.",
        lambda: y.sum().backward(),
    )


@statement("8.3", "only what a formula needs is saved: x*w with only x requiring grad saves w")
def _saves_only_what_is_needed(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    w = torch.tensor([3.0, 4.0])
    out = x * w
    x_data = x.detach()
    with torch.no_grad():
        x_data.add_(0)
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]
    y = _leaf(torch, 1.0, 2.0)
    v = torch.tensor([3.0, 4.0])
    out = y * v
    v.add_(1)
    _raises(
        RuntimeError,
        "one of the variables needed for gradient computation",
        lambda: out.sum().backward(),
    )


@statement("8.4", ".data has its own version counter: changes through it go undetected")
def _data_is_undetected(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    y = x * x
    x.data.mul_(10)
    assert x._version == 0
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 40.0]


@statement("8.5", "an in-place op keeps the object and records its own node")
def _inplace_node(torch: Any) -> None:
    a = _leaf(torch, 1.0, 2.0) * 1
    same = a.mul_(3)
    assert same is a and _name(a) == "MulBackward0"
    a.pow_(2)
    assert _name(a) == "PowBackward0"


@statement("8.6", "writing a grad-requiring value into a plain tensor makes it a non-leaf")
def _plain_becomes_non_leaf(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    y = torch.zeros(2)
    y[0:1] = x[0:1]
    assert not y.is_leaf and y.requires_grad and _name(y) == "CopySlices"
    z = torch.zeros(2)
    z.add_(x)
    assert not z.is_leaf and _name(z) == "AddBackward0"


@statement("8.7", "in-place on a leaf that requires grad is refused, allowed under no_grad")
def _leaf_inplace(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    _raises(
        RuntimeError,
        "a leaf Variable that requires grad is being used in an in-place operation.",
        lambda: x.add_(1),
    )
    with torch.no_grad():
        x.add_(1)
    assert x.is_leaf and x._version == 1


# -- 9. Higher order and autograd.grad ----------------------------------------------------------


@statement("9.1", "chained autograd.grad with create_graph gives 3x^2, 6x, 6 for sum(x**3)")
def _chained_grads(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    (g1,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    assert (g1.tolist(), g2.tolist(), g3.tolist()) == ([3.0, 12.0], [6.0, 12.0], [6.0, 6.0])


@statement("9.2", "backward(create_graph=True) warns about a reference cycle")
def _create_graph_warning(torch: Any) -> None:
    # Warned once per process, so probed in a fresh one.
    script = (
        f"import warnings, {torch.__name__} as torch\n"
        "warnings.simplefilter('always')\n"
        "x = torch.ones(1, requires_grad=True)\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    (x * x).sum().backward(create_graph=True)\n"
        "print([str(w.message) for w in caught if w.category is UserWarning])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Using backward() with create_graph=True will create a reference cycle" in done.stdout, (
        done.stdout
    )


@statement("9.3", "autograd.grad returns a tuple; an unused input raises unless allow_unused")
def _unused_input(torch: Any) -> None:
    x = _leaf(torch, 1.0)
    w = _leaf(torch, 2.0)
    result = torch.autograd.grad((x * 2).sum(), [x])
    assert isinstance(result, tuple)
    _raises(
        RuntimeError,
        "The differentiated Tensor at index 1 appears to not have been used in the graph. "
        "Set allow_unused=True if this is the desired behavior.",
        lambda: torch.autograd.grad((x * 2).sum(), [x, w]),
    )
    _, unused = torch.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)
    assert unused is None
    _, zeros = torch.autograd.grad((x * 2).sum(), [x, w], materialize_grads=True)
    assert zeros.tolist() == [0.0]


@statement("9.4", "an input that does not require grad is refused")
def _input_without_grad(torch: Any) -> None:
    x = _leaf(torch, 1.0)
    _raises(
        RuntimeError,
        "One of the differentiated Tensors does not require grad",
        lambda: torch.autograd.grad((x * 2).sum(), [torch.ones(1)]),
    )


@statement("9.5", "a first-order grad under create_graph has the graph torch names")
def _first_order_graph(torch: Any) -> None:
    x = _leaf(torch, 0.5, 1.0)
    names = []
    for f in (lambda t: t**3, torch.sigmoid, torch.tanh, lambda t: t * t):
        (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
        names.append(_name(g))
    assert names == [
        "MulBackward0",
        "SigmoidBackwardBackward0",
        "TanhBackwardBackward0",
        "AddBackward0",
    ], names
    (constant,) = torch.autograd.grad((x * 2).sum(), x, create_graph=True)
    assert not constant.requires_grad


# -- 10. dtypes and shapes ----------------------------------------------------------------------


@statement("10.1", "a grad has its leaf's dtype, whatever dtype the graph computed in")
def _grad_dtype(torch: Any) -> None:
    a = _leaf(torch, 1.0, 2.0)
    b = _leaf(torch, 1.0, 2.0, dtype=torch.float64)
    out = a * b
    assert out.dtype == torch.float64
    out.sum().backward()
    assert a.grad.dtype == torch.float32 and b.grad.dtype == torch.float64
    assert torch.ones(1).dtype == torch.float32


@statement("10.2", "broadcast grads are summed back to the input's shape")
def _broadcast_grad(torch: Any) -> None:
    scalar = torch.tensor(2.0, requires_grad=True)
    column = torch.ones(2, 1, requires_grad=True)
    (scalar * column * torch.ones(2, 3)).sum().backward()
    assert scalar.grad.shape == () and scalar.grad.item() == 6.0
    assert column.grad.shape == (2, 1) and column.grad.tolist() == [[6.0], [6.0]]


@statement("10.3", "mixed-dtype results follow torch's promotion (a 0-d tensor is a scalar)")
def _promotion(torch: Any) -> None:
    ints = torch.tensor([1, 2])
    assert (ints + torch.tensor(1.5)).dtype == torch.float32
    assert (ints / 2).dtype == torch.float32
    assert (ints * 2).dtype == torch.int64
    assert (torch.ones(2) + torch.ones(2, dtype=torch.float64)).dtype == torch.float64
    assert (torch.ones(2) + torch.tensor(1.0, dtype=torch.float64)).dtype == torch.float32
    assert (torch.tensor([True]) + torch.tensor([True])).tolist() == [True]


@statement("10.4", "only floating point tensors can require grad; mean of integers is refused")
def _integer_tensors(torch: Any) -> None:
    _raises(
        RuntimeError,
        "Only Tensors of floating point and complex dtype can require gradients",
        lambda: torch.tensor([1, 2], requires_grad=True),
    )
    _raises(
        RuntimeError,
        "only Tensors of floating point dtype can require gradients",
        lambda: torch.tensor([1, 2]).requires_grad_(),
    )
    _raises(
        RuntimeError,
        "mean(): could not infer output dtype. Input dtype must be either a floating point or "
        "complex dtype. Got: Long",
        lambda: torch.tensor([1, 2]).mean(),
    )


# -- 11. Error texts ----------------------------------------------------------------------------


@statement("11.1", "the output checks: grad first, then scalar, then shape, then freed graph")
def _output_checks(torch: Any) -> None:
    _raises(
        RuntimeError,
        "element 0 of tensors does not require grad and does not have a grad_fn",
        lambda: torch.ones(2).backward(),
    )
    x = _leaf(torch, 1.0, 2.0)
    _raises(
        RuntimeError,
        "grad can be implicitly created only for scalar outputs",
        lambda: (x * 2).backward(),
    )
    (torch.ones(1, 1, requires_grad=True) * 2).backward()
    y = x * x
    y.sum().backward()
    _raises(RuntimeError, "Mismatch in shape", lambda: y.backward(torch.ones(3)))


@statement("11.2", "reading .grad of a non-leaf returns None with a UserWarning")
def _non_leaf_grad_warning(torch: Any) -> None:
    x = _leaf(torch, 1.0)
    y = x * 2
    with _warns(
        UserWarning, "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed."
    ):
        assert y.grad is None
    with _no_warning():
        assert x.grad is None


@statement("11.3", "the version error names the tensor type, shape, producer and versions")
def _version_error_text(torch: Any) -> None:
    hint = (
        " Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )
    x = _leaf(torch, 1.0, 2.0)
    a = x * 1
    y = a * a
    a.add_(1)
    _raises(
        RuntimeError,
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [torch.FloatTensor [2]], which is output 0 of Add, is at version 1; "
        "expected version 0 instead." + hint,
        lambda: y.sum().backward(),
    )
    s = torch.ones(2, 2, dtype=torch.float64, requires_grad=True).sigmoid()
    s.mul_(2)
    _raises(
        RuntimeError,
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [torch.DoubleTensor [2, 2]], which is output 0 of Sigmoid, is at version 1; "
        "expected version 0 instead." + hint,
        lambda: s.sum().backward(),
    )
    leaf_saved = _leaf(torch, 1.0, 2.0)
    out = leaf_saved * leaf_saved
    with torch.no_grad():
        leaf_saved.add_(1)
    _raises(
        RuntimeError,
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [torch.FloatTensor [2]] is at version 1; expected version 0 instead." + hint,
        lambda: out.sum().backward(),
    )


@statement("11.4", "flag errors: non-leaf requires_grad_(False), hooks and retain_grad sans grad")
def _flag_errors(torch: Any) -> None:
    y = _leaf(torch, 1.0) * 2
    _raises(
        RuntimeError,
        "you can only change requires_grad flags of leaf variables. If you want to use a "
        "computed variable in a subgraph that doesn't require differentiation use "
        "var_no_grad = var.detach().",
        lambda: y.requires_grad_(False),
    )
    plain = torch.ones(1)
    _raises(
        RuntimeError,
        "can't retain_grad on Tensor that has requires_grad=False",
        plain.retain_grad,
    )
    _raises(
        RuntimeError,
        "cannot register a hook on a tensor that doesn't require gradient",
        lambda: plain.register_hook(lambda g: g),
    )


@statement("11.5", "argument errors: empty inputs=, a list as gradient, numpy() with grad")
def _argument_errors(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    _raises(
        RuntimeError,
        "`inputs` argument to `backward()` cannot be empty.",
        lambda: (x * 2).sum().backward(inputs=[]),
    )
    _raises(
        TypeError,
        "gradients can be either Tensors or None, but got float",
        lambda: (x * 2).backward([1.0, 1.0]),
    )
    _raises(
        RuntimeError,
        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
        x.numpy,
    )


@statement("11.6", "of several stale saved tensors the error names the first torch unpacks")
def _first_stale_in_unpack_order(torch: Any) -> None:
    def stale(backward: Callable[[], None]) -> str:
        try:
            backward()
        except RuntimeError as exc:
            return str(exc).split("inplace operation: ")[1].split(" is at version")[0]
        raise AssertionError("backward raised no version error")

    def gather() -> None:
        source = _leaf(torch, 1.0, 2.0).exp()
        index = torch.zeros(1, dtype=torch.long)
        y = source.gather(0, index)
        source.mul_(2)
        index.add_(1)
        y.sum().backward()

    def norm() -> None:
        source = _leaf(torch, 1.0, 2.0) * 1
        result = torch.linalg.vector_norm(source)
        y = result * 1.0
        result.mul_(2)
        source.add_(1)
        y.backward()

    def written_through_view(held: bool) -> None:
        base = _leaf(torch, 0.5, 0.2) * 1
        view = base[0:1]
        view.exp_()  # ExpBackward0 saves its result, the view, naming the view's node
        root = view.sum() if held else None  # a sum taken now holds that node
        view.mul_(2)  # the view gets a new node; the first lives on only where it is held
        (root if root is not None else view.sum()).backward()

    assert stale(gather) == "[torch.LongTensor [1]]"  # "index" before "self"
    assert stale(norm) == "[torch.FloatTensor [2]], which is output 0 of Add,"  # inputs first
    held, replaced = (functools.partial(written_through_view, h) for h in (True, False))
    assert stale(held) == "[torch.FloatTensor [1]], which is output 0 of AsStrided,"
    assert stale(replaced) == "[torch.FloatTensor [1]], which is output 0 of Exp,"


# -- 12. Graph-node names -----------------------------------------------------------------------


@statement("12.1", "each op's node carries torch's class name")
def _node_names(torch: Any) -> None:
    x = torch.ones(3, 4, requires_grad=True)
    v = torch.ones(4, requires_grad=True)
    m = torch.ones(4, 5, requires_grad=True)
    expected = {
        "AddBackward0": x + 1,
        "SubBackward0": x - x,
        "MulBackward0": x * 2,
        "DivBackward0": x / x,
        "NegBackward0": -x,
        "MmBackward0": x @ m,
        "MvBackward0": x @ v,
        "DotBackward0": v @ v,
        "PowBackward0": x**2,
        "PowBackward1": x**x,
        "PowBackward2": 2**x,
        "MeanBackward0": x.mean(),
        "MeanBackward1": x.mean(0),
        "SumBackward0": x.sum(),
        "SumBackward1": x.sum(0),
        "MaxBackward1": x.max(),
        "SelectBackward0": x[0],
        "SliceBackward0": x[1:],
        "IndexBackward0": x[[0, 2]],
        "ViewBackward0": x.view(12),
        "TBackward0": x.t(),
        "PermuteBackward0": x.T,
        "TransposeBackward0": x.transpose(0, 1),
        "ExpandBackward0": v.expand(2, 4),
        "CloneBackward0": x.clone(),
        "ToCopyBackward0": x.double(),
        "StackBackward0": torch.stack([v, v]),
        "CatBackward0": torch.cat([v, v]),
    }
    wrong = {name: _name(t) for name, t in expected.items() if _name(t) != name}
    assert not wrong, wrong


@statement("12.2", "a leaf's edge is one AccumulateGrad node; constants get a None edge")
def _accumulate_grad(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    first = (x * 2).grad_fn.next_functions[0][0]
    second = (x + 1).grad_fn.next_functions[0][0]
    assert first is second and first.variable is x
    assert first.name() == "torch::autograd::AccumulateGrad"
    assert _next_names((x * 2).grad_fn) == (("AccumulateGrad", 0), (None, 0))
    assert _next_names((x * torch.ones(2)).grad_fn) == (("AccumulateGrad", 0), (None, 0))


@statement("12.3", "a write into a slice records CopySlices, whose name() is qualified")
def _copy_slices(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    z = torch.empty(3)
    z[0] = x[0] ** 2
    assert _name(z) == "CopySlices" and z.grad_fn.name() == "torch::autograd::CopySlices"
    assert _next_names(z.grad_fn) == ((None, 0), ("PowBackward0", 0))
    assert (x * 2).grad_fn.name() == "MulBackward0"


@statement("12.4", "contiguous() of a contiguous leaf is the leaf itself")
def _contiguous(torch: Any) -> None:
    x = _leaf(torch, 1.0, 2.0)
    assert x.contiguous() is x


@statement("12.5", "a result lies in memory as torch lays it out, which decides reshape's node")
def _result_layout(torch: Any) -> None:
    a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True).t()  # strides (1, 3)
    b = torch.ones(3, 2)
    assert (a * b).stride() == (1, 3) and (b * a).stride() == (2, 1)  # the first operand's
    assert a.clone().stride() == (1, 3) and a.flip(0).stride() == (1, 3)  # self's
    assert a.cumsum(0).stride() == (2, 1) and a.softmax(1).stride() == (2, 1)  # contiguous
    index = torch.tensor([[0, 1], [2, 0], [1, 1]])
    assert _name(a.scatter_add(0, index, b).flatten()) == "ViewBackward0"
    assert _name((a * b).flatten()) == "UnsafeViewBackward0"
    assert _name(a.contiguous()) == "CloneBackward0" and a.contiguous().stride() == (2, 1)


# -- 13. Derivatives at ties, kinks and domain edges --------------------------------------------


@statement("13.1", "max()/min() over ties share the grad evenly; maximum() splits a tie in half")
def _ties(torch: Any) -> None:
    x = _leaf(torch, 1.0, 3.0, 3.0)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]
    a = _leaf(torch, 1.0, 2.0)
    b = _leaf(torch, 1.0, 5.0)
    torch.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0] and b.grad.tolist() == [0.5, 1.0]


@statement("13.2", "relu and abs have derivative 0 at 0; clamp passes the grad at its bounds")
def _kinks(torch: Any) -> None:
    x = _leaf(torch, 0.0, 0.0)
    (torch.relu(x) + x.abs()).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    y = _leaf(torch, 0.0, 1.0)
    y.clamp(0.0, 1.0).sum().backward()
    assert y.grad.tolist() == [1.0, 1.0]


@statement("13.3", "sqrt at 0 has an infinite derivative")
def _sqrt_at_zero(torch: Any) -> None:
    x = _leaf(torch, 0.0)
    x.sqrt().sum().backward()
    assert x.grad.tolist() == [float("inf")]


# -- running the probes -------------------------------------------------------------------------


def probe(module: Any, statements: Sequence[Statement] = ()) -> list[Verdict]:
    """Run each statement's probe against ``module`` (torch or a torch-like module)."""
    verdicts = []
    for item in statements or STATEMENTS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                item.check(module)
        except Exception as exc:  # noqa: BLE001 - any failure means the statement does not hold
            verdicts.append(Verdict(item, False, f"{type(exc).__name__}: {exc}"))
        else:
            verdicts.append(Verdict(item, True))
    return verdicts


def format_verdicts(verdicts: Sequence[Verdict], module_name: str, version: str) -> str:
    """Per section: how many statements hold, and each one that does not with its reason."""
    lines = [f"docs/semantics.md against {module_name} {version}"]
    for number, title in SECTIONS.items():
        in_section = [v for v in verdicts if v.statement.section == number]
        holding = sum(v.holds for v in in_section)
        lines.append(f"§{number} {title}: {holding}/{len(in_section)} hold")
        for verdict in in_section:
            if not verdict.holds:
                lines.append(f"  {verdict.statement.id} DOES NOT HOLD: {verdict.statement.claim}")
                lines.append(f"       {verdict.detail}")
    failed = sum(not v.holds for v in verdicts)
    lines.append(f"{len(verdicts) - failed} of {len(verdicts)} statements hold")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.semantics_probe",
        description="Check the statements of docs/semantics.md against an installed torch.",
    )
    parser.add_argument(
        "--module", default="torch", help="module to probe (default torch; or reference_impl)"
    )
    args = parser.parse_args(argv)
    module = importlib.import_module(args.module)
    verdicts = probe(module)
    version = str(getattr(module, "__version__", "(no version)"))
    print(format_verdicts(verdicts, args.module, version))
    return 0 if all(v.holds for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
