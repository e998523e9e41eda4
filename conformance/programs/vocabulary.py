"""The op forms generated programs are made of, written once for programs and the catalogue.

Each ``Form`` is a Python expression over its differentiable operands ``x`` (and ``y``) and the
non-differentiable tensors it takes (``AUX``: a bool ``mask``, an int64 ``index``/``rows``/
``classes``, a float ``target``/``probs``), with what it needs of them:

- ``domain`` / ``domain_y``: the values an operand must have (``positive`` for log/sqrt,
  ``unit`` for asin/atanh). A program meets it by passing the operand through ``GUARDS``
  (``(x.abs() + 0.5).log()``); the catalogue case makes the input of that kind (``pos``);
- ``arity``, ``partner`` (how ``y``'s shape relates to ``x``'s), ``min_dims``/``max_dims``/
  ``min_first`` and ``shape`` (the result's shape rule, ``grammar.result_shape``);
- ``smooth``: whether the derivative is the plain one wherever a program evaluates it (kinks,
  ties and argmax choices are not), so the finite-difference oracle may judge it;
- ``view``: never drawn under no_grad (docs/semantics.md §5.6).

``FORMS`` is the whole vocabulary: the grammar draws from it, and ``cases/op_derivatives.py``
derives one ``vocabulary_<name>`` case per form from it, so a form added here is both drawn in
programs and checked alone at a fixed shape.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

#: What a program passes an operand through to meet a domain.
GUARDS: dict[str, str] = {
    "real": "{}",
    "positive": "({}.abs() + 0.5)",
    "unit": "({}.tanh() * 0.9)",
}
#: The non-differentiable tensors a form may take, and their dtype (``None``: the dtype of
#: ``x``). ``mask``: the shape of the result of the operands; ``index``: the shape of ``x``,
#: values in ``[0, x.shape[0])``; ``rows``: two such values; ``classes``: ``x.shape[:-1]``,
#: values in ``[0, x.shape[-1])``; ``target``: the shape of ``x``, leaf-like values;
#: ``probs``: the shape of ``x``, values in [0, 1].
AUX: dict[str, str | None] = {
    "mask": "bool",
    "index": "int64",
    "rows": "int64",
    "classes": "int64",
    "target": None,
    "probs": None,
}


@dataclass(frozen=True)
class Form:
    """One op form: its expression and what its operands must be (see the module docstring)."""

    expr: str
    arity: int = 1
    shape: str = "same"
    partner: str = "broadcast"
    aux: tuple[str, ...] = ()
    domain: str = "real"
    domain_y: str = "real"
    smooth: bool = True
    view: bool = False
    min_dims: int = 0
    max_dims: int = 8
    min_first: int = 1
    to_double: bool = False
    #: The operands must have one dtype (torch does not promote them).
    same_dtype: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The expression's tensor names in argument order: operands, then aux tensors."""
        return ("x", "y")[: self.arity] + self.aux

    @functools.cached_property
    def program_expr(self) -> str:
        """The expression a program evaluates: each operand passed through its guard."""
        guards = {"x": GUARDS[self.domain], "y": GUARDS[self.domain_y]}
        return re.sub(r"\b([xy])\b", lambda m: guards[m.group(1)].format(m.group(1)), self.expr)


_NN = "torch.nn.functional"

