"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp and vhp of a whole function.

Everything is built on ``autograd.grad``. Forward-mode products (jvp, hvp) use the double
backward trick: the gradient w.r.t. a dummy cotangent that requires grad is linear in it, so
differentiating it again w.r.t. the dummy gives J·v. The order of the checks, and so which
strict-mode error a program meets first, follows torch 2.13; the messages are torch's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._factories import zeros_like
from .._functions import stack
from .._grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from .._tensor import Tensor
from ._api import grad as autograd_grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

Tensors = tuple[Tensor, ...]
MaybeTensors = tuple[Tensor | None, ...]


def _as_tuple(value: Any, arg_name: str, fn_name: str) -> tuple[bool, Tensors]:
    """(was it a tuple, the tensors as a tuple); a list or a number is refused, as in torch."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, item in enumerate(items):
        if isinstance(item, Tensor):
            continue
        where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
        raise TypeError(
            f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
            f"but {where} has type {type(item)}."
        )
    return is_tuple, tuple(items)


def _unpack(result: Any, is_tuple: bool) -> Any:
    return result if is_tuple else result[0]


def _unpack_nested(result: Any, outer_tuple: bool, inner_tuple: bool) -> Any:
    if not inner_tuple:
        result = tuple(row[0] for row in result)
    return result if outer_tuple else result[0]


def _prepare_inputs(inputs: Tensors, create_graph: bool, need_graph: bool) -> Tensors:
    """Fresh leaves to differentiate against (or, under create_graph, views that keep the
    caller's history), so the caller's tensors and their .grad are left alone."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
        for t in inputs
    )


def _finish(tensors: Any, create_graph: bool) -> Any:
    """Results are detached unless the caller asked for a graph (nested tuples kept)."""
    if create_graph:
        return tensors
    if isinstance(tensors, Tensor):
        return tensors.detach()
    return tuple(_finish(t, create_graph) for t in tensors)


def _outputs_and(
    outs: Any, outputs_tuple: bool, result: Any, result_tuple: bool, create_graph: bool
) -> tuple[Any, Any]:
    """``(func(inputs), product)`` as vjp/jvp/vhp/hvp return them: detached unless
    ``create_graph``, each unpacked when the caller passed a single tensor."""
    return (
        _unpack(_finish(outs, create_graph), outputs_tuple),
        _unpack(_finish(result, create_graph), result_tuple),
    )


def _validate_v(v: Tensors, other: Tensors, other_is_tuple: bool) -> None:
    if len(other) != len(v):
        if other_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (given, expected) in enumerate(zip(v, other, strict=True)):
        if given.shape != expected.shape:
            prefix = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {expected.shape} but got {given.shape}."
            )


def _check_requires_grad(tensors: Sequence[Tensor | None], kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode."
            )
        if t.requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is thrice differentiable and that the hessian depends on the "
                "inputs."
            )
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example)."
            )
        if kind == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the inputs of the "
                "user-provided function. This is not allowed in strict mode."
            )
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients. The outputs "
            "must be computed in a differentiable manner from the input when running in strict "
            "mode."
        )


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
    "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. This "
    "is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This "
    "is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
    "in the grad_jacobian. This is not allowed in strict mode as it prevents from using the "
    "double backward trick to replace forward mode AD.",
}


def _fill_in_zeros(
    grads: MaybeTensors, refs: Tensors, strict: bool, create_graph: bool, stage: str
) -> Tensors:
    """A missing gradient is zero, or a strict-mode error naming the stage it went missing at."""
    filled = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode when create_graph=True."
            )
        filled.append(g)
    return tuple(filled)


