"""``torch.func``: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian and vmap.

torch builds these on functorch's levels; here a call differentiates ``func`` with the ordinary
engine: the chosen arguments are made fresh leaves (or, when they already require grad, views
of themselves, so the result stays differentiable with respect to them, as torch's is), and
``autograd.grad`` gives the reverse-mode results. jvp and jacfwd use forward-mode AD (dual
tensors); vmap (in ``_vmap``) runs the function once per batch entry and stacks the results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._factories import eye, zeros_like
from ._functions import stack
from ._grad_mode import enable_grad, is_grad_enabled
from ._pytree import tree_flatten, tree_unflatten
from ._tensor import Tensor
from ._vmap import vmap
from .autograd import forward_ad as fw
from .autograd import grad as autograd_grad

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]


def grad_and_value(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """``(gradient, value)`` of ``func`` with respect to the arguments ``argnums`` names."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        for number in numbers:
            if number >= len(args):
                raise RuntimeError(f"Got argnum={number}, but only {len(args)} positional inputs")
        nested = is_grad_enabled() and any(args[n].requires_grad for n in numbers)
        with enable_grad():
            inner = list(args)
            for number in numbers:
                arg = args[number]
                inner[number] = arg.view_as(arg) if nested else arg.detach().requires_grad_(True)
            out = func(*inner, **kwargs)
            value, aux = out if has_aux else (out, None)
            if not isinstance(value, Tensor) or value.dim() != 0:
                dims = value.dim() if isinstance(value, Tensor) else "no"
                raise RuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got tensor with {dims} dims. Maybe you wanted to use the vjp or jacrev "
                    "APIs instead?"
                )
            found = autograd_grad(
                value, [inner[n] for n in numbers], create_graph=nested, allow_unused=True
            )
        grads = tuple(
            inner[n].detach() * 0 if g is None else g for n, g in zip(numbers, found, strict=True)
        )
        result = grads[0] if isinstance(argnums, int) else grads
        value = value if nested else value.detach()
        return (result, (value, aux)) if has_aux else (result, value)

    return wrapper


def grad(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of ``func`` (a scalar) with respect to the arguments ``argnums`` names."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradient, value = both(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


# -- shared by the transforms below -----------------------------------------------------------


def _check_tensor(value: Any) -> Tensor:
    if not isinstance(value, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(value)}")
    return value


def _differentiable(args: tuple[Any, ...], numbers: tuple[int, ...]) -> tuple[list[Any], bool]:
    """``args`` with the chosen ones made differentiable, and whether the call is nested (an
    input already requires grad with grad mode on: then results keep their history)."""
    for number in numbers:
        _check_tensor(args[number])
    nested = is_grad_enabled() and any(args[n].requires_grad for n in numbers)
    inner = list(args)
    for number in numbers:
        arg = args[number]
        inner[number] = arg.view_as(arg) if nested else arg.detach().requires_grad_(True)
    return inner, nested


def _argnums(argnums: int | tuple[int, ...], count: int) -> tuple[int, ...]:
    """The positions ``argnums`` names, negative ones counted from the end, checked."""
    numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    for number in numbers:
        if not -count <= number < count:
            raise RuntimeError(f"Got argnum={number}, but only {count} positional inputs")
    return tuple(n % count for n in numbers)


def _flat_tensors(out: Any, what: str) -> tuple[list[Tensor], Any]:
    leaves, spec = tree_flatten(out)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(
                f"{what}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(leaf)}"
            )
    return leaves, spec


def _detach_unless(tensors: list[Tensor], keep: bool) -> list[Tensor]:
    return tensors if keep else [t.detach() for t in tensors]


# -- reverse mode ------------------------------------------------------------------------------


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """``(func(*primals), vjp_fn)`` (and aux): ``vjp_fn(cotangents)`` returns the gradient
    with respect to every primal, as a tuple; it may be called many times."""
    with enable_grad():
        inner, nested = _differentiable(primals, tuple(range(len(primals))))
        out = func(*inner)
        value, aux = out if has_aux else (out, None)
        leaves, spec = _flat_tensors(value, "vjp(f, *primals)")

    def vjp_fn(cotangents: Any) -> tuple[Tensor, ...]:
        flat, cospec = tree_flatten(cotangents)
        if repr(cospec) != repr(spec):
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {_short(cospec)}, primal output: "
                f"{_short(spec)}"
            )
        for i, (c, o) in enumerate(zip(flat, leaves, strict=True)):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {c.shape} and "
                    f"output[{i}] has a shape of {o.shape}."
                )
        return tuple(_grads(leaves, inner, flat, nested))

    result = tree_unflatten(_detach_unless(leaves, nested), spec)
    return (result, vjp_fn, _plain(aux, nested)) if has_aux else (result, vjp_fn)