#: The vocabulary (insertion order is the order the grammar offers them in). Withheld, as
#: reference_impl differs from torch 2.13 on them in generated programs: gelu, elu, leaky_relu,
#: hardtanh, logsigmoid, smooth_l1_loss (their double backward is not one ``*BackwardBackward0``
#: node), torch.outer (its gradients' node names), ``x[rows]`` (IndexBackward0 does not save the
#: index, so writing it is not seen) and ``max(dim).values`` (does not save the indices); and
#: ``x.expand(2, *x.shape)`` (a view with stride 0: reshaping it, or writing its base in place
#: before backward, differ); sinh, whose float32 rounding grows with its argument past the
#: tolerances at the values programs reach (``(x ** 3 + 1).sinh()``).
FORMS: dict[str, Form] = {
    # -- pointwise unary
    "neg": Form("-x"),
    "exp": Form("x.exp()"),
    "expm1": Form("x.expm1()"),
    "tanh": Form("x.tanh()"),
    "sigmoid": Form("torch.sigmoid(x)"),
    "sin": Form("x.sin()"),
    "cos": Form("x.cos()"),
    "atan": Form("x.atan()"),
    "erf": Form("x.erf()"),
    "abs": Form("x.abs()", smooth=False),
    "relu": Form("x.relu()", smooth=False),
    "sign": Form("x.sign()", smooth=False),
    "square": Form("x ** 2"),
    "cube": Form("x.pow(3)"),
    "scale": Form("x * 2.5"),
    "shift": Form("x + 1"),
    "rsub": Form("2 - x"),
    "log": Form("x.log()", domain="positive"),
    "log1p": Form("x.log1p()", domain="positive"),
    "sqrt": Form("x.sqrt()", domain="positive"),
    "rsqrt": Form("x.rsqrt()", domain="positive"),
    "reciprocal": Form("x.reciprocal()", domain="positive"),
    "pow_half": Form("x ** 1.5", domain="positive"),
    "rdiv": Form("2 / x", domain="positive"),
    "asin": Form("x.asin()", domain="unit"),
    "atanh": Form("x.atanh()", domain="unit"),
    "clamp": Form("x.clamp(-1.0, 1.0)", smooth=False),
    "clamp_min": Form("x.clamp_min(0.2)", smooth=False),
    "clone": Form("x.clone()"),
    "double": Form("x.double()", to_double=True),
    # -- activations
    "softplus": Form(f"{_NN}.softplus(x)"),
    "silu": Form(f"{_NN}.silu(x)"),
    "softmax": Form("x.softmax(-1)", min_dims=1),
    "log_softmax": Form(f"{_NN}.log_softmax(x, -1)", min_dims=1),
    # -- pointwise binary
    "add": Form("x + y", 2, "broadcast"),
    "sub": Form("x - y", 2, "broadcast"),
    "mul": Form("x * y", 2, "broadcast"),
    "add_alpha": Form("torch.add(x, y, alpha=2)", 2, "broadcast"),
    "div": Form("x / y", 2, "broadcast", domain_y="positive"),
    "pow": Form("x ** y", 2, "broadcast", domain="positive"),
    "maximum": Form("torch.maximum(x, y)", 2, "broadcast", smooth=False),
    "minimum": Form("torch.minimum(x, y)", 2, "broadcast", smooth=False),
    "where_gt": Form("torch.where(x > y, x, y)", 2, "broadcast", smooth=False),
    "lerp": Form("torch.lerp(x, y, 0.25)", 2, "broadcast", same_dtype=True),
    "atan2": Form("torch.atan2(x, y)", 2, "broadcast", domain_y="positive"),
    # -- reductions
    "sum": Form("x.sum()", shape="scalar"),
    "mean": Form("x.mean()", shape="scalar"),
    "sum0": Form("x.sum(0)", shape="drop0", min_dims=1),
    "mean_last": Form("x.mean(-1)", shape="droplast", min_dims=1),
    "sum_keepdim": Form("x.sum(-1, keepdim=True)", shape="keeplast", min_dims=1),
    "prod": Form("x.prod()", shape="scalar", min_dims=1),
    "prod_last": Form("x.prod(-1)", shape="droplast", min_dims=1),
    "amax": Form("x.amax(-1)", shape="droplast", min_dims=1, smooth=False),
    "amin0": Form("x.amin(0)", shape="drop0", min_dims=1, smooth=False),
    "max": Form("x.max()", shape="scalar", smooth=False),
    "logsumexp": Form("x.logsumexp(-1)", shape="droplast", min_dims=1),
    "var": Form("x.var(correction=0)", shape="scalar"),
    "norm": Form("x.norm()", shape="scalar", smooth=False),
    "cumsum": Form("x.cumsum(-1)", min_dims=1),
    # -- shapes and views
    "t": Form("x.t()", shape="t", view=True, min_dims=2, max_dims=2),
    "transpose": Form("x.transpose(0, 1)", shape="swap01", view=True, min_dims=2),
    "unsqueeze": Form("x.unsqueeze(0)", shape="unsqueeze", view=True, max_dims=2),
    "unsqueeze_last": Form("x.unsqueeze(-1)", shape="unsqueeze_last", view=True, max_dims=2),
    "flatten": Form("x.reshape(-1)", shape="flatten", view=True),
    "squeeze": Form("x.squeeze()", shape="squeeze", view=True),
    "select": Form("x[0]", shape="select", view=True, min_dims=1),
    "slice": Form("x[1:]", shape="slice", view=True, min_dims=1, min_first=2),
    "narrow": Form("x.narrow(0, 0, 1)", shape="first1", view=True, min_dims=1),
    "flip": Form("x.flip(0)", min_dims=1),
    "cat": Form("torch.cat([x, y])", 2, "double0", partner="equal", min_dims=1),
    "stack": Form("torch.stack([x, y])", 2, "stack", partner="equal", max_dims=2),
    # -- matrix products
    "gram": Form("x @ x.t()", shape="gram", min_dims=2, max_dims=2),
    "gram_t": Form("x.t() @ x", shape="gram_t", min_dims=2, max_dims=2),
    # -- with a non-differentiable tensor argument
    "where": Form("torch.where(mask, x, y)", 2, "broadcast", aux=("mask",), smooth=False),
    "masked_fill": Form("x.masked_fill(mask, 0.0)", aux=("mask",), smooth=False),
    "gather": Form("x.gather(0, index)", aux=("index",), min_dims=1),
    "scatter_add": Form(
        "x.scatter_add(0, index, y)",
        2,
        "same",
        partner="equal",
        aux=("index",),
        min_dims=1,
        same_dtype=True,
    ),
    "index_select": Form("x.index_select(0, rows)", shape="rows", aux=("rows",), min_dims=1),
    "nll_loss": Form(
        f"{_NN}.nll_loss(x, classes)", shape="scalar", aux=("classes",), min_dims=1, max_dims=2
    ),
    "cross_entropy": Form(
        f"{_NN}.cross_entropy(x, classes)",
        shape="scalar",
        aux=("classes",),
        min_dims=1,
        max_dims=2,
    ),
    "mse_loss": Form(f"{_NN}.mse_loss(x, target)", shape="scalar", aux=("target",)),
    "l1_loss": Form(f"{_NN}.l1_loss(x, target)", shape="scalar", aux=("target",), smooth=False),
    "bce_with_logits": Form(
        f"{_NN}.binary_cross_entropy_with_logits(x, probs)", shape="scalar", aux=("probs",)
    ),
}


def aux_layout(kind: str, shapes: list[tuple[int, ...]]) -> tuple[tuple[int, ...], int]:
    """The shape of the ``kind`` tensor a form takes with operands of ``shapes``, and the bound
    its int64 values stay under (0 for the other dtypes). See ``AUX``."""
    x = shapes[0]
    if kind == "mask":
        return _broadcast_shape(shapes), 0
    if kind == "index":
        return x, x[0]
    if kind == "rows":
        return (2,), x[0]
    if kind == "classes":
        return x[:-1], x[-1]
    return x, 0


def _broadcast_shape(shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + s for s in shapes]
    return tuple(max(sides) for sides in zip(*padded, strict=True))


def aux_values(kind: str, shape: tuple[int, ...], high: int, seed: int) -> np.ndarray:
    """The values of an aux tensor, drawn from ``seed`` alone (two decimals for floats)."""
    rng = np.random.default_rng(seed)
    if kind == "mask":
        return rng.random(shape) < 0.5
    if AUX[kind] == "int64":
        return rng.integers(0, high, shape)
    if kind == "probs":
        return np.round(rng.uniform(0.0, 1.0, shape), 2)
    return np.round(rng.uniform(-1.5, 1.5, shape), 2)