def _grad(
    outputs: Sequence[Tensor | None],
    inputs: Tensors,
    grad_outputs: Sequence[Tensor | None] | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> MaybeTensors:
    """``autograd.grad`` over the outputs that require grad; all None when none does."""
    cotangents = grad_outputs if grad_outputs is not None else (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, cotangents, strict=True) if o is not None]
    kept = [(o, g) for o, g in kept if o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return autograd_grad(
        tuple(o for o, _ in kept),
        inputs,
        tuple(g for _, g in kept),
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
    )


def _scalar_v_required(tensors: Tensors, what: str) -> None:
    if len(tensors) != 1 or tensors[0].nelement() != 1:
        raise RuntimeError(
            f"The vector v can only be None if {what} a single Tensor with a single element."
        )


def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), v^T J): a vector-Jacobian product."""
    with enable_grad():
        inputs_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _prepare_inputs(ins, create_graph, need_graph=True)
        outputs_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "vjp")
        _check_requires_grad(outs, "outputs", strict)
        if v is not None:
            vs = _prepare_inputs(_as_tuple(v, "v", "vjp")[1], create_graph, need_graph=False)
            _validate_v(vs, outs, outputs_tuple)
        else:
            _scalar_v_required(outs, "the user-provided function returns")
            vs = None
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            grads = _grad(outs, ins, vs, create_graph=create_graph)
            result = _fill_in_zeros(grads, ins, strict, create_graph, "back")
    return _outputs_and(outs, outputs_tuple, result, inputs_tuple, create_graph)


def jvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), J v): a Jacobian-vector product, by the double backward trick."""
    with enable_grad():
        inputs_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _prepare_inputs(ins, create_graph, need_graph=True)
        if v is not None:
            vs = _prepare_inputs(_as_tuple(v, "v", "jvp")[1], create_graph, need_graph=False)
            _validate_v(vs, ins, inputs_tuple)
        else:
            _scalar_v_required(ins, "the input to the user-provided function is")
            vs = None
        outputs_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jvp")
        _check_requires_grad(outs, "outputs", strict)
        # The gradient is linear in these dummies: their value never reaches the result.
        dummies = tuple(zeros_like(o, requires_grad=True) for o in outs)
        grad_inputs = _grad(outs, ins, dummies, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            grads = _grad(grad_inputs, dummies, vs, create_graph=create_graph)
            result = _fill_in_zeros(grads, outs, strict, create_graph, "back_trick")
    return _outputs_and(outs, outputs_tuple, result, outputs_tuple, create_graph)


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """d out / d in for every (output, input) pair, shaped out.shape + in.shape, one reverse
    pass per output element (vectorize only changes how torch batches those passes)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                "`strategy=forward-mode` are not supported together (yet). Please either set "
                "`create_graph=False` or `strategy=reverse-mode`."
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`."
            )
        raise NotImplementedError("autograd.functional.jacobian(strategy='forward-mode')")
    with enable_grad():
        inputs_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = _prepare_inputs(ins, create_graph, need_graph=True)
        outputs_tuple, outs = _as_tuple(
            func(*ins), "outputs of the user-provided function", "jacobian"
        )
        _check_requires_grad(outs, "outputs", strict)
        rows = []
        for i, out in enumerate(outs):
            columns: list[list[Tensor]] = [[] for _ in ins]
            flat = out.reshape(-1)
            for j in range(out.nelement()):
                grads = _grad((flat[j],), ins, retain_graph=True, create_graph=create_graph)
                for k, (g, inp) in enumerate(zip(grads, ins, strict=True)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {k}. This is not allowed in strict mode."
                            )
                        g = zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(
                            "The jacobian of the user-provided function is independent of input "
                            f"{i}. This is not allowed in strict mode when create_graph=True."
                        )
                    columns[k].append(g)
            rows.append(
                tuple(
                    _stack_rows(col, inp).view(*out.shape, *inp.shape)
                    for col, inp in zip(columns, ins, strict=True)
                )
            )
        result = _finish(tuple(rows), create_graph)
    return _unpack_nested(result, outputs_tuple, inputs_tuple)


def _stack_rows(rows: list[Tensor], like: Tensor) -> Tensor:
    """The per-element gradients stacked on a new first dim (empty for an empty output)."""
    if rows:
        return stack(rows, dim=0)
    return zeros_like(like).reshape(0, *like.shape)


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a function with one single-element output: the jacobian of its
    jacobian, pairs of inputs nested as in torch."""
    inputs_tuple, ins = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*args: Tensor) -> Tensor:
        out = func(*args)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    def jacobian_of_func(*args: Tensor) -> Any:
        jac = jacobian(single_output, args, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(
        jacobian_of_func,
        ins,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack_nested(result, inputs_tuple, inputs_tuple)


def _second_order_setup(
    func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool, name: str
) -> tuple[bool, Tensors, Tensors | None, bool, Tensors, MaybeTensors]:
    """What vhp and hvp share: inputs, v, the single-element output and its gradient."""
    inputs_tuple, ins = _as_tuple(inputs, "inputs", name)
    ins = _prepare_inputs(ins, create_graph, need_graph=True)
    vs: Tensors | None = None
    if v is not None:
        vs = _prepare_inputs(_as_tuple(v, "v", name)[1], create_graph, need_graph=False)
        _validate_v(vs, ins, inputs_tuple)
    else:
        _scalar_v_required(ins, "the input to the user-provided function is")
    outputs_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", name)
    _check_requires_grad(outs, "outputs", strict)
    if outputs_tuple or not isinstance(outs[0], Tensor):
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outs[0].nelement() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {name} should contain a single element"
        )
    jac = _grad(outs, ins, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return inputs_tuple, ins, vs, outputs_tuple, outs, jac


def vhp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), v^T H) for a function with one single-element output."""
    with enable_grad():
        inputs_tuple, ins, vs, outputs_tuple, outs, jac = _second_order_setup(
            func, inputs, v, create_graph, strict, "vhp"
        )
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            grads = _grad(jac, ins, vs, create_graph=create_graph)
            result = _fill_in_zeros(grads, ins, strict, create_graph, "double_back")
    return _outputs_and(outs, outputs_tuple, result, inputs_tuple, create_graph)


def hvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), H v) for a function with one single-element output, by the double
    backward trick over the gradient."""
    with enable_grad():
        inputs_tuple, ins, vs, outputs_tuple, outs, jac = _second_order_setup(
            func, inputs, v, create_graph, strict, "hvp"
        )
        dummies = tuple(zeros_like(t, requires_grad=True) for t in ins)
        double_back = _grad(jac, ins, dummies, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            grads = _grad(double_back, dummies, vs, create_graph=create_graph)
            result = _fill_in_zeros(grads, ins, strict, create_graph, "double_back_trick")
    return _outputs_and(outs, outputs_tuple, result, inputs_tuple, create_graph)