def _grads(
    outputs: list[Tensor], inputs: list[Tensor], cotangents: list[Tensor] | None, nested: bool
) -> list[Tensor]:
    """``autograd.grad`` keeping the graph; zeros for inputs (or from outputs) it never
    reaches, as torch.func's transforms give them."""
    pairs = [
        (o, c)
        for o, c in zip(outputs, cotangents or [None] * len(outputs), strict=True)  # type: ignore[list-item]
        if o.requires_grad
    ]
    found: Any = [None] * len(inputs)
    if pairs:
        with enable_grad():
            found = autograd_grad(
                [o for o, _ in pairs],
                inputs,
                [c for _, c in pairs] if cotangents is not None else None,
                retain_graph=True,
                create_graph=nested,
                allow_unused=True,
            )
    return [x.detach() * 0 if g is None else g for x, g in zip(inputs, found, strict=True)]


def _plain(aux: Any, nested: bool) -> Any:
    """torch.func hands ``aux`` back unwrapped: its tensors detached unless nested."""
    if nested:
        return aux
    leaves, spec = tree_flatten(aux)
    return tree_unflatten([t.detach() if isinstance(t, Tensor) else t for t in leaves], spec)


def _short(spec: Any) -> str:
    """A structure as torch's vjp error prints it: ``*`` for a leaf, ``(*, *)`` for a tuple."""
    if spec.is_leaf:
        return "*"
    inner = ", ".join(_short(c) for c in spec.children)
    if spec.type is tuple:
        return f"({inner}{',' if len(spec.children) == 1 else ''})"
    if spec.type is list:
        return f"[{inner}]"
    pairs = zip(spec.context, spec.children, strict=True)
    return "{" + ", ".join(f"{k!r}: {_short(c)}" for k, c in pairs) + "}"


def jacrev(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """The Jacobian by reverse mode: one backward pass per output element. Each output gives
    ``out.shape + input.shape`` (a tuple over ``argnums`` when that is a tuple)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        numbers = _argnums(argnums, len(args))
        with enable_grad():
            inner, nested = _differentiable(args, numbers)
            out = func(*inner, **kwargs)
            value, aux = out if has_aux else (out, None)
            leaves, spec = _flat_tensors(value, "vjp(f, *primals)")
            wrt = [inner[n] for n in numbers]
            jacobians = [_reverse_jacobian(o, wrt, nested) for o in leaves]
        per_output = [j[0] if isinstance(argnums, int) else tuple(j) for j in jacobians]
        result = tree_unflatten(per_output, spec)
        return (result, _plain(aux, nested)) if has_aux else result

    return wrapper


def _reverse_jacobian(out: Tensor, wrt: list[Tensor], nested: bool) -> list[Tensor]:
    """d out / d each of ``wrt``, shaped ``out.shape + x.shape``, from one row per element."""
    flat = out.reshape(-1)
    rows: list[list[Tensor]] = [[] for _ in wrt]
    for i in range(flat.numel()):
        for k, g in enumerate(_grads([flat[i]], wrt, None, nested)):
            rows[k].append(g)
    return [_stacked(r, x).reshape(*out.shape, *x.shape) for r, x in zip(rows, wrt, strict=True)]


def _stacked(rows: list[Tensor], like: Tensor) -> Tensor:
    from ._factories import zeros

    return stack(rows) if rows else zeros(0, *like.shape, dtype=like.dtype)


# -- forward mode ------------------------------------------------------------------------------


def jvp(func: Callable[..., Any], primals: Any, tangents: Any, *, has_aux: bool = False) -> Any:
    """``(func(*primals), J @ tangents)`` (and aux), by forward-mode AD: each primal becomes a
    dual tensor carrying its tangent."""
    if not isinstance(primals, tuple):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid "
            "to call f(*primals)."
        )
    flat_p, pspec = tree_flatten(primals)
    flat_t, tspec = tree_flatten(tangents)
    if repr(pspec) != repr(tspec):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python "
            "structure. For example, if primals is a tuple of 3 tensors, tangents also must "
            f"be. Got primals with structure {pspec} and tangents with structure {tspec}"
        )
    for leaf in flat_p + flat_t:
        _check_tensor(leaf)
    outs, out_tangents, spec, aux = _forward(func, primals, flat_p, flat_t, pspec, has_aux)
    result = (tree_unflatten(outs, spec), tree_unflatten(out_tangents, spec))
    return (*result, aux) if has_aux else result


def _forward(
    func: Callable[..., Any],
    primals: tuple[Any, ...],
    flat_p: list[Tensor],
    flat_t: list[Tensor],
    pspec: Any,
    has_aux: bool,
    kwargs: dict[str, Any] | None = None,
) -> tuple[list[Tensor], list[Tensor], Any, Any]:
    """Run ``func`` on dual tensors; the outputs' primals and tangents (zeros where none)."""
    with fw.dual_level():
        duals = [fw.make_dual(p, t) for p, t in zip(flat_p, flat_t, strict=True)]
        out = func(*tree_unflatten(duals, pspec), **(kwargs or {}))
        value, aux = out if has_aux else (out, None)
        leaves, spec = _flat_tensors(value, "jvp(f, primals, tangents)")
        unpacked = [fw.unpack_dual(o) for o in leaves]
        outs = [u.primal for u in unpacked]
        tangents = [zeros_like(u.primal) if u.tangent is None else u.tangent for u in unpacked]
    return outs, tangents, spec, aux


def jacfwd(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    has_aux: bool = False,
    *,
    randomness: str = "error",
) -> Callable[..., Any]:
    """The Jacobian by forward mode: one jvp per input element (a basis tangent), the output
    tangents forming the columns. Shapes as jacrev's."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        numbers = _argnums(argnums, len(args))
        columns: list[list[list[Tensor]]] = []  # [argnum][input element][output leaf]
        spec: Any = None
        aux: Any = None
        chosen = [_check_tensor(args[n]) for n in numbers]
        call = lambda *ps: func(*_merge(args, numbers, ps), **kwargs)  # noqa: E731
        for x in chosen:
            basis = eye(x.numel(), dtype=x.dtype)
            per_element = []
            for j in range(x.numel()):
                flat_t = [
                    basis[j].reshape(x.shape) if other is x else zeros_like(other)
                    for other in chosen
                ]
                outs, tangents, spec, aux = _forward(
                    call, tuple(chosen), chosen, flat_t, tree_flatten(tuple(chosen))[1], has_aux
                )
                per_element.append(tangents)
            columns.append(per_element)
        if spec is None:  # an input without elements: run once for the output structure
            out = func(*args, **kwargs)
            value, aux = out if has_aux else (out, None)
            outs, spec = _flat_tensors(value, "jacfwd(f, ...)(*args)")
        per_output = []
        for k in range(len(outs)):
            jac = []
            for n, per_element in zip(numbers, columns, strict=True):
                x = args[n]
                cols = [t[k].reshape(-1) for t in per_element]
                block = stack(cols, dim=-1) if cols else outs[k].new_zeros(outs[k].numel(), 0)
                jac.append(block.reshape(*outs[k].shape, *x.shape))
            per_output.append(jac[0] if isinstance(argnums, int) else tuple(jac))
        result = tree_unflatten(per_output, spec)
        return (result, aux) if has_aux else result

    return wrapper


def _merge(args: tuple[Any, ...], numbers: tuple[int, ...], chosen: tuple[Any, ...]) -> list[Any]:
    """``args`` with the positions in ``numbers`` replaced, in order, by ``chosen``."""
    merged = list(args)
    for n, value in zip(numbers, chosen, strict=True):
        merged[n] = value
    return merged


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Second derivatives, shaped ``out.shape + x.shape + x.shape``. torch composes
    jacfwd(jacrev(func)); here forward mode cannot see through a backward pass (the dual
    tensors' history is not the engine's), so it is jacrev(jacrev(func)): the same matrix."""
    return jacrev(jacrev(func, argnums), argnums)
