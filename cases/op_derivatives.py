"""Op derivatives: value, weighted-sum gradient and grad_fn of every op form reference_impl has.

Each form is plain data (``FORMS``): its inputs (made by ``make`` in the case's dtype), a Python
expression over them, and optionally fixed weights and expected values. One case per form and
dtype (``exp_float32``, ``exp_float64``) runs the expression, observes the output (value, dtype,
shape, grad_fn) and, when it requires grad, backpropagates ``sum(out * w)`` with a seeded ``w``
of the output's shape (``weight="ones"``: plain ``out.sum()``) and observes every input's grad.
The "edge" forms pin down ties, zeros and boundaries (docs/semantics.md §13), with the numbers
torch printed as expectations.

Each generated case function is ``_op_case`` with its own ``FORM`` and ``DTYPE`` globals, so
``conformance show`` prints them as constants next to ``run_form``.
"""

import types

from conformance import Inputs, Raised, capture
from conformance.case import register
from conformance.expressions import call_expression
from conformance.programs import vocabulary

AREA = "op_derivatives"
DTYPES = ("float32", "float64")
INF = "inf"
NINF = "-inf"
NAN = "nan"

# Kinds of input: float kinds take a shape (or data), are made in the case's dtype, and
# require grad unless their name starts with "c" (constant).
#   randn / crandn: standard normal · pos / cpos: uniform [0.5, 2) · unit / cunit: uniform
#   [-0.9, 0.9) · rand / crand: uniform [0, 1) · data / cdata: the exact values given (numbers
#   or "inf", "-inf", "nan") · long: int64 data · bool: bool data.
GRAD_KINDS = ("randn", "pos", "unit", "rand", "data")


def _float(v):
    """Numbers as they are; "inf", "-inf" and "nan" strings as floats (nested lists too)."""
    if isinstance(v, list | tuple):
        return [_float(i) for i in v]
    return float(v)


def make_input(make, kind, arg, dtype):
    """One input of a form, made by ``make`` (see the kinds above)."""
    grad = kind in GRAD_KINDS
    base = kind if grad else kind[1:]
    if kind == "long":
        return make.tensor(arg, dtype="int64")
    if kind == "bool":
        return make.tensor(arg, dtype="bool")
    if base == "randn":
        return make.randn(*arg, dtype=dtype, requires_grad=grad)
    if base == "pos":
        return make.uniform(*arg, low=0.5, high=2.0, dtype=dtype, requires_grad=grad)
    if base == "unit":
        return make.uniform(*arg, low=-0.9, high=0.9, dtype=dtype, requires_grad=grad)
    if base == "rand":
        return make.rand(*arg, dtype=dtype, requires_grad=grad)
    if base == "data":
        return make.tensor(_float(arg), dtype=dtype, requires_grad=grad)
    raise ValueError(f"unknown input kind {kind!r}")


def run_form(torch, make, form, dtype):
    """Evaluate ``form["expr"]`` on its inputs; backprop the weighted sum; observe it all."""
    env = {
        "torch": torch,
        "F": torch.nn.functional,
        "nn": torch.nn,
        "inf": float("inf"),
    }
    grad_inputs = []
    for name, kind, arg in form["inputs"]:
        env[name] = make_input(make, kind, arg, dtype)
        if kind in GRAD_KINDS:
            grad_inputs.append(name)
    out = capture(lambda: call_expression(form["expr"], env))
    if isinstance(out, Raised):
        return {"out": out}
    outs = out if isinstance(out, tuple | list) else (out,)
    total = None
    for o in outs:
        if not o.requires_grad:
            continue
        if form.get("weight") == "ones":
            term = o.sum()
        elif "weight" in form:
            term = (o * make.tensor(_float(form["weight"]), dtype=o.dtype)).sum()
        else:
            term = (o * make.randn(*o.shape, dtype=o.dtype)).sum()
        total = term if total is None else total + term
    if total is not None:
        total.backward()
    return {"out": out, "grad": {name: env[name].grad for name in grad_inputs}}


FORM = {"inputs": (), "expr": "None"}
DTYPE = "float32"


def _op_case(torch, make: Inputs):
    """Replaced per case by the form's docstring."""
    return run_form(torch, make, FORM, DTYPE)


def _form(name, doc, expr, *inputs, tags=(), weight=None, expect=None, dtypes=DTYPES):
    """One op form: the data a case needs plus its name, docstring, tags and expectations."""
    spec = {"inputs": tuple(inputs), "expr": expr}
    if weight is not None:
        spec["weight"] = weight
    return {
        "name": name,
        "doc": doc,
        "spec": spec,
        "tags": tuple(tags),
        "expect": expect,
        "dtypes": dtypes,
    }


def _x(*shape):
    return ("x", "randn", shape)


def _y(*shape):
    return ("y", "randn", shape)


X23 = _x(2, 3)
Y23 = _y(2, 3)
P23 = ("x", "pos", (2, 3))
X34 = _x(3, 4)

# -- pointwise unary -------------------------------------------------------------------------

UNARY = [
    _form("neg", "-x: NegBackward0", "-x", X23),
    _form("torch_neg", "torch.neg(x)", "torch.neg(x)", X23),
    _form("exp", "x.exp(): ExpBackward0", "x.exp()", X23),
    _form("torch_exp", "torch.exp(x)", "torch.exp(x)", X23),
    _form("log", "x.log() on positive x", "x.log()", P23),
    _form("sqrt", "x.sqrt() on positive x", "x.sqrt()", P23),
    _form("rsqrt", "x.rsqrt() on positive x", "x.rsqrt()", P23),
    _form("reciprocal", "x.reciprocal() on positive x", "x.reciprocal()", P23),
    _form("abs", "x.abs()", "x.abs()", X23),
    _form("abs_builtin", "abs(x) (Tensor.__abs__)", "abs(x)", X23),
    _form("sign", "x.sign(): zero gradient", "x.sign()", X23),
    _form("sin", "x.sin()", "x.sin()", X23),
    _form("cos", "x.cos()", "x.cos()", X23),
    _form("tanh", "x.tanh()", "x.tanh()", X23),
    _form("sigmoid", "x.sigmoid()", "x.sigmoid()", X23),
    _form("torch_sigmoid", "torch.sigmoid(x)", "torch.sigmoid(x)", X23),
    _form("relu", "x.relu()", "x.relu()", X23),
    _form("F_relu", "F.relu(x)", "F.relu(x)", X23),
    _form("F_sigmoid", "F.sigmoid(x)", "F.sigmoid(x)", X23),
    _form("F_tanh", "F.tanh(x)", "F.tanh(x)", X23),
    _form("square", "x.square(): PowBackward0", "x.square()", X23),
    _form("clone", "x.clone(): CloneBackward0", "x.clone()", X23),
    _form("pos_operator", "+x returns x itself", "+x", X23),
]

# -- pow -------------------------------------------------------------------------------------

POW = [
    _form("pow_2", "x ** 2: PowBackward0", "x ** 2", X23),
    _form("pow_2_5", "x.pow(2.5) on positive x", "x.pow(2.5)", P23),
    _form("pow_half", "x ** 0.5 on positive x", "x ** 0.5", P23),
    _form("pow_negative", "x ** -1.5 on positive x", "x ** -1.5", P23),
    _form("pow_0", "x ** 0: ones, zero gradient", "x ** 0", X23),
    _form("torch_pow_scalar", "torch.pow(x, 3)", "torch.pow(x, 3)", X23),
    _form("pow_tensor", "x ** y (both tensors): PowBackward1", "x ** y", P23, Y23),
    _form(
        "pow_tensor_const",
        "x.pow(y) with y constant: PowBackward1",
        "x.pow(y)",
        P23,
        ("y", "crandn", (2, 3)),
    ),
    _form(
        "pow_tensor_0d",
        "x.pow(tensor(2.)) (0-d constant exponent)",
        "x.pow(e)",
        X23,
        ("e", "cdata", 2.0),
    ),
    _form("pow_scalar_base", "2 ** x: PowBackward2", "2 ** x", X23),
    _form("torch_pow_scalar_base", "torch.pow(2.5, x)", "torch.pow(2.5, x)", X23),
]

# -- binary, scalars, broadcasting -----------------------------------------------------------

BINARY = [
    _form("add", "x + y: AddBackward0", "x + y", X23, Y23),
    _form("sub", "x - y: SubBackward0", "x - y", X23, Y23),
    _form("mul", "x * y: MulBackward0", "x * y", X23, Y23),
    _form("div", "x / y with positive y: DivBackward0", "x / y", X23, ("y", "pos", (2, 3))),
    _form("torch_add_alpha", "torch.add(x, y, alpha=2)", "torch.add(x, y, alpha=2)", X23, Y23),
    _form("sub_alpha", "x.sub(y, alpha=2)", "x.sub(y, alpha=2)", X23, Y23),
    _form("torch_mul", "torch.mul(x, y)", "torch.mul(x, y)", X23, Y23),
    _form("torch_div", "torch.div(x, y)", "torch.div(x, y)", X23, ("y", "pos", (2, 3))),
    _form("add_const", "x + c with c constant", "x + c", X23, ("c", "crandn", (2, 3))),
    _form("mul_const", "x * c with c constant", "x * c", X23, ("c", "crandn", (2, 3))),
    _form("add_scalar", "x + 2", "x + 2", X23),
    _form("radd_scalar", "2 + x", "2 + x", X23),
    _form("sub_scalar", "x - 2", "x - 2", X23),
    _form("rsub_scalar", "2 - x: RsubBackward1", "2 - x", X23),
    _form("mul_scalar", "x * 2", "x * 2", X23),
    _form("rmul_scalar", "2 * x", "2 * x", X23),
    _form("div_scalar", "x / 2", "x / 2", X23),
    _form("rdiv_scalar", "2 / x: reciprocal then mul", "2 / x", P23),
    _form("add_broadcast_row", "(2,3) + (3,): y's grad summed over rows", "x + y", X23, _y(3)),
    _form("mul_broadcast_outer", "(2,1) * (1,3): both grads summed", "x * y", _x(2, 1), _y(1, 3)),
    _form(
        "div_broadcast_0d",
        "(2,3) / 0-d positive y",
        "x / y",
        X23,
        ("y", "data", 1.5),
    ),
    _form("sub_broadcast_both", "(3,) - (2,1): a (2,3) result", "x - y", _x(3), _y(2, 1)),
    _form("mul_broadcast_1", "(2,3) * (1,): y's grad keeps shape (1,)", "x * y", X23, _y(1)),
    _form("maximum", "torch.maximum(x, y)", "torch.maximum(x, y)", X23, Y23),
    _form("minimum", "torch.minimum(x, y)", "torch.minimum(x, y)", X23, Y23),
    _form("max_pairwise", "torch.max(x, y) (pairwise)", "torch.max(x, y)", X23, Y23),
    _form("maximum_broadcast", "torch.maximum((2,3), (3,))", "torch.maximum(x, y)", X23, _y(3)),
]

# -- where, clamp, masked_fill, dtype conversion ---------------------------------------------

MASK23 = ("m", "bool", [[True, False, True], [False, False, True]])

SELECT = [
    _form("where", "torch.where(m, x, y)", "torch.where(m, x, y)", MASK23, X23, Y23),
    _form("where_scalar", "torch.where(m, x, 0.)", "torch.where(m, x, 0.0)", MASK23, X23),
    _form("where_scalar_first", "torch.where(m, 0., x)", "torch.where(m, 0.0, x)", MASK23, X23),
    _form("where_method", "x.where(m, y)", "x.where(m, y)", MASK23, X23, Y23),
    _form(
        "where_broadcast",
        "torch.where(m, x, y) with y (1,): y's grad summed",
        "torch.where(m, x, y)",
        MASK23,
        X23,
        _y(1),
    ),
    _form("clamp", "x.clamp(-0.5, 0.5): ClampBackward1", "x.clamp(-0.5, 0.5)", X23),
    _form("clamp_min_kw", "x.clamp(min=0)", "x.clamp(min=0)", X23),
    _form("clamp_max_kw", "x.clamp(max=0)", "x.clamp(max=0)", X23),
    _form("torch_clamp", "torch.clamp(x, -1, 1)", "torch.clamp(x, -1, 1)", X23),
    _form("clip", "x.clip(-0.5, 0.5)", "x.clip(-0.5, 0.5)", X23),
    _form("clamp_min", "x.clamp_min(0.2): ClampMinBackward0", "x.clamp_min(0.2)", X23),
    _form("clamp_max", "x.clamp_max(0.2): ClampMaxBackward0", "x.clamp_max(0.2)", X23),
    _form(
        "clamp_tensor_bounds",
        "x.clamp(min=lo, max=hi) with grad-requiring tensor bounds: ClampBackward0",
        "x.clamp(min=lo, max=hi)",
        X23,
        ("lo", "data", [-0.5, -0.3, -0.1]),
        ("hi", "data", [0.1, 0.3, 0.5]),
    ),
    _form(
        "clamp_tensor_min_const",
        "x.clamp(min=c) with a constant tensor bound",
        "x.clamp(min=c)",
        X23,
        ("c", "crandn", (2, 3)),
    ),
    _form("masked_fill", "x.masked_fill(m, 0.)", "x.masked_fill(m, 0.0)", MASK23, X23),
    _form("to_float64", "x.to(torch.float64)", "x.to(torch.float64)", X23),
    _form("double", "x.double()", "x.double()", X23),
    _form("float", "x.float()", "x.float()", X23),
    _form("to_same_dtype", "x.to(x.dtype) returns x itself", "x.to(x.dtype)", X23),
]

# -- reductions ------------------------------------------------------------------------------

REDUCTIONS = [
    _form("sum", "x.sum(): SumBackward0", "x.sum()", X34),
    _form("sum_dim0", "x.sum(0): SumBackward1", "x.sum(0)", X34),
    _form("sum_dim1_keepdim", "x.sum(1, keepdim=True)", "x.sum(1, keepdim=True)", X34),
    _form("sum_dims", "x.sum((0, 1))", "x.sum((0, 1))", X34),
    _form("sum_neg_dim", "x.sum(-1)", "x.sum(-1)", X34),
    _form("torch_sum_dim", "torch.sum(x, dim=0)", "torch.sum(x, dim=0)", X34),
    _form("sum_dtype64", "x.sum(dtype=torch.float64)", "x.sum(dtype=torch.float64)", X34),
    _form("mean", "x.mean(): MeanBackward0", "x.mean()", X34),
    _form("mean_dim1", "x.mean(1): MeanBackward1", "x.mean(1)", X34),
    _form("mean_dim0_keepdim", "x.mean(0, keepdim=True)", "x.mean(0, keepdim=True)", X34),
    _form("mean_dims", "x.mean((0, 1))", "x.mean((0, 1))", X34),
    _form("torch_mean", "torch.mean(x)", "torch.mean(x)", X34),
    _form("max", "x.max(): MaxBackward1", "x.max()", X34),
    _form("min", "x.min(): MinBackward1", "x.min()", X34),
    _form("max_dim", "x.max(1): values and indices", "x.max(1)", X34),
    _form("min_dim_keepdim", "x.min(0, keepdim=True)", "x.min(0, keepdim=True)", X34),
    _form("max_dim_values", "x.max(dim=1).values: MaxBackward0", "x.max(dim=1).values", X34),
    _form("amax", "x.amax(): AmaxBackward0", "x.amax()", X34),
    _form("amax_dim", "x.amax(1)", "x.amax(1)", X34),
    _form("amin_dim", "x.amin(0)", "x.amin(0)", X34),
    _form("amax_dims", "x.amax((0, 1))", "x.amax((0, 1))", X34),
    _form("argmax", "x.argmax(1): int64, no grad", "x.argmax(1)", X34),
    _form("argmin", "torch.argmin(x): int64, no grad", "torch.argmin(x)", X34),
    _form("prod", "x.prod() on positive x: ProdBackward0", "x.prod()", ("x", "pos", (3, 4))),
    _form("prod_dim", "x.prod(1): ProdBackward1", "x.prod(1)", ("x", "pos", (3, 4))),
    _form(
        "prod_dim_keepdim",
        "x.prod(0, keepdim=True)",
        "x.prod(0, keepdim=True)",
        ("x", "pos", (3, 4)),
    ),
    _form("norm", "x.norm(): LinalgVectorNormBackward0", "x.norm()", X34),
    _form("norm_p1", "x.norm(p=1)", "x.norm(p=1)", X34),
    _form("norm_p3", "x.norm(p=3)", "x.norm(p=3)", X34),
    _form("norm_dim", "x.norm(dim=1)", "x.norm(dim=1)", X34),
    _form("norm_fro", "x.norm(p='fro')", "x.norm(p='fro')", X34),
    _form("vector_norm", "torch.linalg.vector_norm(x)", "torch.linalg.vector_norm(x)", X34),
    _form(
        "vector_norm_inf",
        "torch.linalg.vector_norm(x, ord=inf)",
        "torch.linalg.vector_norm(x, ord=inf)",
        X34,
    ),
    _form(
        "vector_norm_dim_keepdim",
        "torch.linalg.vector_norm(x, ord=1, dim=0, keepdim=True)",
        "torch.linalg.vector_norm(x, ord=1, dim=0, keepdim=True)",
        X34,
    ),
    _form("linalg_norm", "torch.linalg.norm(x) of a vector", "torch.linalg.norm(x)", _x(5)),
    _form("var", "x.var(): VarBackward0", "x.var()", X34),
    _form("var_dim", "x.var(1)", "x.var(1)", X34),
    _form("var_correction0", "x.var(0, correction=0)", "x.var(0, correction=0)", X34),
    _form(
        "var_biased_keepdim",
        "x.var(1, unbiased=False, keepdim=True)",
        "x.var(1, unbiased=False, keepdim=True)",
        X34,
    ),
    _form("std", "x.std(): StdBackward0", "x.std()", X34),
    _form("std_dim", "x.std(1)", "x.std(1)", X34),
    _form("std_correction0", "x.std(0, correction=0)", "x.std(0, correction=0)", X34),
    _form("var_mean", "torch.var_mean(x, 1): one VarMeanBackward0", "torch.var_mean(x, 1)", X34),
    _form("logsumexp", "x.logsumexp(1): LogsumexpBackward0", "x.logsumexp(1)", X34),
    _form("logsumexp_keepdim", "x.logsumexp(0, keepdim=True)", "x.logsumexp(0, keepdim=True)", X34),
    _form("torch_logsumexp_dims", "torch.logsumexp(x, (0, 1))", "torch.logsumexp(x, (0, 1))", X34),
]

# -- matmul ranks ----------------------------------------------------------------------------

MATMUL = [
    _form(
        "mm",
        "a @ b, 2-D @ 2-D: MmBackward0",
        "a @ b",
        ("a", "randn", (2, 3)),
        ("b", "randn", (3, 4)),
    ),
    _form(
        "torch_mm",
        "torch.mm(a, b)",
        "torch.mm(a, b)",
        ("a", "randn", (2, 3)),
        ("b", "randn", (3, 4)),
    ),
    _form(
        "mm_const",
        "a @ B with B constant",
        "a @ b",
        ("a", "randn", (2, 3)),
        ("b", "crandn", (3, 4)),
    ),
    _form(
        "mv",
        "torch.mv(a, v): MvBackward0",
        "torch.mv(a, v)",
        ("a", "randn", (2, 3)),
        ("v", "randn", (3,)),
    ),
    _form(
        "matmul_2d_1d", "a @ v, 2-D @ 1-D", "a @ v", ("a", "randn", (2, 3)), ("v", "randn", (3,))
    ),
    _form(
        "dot",
        "torch.dot(v, u): DotBackward0",
        "torch.dot(v, u)",
        ("v", "randn", (3,)),
        ("u", "randn", (3,)),
    ),
    _form("matmul_1d_1d", "v @ u, 1-D @ 1-D", "v @ u", ("v", "randn", (3,)), ("u", "randn", (3,))),
    _form(
        "bmm",
        "torch.bmm(A, B): BmmBackward0",
        "torch.bmm(a, b)",
        ("a", "randn", (2, 3, 4)),
        ("b", "randn", (2, 4, 5)),
    ),
    _form(
        "matmul_3d_3d",
        "A @ B, 3-D @ 3-D: UnsafeViewBackward0 over bmm",
        "a @ b",
        ("a", "randn", (2, 3, 4)),
        ("b", "randn", (2, 4, 5)),
    ),
    _form(
        "matmul_3d_2d",
        "A @ W, 3-D @ 2-D",
        "a @ b",
        ("a", "randn", (2, 3, 4)),
        ("b", "randn", (4, 5)),
    ),
    _form(
        "matmul_3d_1d",
        "A @ v, 3-D @ 1-D",
        "a @ v",
        ("a", "randn", (2, 3, 4)),
        ("v", "randn", (4,)),
    ),
    _form(
        "matmul_1d_2d",
        "v @ W, 1-D @ 2-D: SqueezeBackward4",
        "v @ b",
        ("v", "randn", (3,)),
        ("b", "randn", (3, 4)),
    ),
    _form(
        "matmul_2d_3d",
        "M @ B, 2-D @ 3-D",
        "a @ b",
        ("a", "randn", (3, 4)),
        ("b", "randn", (2, 4, 5)),
    ),
    _form(
        "matmul_1d_3d",
        "v @ B, 1-D @ 3-D",
        "v @ b",
        ("v", "randn", (4,)),
        ("b", "randn", (2, 4, 5)),
    ),
    _form(
        "matmul_batch_broadcast",
        "(2,3,4) @ (1,4,5): batch dim broadcast",
        "a @ b",
        ("a", "randn", (2, 3, 4)),
        ("b", "randn", (1, 4, 5)),
    ),
    _form(
        "torch_matmul",
        "torch.matmul(a, b) 2-D",
        "torch.matmul(a, b)",
        ("a", "randn", (2, 3)),
        ("b", "randn", (3, 4)),
    ),
    _form(
        "outer",
        "torch.outer(v, u)",
        "torch.outer(v, u)",
        ("v", "randn", (3,)),
        ("u", "randn", (4,)),
    ),
    _form(
        "linear_bias",
        "F.linear(x, W, b), 2-D input: AddmmBackward0",
        "F.linear(x, w, b)",
        ("x", "randn", (2, 4)),
        ("w", "randn", (5, 4)),
        ("b", "randn", (5,)),
    ),
    _form(
        "linear_no_bias",
        "F.linear(x, W), 2-D input",
        "F.linear(x, w)",
        ("x", "randn", (2, 4)),
        ("w", "randn", (5, 4)),
    ),
    _form(
        "linear_1d_bias",
        "F.linear(x, W, b), 1-D input",
        "F.linear(x, w, b)",
        ("x", "randn", (4,)),
        ("w", "randn", (5, 4)),
        ("b", "randn", (5,)),
    ),
    _form(
        "linear_1d_no_bias",
        "F.linear(x, W), 1-D input",
        "F.linear(x, w)",
        ("x", "randn", (4,)),
        ("w", "randn", (5, 4)),
    ),
    _form(
        "linear_3d_bias",
        "F.linear(x, W, b), 3-D input",
        "F.linear(x, w, b)",
        ("x", "randn", (2, 3, 4)),
        ("w", "randn", (5, 4)),
        ("b", "randn", (5,)),
    ),
    _form(
        "linear_3d_no_bias",
        "F.linear(x, W), 3-D input",
        "F.linear(x, w)",
        ("x", "randn", (2, 3, 4)),
        ("w", "randn", (5, 4)),
    ),
]

# -- shape ops -------------------------------------------------------------------------------

X234 = _x(2, 3, 4)

SHAPE = [
    _form("view", "x.view(3, 2): ViewBackward0", "x.view(3, 2)", X23),
    _form("view_flat", "x.view(-1)", "x.view(-1)", X23),
    _form("reshape", "x.reshape(3, 2)", "x.reshape(3, 2)", X23),
    _form("reshape_noncontiguous", "x.t().reshape(-1): a copy", "x.t().reshape(-1)", X23),
    _form("torch_reshape", "torch.reshape(x, (6,))", "torch.reshape(x, (6,))", X23),
    _form("flatten", "x.flatten()", "x.flatten()", X234),
    _form("flatten_start", "torch.flatten(x, 1)", "torch.flatten(x, 1)", X234),
    _form("flatten_noncontiguous", "x.t().flatten()", "x.t().flatten()", X23),
    _form("flatten_1d", "x.flatten() of 1-D returns x", "x.flatten()", _x(4)),
    _form("squeeze", "x.squeeze(): SqueezeBackward0", "x.squeeze()", _x(2, 1, 3)),
    _form("squeeze_dim", "x.squeeze(1): SqueezeBackward1", "x.squeeze(1)", _x(2, 1, 3)),
    _form("squeeze_noop", "x.squeeze(0) on a size-2 dim", "x.squeeze(0)", X23),
    _form("squeeze_dims", "x.squeeze((0, 2)): SqueezeBackward2", "x.squeeze((0, 2))", _x(1, 3, 1)),
    _form("unsqueeze", "x.unsqueeze(0)", "x.unsqueeze(0)", X23),
    _form("unsqueeze_last", "x.unsqueeze(-1)", "x.unsqueeze(-1)", X23),
    _form("transpose", "x.transpose(0, 1)", "x.transpose(0, 1)", X23),
    _form("transpose_3d", "x.transpose(0, 2)", "x.transpose(0, 2)", X234),
    _form("swapaxes", "x.swapaxes(0, 1)", "x.swapaxes(0, 1)", X23),
    _form("t", "x.t(): TBackward0", "x.t()", X23),
    _form("T", "x.T on 2-D: PermuteBackward0", "x.T", X23),
    _form("mT", "x.mT on 3-D: TransposeBackward0", "x.mT", X234),
    _form("permute", "x.permute(2, 0, 1)", "x.permute(2, 0, 1)", X234),
    _form("expand", "x.expand(2, 3) of (2, 1)", "x.expand(2, 3)", _x(2, 1)),
    _form("expand_new_dim", "x.expand(4, 2, 3): a new leading dim", "x.expand(4, 2, 3)", X23),
    _form("expand_keep", "x.expand(-1, 3) keeps dim 0", "x.expand(-1, 3)", _x(2, 1)),
    _form("expand_as", "x.expand_as(y)", "x.expand_as(y)", _x(3), ("y", "crandn", (2, 3))),
    _form("narrow", "x.narrow(1, 1, 2): SliceBackward0", "x.narrow(1, 1, 2)", X23),
    _form("select", "x.select(1, 0): SelectBackward0", "x.select(1, 0)", X23),
    _form("unbind", "x.unbind(1): UnbindBackward0 outputs", "x.unbind(1)", X23),
    _form("split", "x.split(2, dim=1): SplitBackward0 outputs", "x.split(2, dim=1)", _x(2, 5)),
    _form("split_sizes", "x.split([1, 2], dim=1)", "x.split([1, 2], dim=1)", X23),
    _form("chunk", "x.chunk(2, 0)", "x.chunk(2, 0)", _x(4, 2)),
    _form("cat", "torch.cat([x, y]): CatBackward0", "torch.cat([x, y])", X23, Y23),
    _form("cat_dim1", "torch.cat([x, y], dim=1)", "torch.cat([x, y], dim=1)", X23, _y(2, 2)),
    _form(
        "cat_const",
        "torch.cat([x, c]) with c constant",
        "torch.cat([x, c])",
        X23,
        ("c", "crandn", (1, 3)),
    ),
    _form("stack", "torch.stack([x, y]): StackBackward0", "torch.stack([x, y])", X23, Y23),
    _form("stack_dim1", "torch.stack([x, y], dim=1)", "torch.stack([x, y], dim=1)", X23, Y23),
    _form("contiguous_t", "x.t().contiguous(): CloneBackward0", "x.t().contiguous()", X23),
    _form("contiguous_noop", "x.contiguous() returns x", "x.contiguous()", X23),
    _form("view_as", "x.view_as(y)", "x.view_as(y)", _x(6), ("y", "crandn", (2, 3))),
    _form("reshape_as", "x.reshape_as(y)", "x.reshape_as(y)", _x(6), ("y", "crandn", (3, 2))),
]

# -- indexing --------------------------------------------------------------------------------

X43 = _x(4, 3)

INDEXING = [
    _form("index_int", "x[0]: SelectBackward0", "x[0]", X43),
    _form("index_negative", "x[-1]", "x[-1]", X43),
    _form("index_slice", "x[1:]: SliceBackward0", "x[1:]", X43),
    _form("index_step", "x[::2]", "x[::2]", X43),
    _form("index_column", "x[:, 1]", "x[:, 1]", X43),
    _form("index_two_ints", "x[0, 1]: two selects", "x[0, 1]", X43),
    _form("index_ellipsis_int", "x[..., 0]", "x[..., 0]", X43),
    _form("index_none", "x[None]: UnsqueezeBackward0", "x[None]", X43),
    _form("index_none_middle", "x[:, None]", "x[:, None]", X43),
    _form("index_none_int", "x[None, 0]", "x[None, 0]", X43),
    _form("index_ellipsis", "x[...]: AliasBackward0", "x[...]", X43),
    _form("index_list", "x[[0, 2]]: IndexBackward0", "x[[0, 2]]", X43),
    _form("index_list_duplicates", "x[[0, 0, 1]]: duplicate rows add up", "x[[0, 0, 1]]", X43),
    _form("index_long_tensor", "x[i] with an int64 tensor", "x[i]", X43, ("i", "long", [3, 1])),
    _form(
        "index_long_2d",
        "x[i] with a 2-D int64 index",
        "x[i]",
        X43,
        ("i", "long", [[0, 1], [1, 3]]),
    ),
    _form(
        "index_mask_rows",
        "x[m] with a row mask",
        "x[m]",
        X43,
        ("m", "bool", [True, False, True, True]),
    ),
    _form(
        "index_mask_elements",
        "x[m] with an elementwise mask",
        "x[m]",
        _x(2, 3),
        MASK23,
    ),
    _form("index_pairs", "x[[0, 1], [1, 2]]", "x[[0, 1], [1, 2]]", X43),
    _form("index_slice_int", "x[1:3, 0]", "x[1:3, 0]", X43),
    _form("index_int_list", "x[0, [1, 2]]", "x[0, [1, 2]]", X43),
    _form("index_column_list", "x[:, [0]]", "x[:, [0]]", X43),
    _form("index_chain", "x[[0, 1]][:, 0]", "x[[0, 1]][:, 0]", X43),
    _form(
        "index_put",
        "x.index_put((i,), v): IndexPutBackward0",
        "x.index_put((i,), v)",
        X43,
        ("i", "long", [0, 2]),
        ("v", "randn", (3,)),
    ),
    _form(
        "index_put_accumulate",
        "x.index_put((i,), v, accumulate=True) with a repeated index",
        "x.index_put((i,), v, accumulate=True)",
        X43,
        ("i", "long", [1, 1]),
        ("v", "randn", (2, 3)),
    ),
]

# -- softmax and losses ----------------------------------------------------------------------

LABELS = ("t", "long", [2, 0, 1])
X33 = _x(3, 3)

LOSSES = [
    _form("softmax", "F.softmax(x, 1): SoftmaxBackward0", "F.softmax(x, 1)", X34),
    _form("softmax_dim0", "F.softmax(x, 0)", "F.softmax(x, 0)", X34),
    _form("softmax_3d_last", "F.softmax(x, -1) of 3-D", "F.softmax(x, -1)", X234),
    _form("softmax_method", "x.softmax(1)", "x.softmax(1)", X34),
    _form("log_softmax", "F.log_softmax(x, 1): LogSoftmaxBackward0", "F.log_softmax(x, 1)", X34),
    _form("log_softmax_method", "x.log_softmax(0)", "x.log_softmax(0)", X34),
    _form(
        "mse_loss",
        "F.mse_loss(x, t): MseLossBackward0",
        "F.mse_loss(x, t)",
        X23,
        ("t", "crandn", (2, 3)),
    ),
    _form(
        "mse_loss_sum",
        "F.mse_loss(x, t, reduction='sum')",
        "F.mse_loss(x, t, reduction='sum')",
        X23,
        ("t", "crandn", (2, 3)),
    ),
    _form(
        "mse_loss_none",
        "F.mse_loss(x, t, reduction='none')",
        "F.mse_loss(x, t, reduction='none')",
        X23,
        ("t", "crandn", (2, 3)),
    ),
    _form(
        "mse_loss_grad_target",
        "F.mse_loss(x, t) with t requiring grad",
        "F.mse_loss(x, t)",
        X23,
        ("t", "randn", (2, 3)),
    ),
    _form(
        "mse_loss_module", "nn.MSELoss()(x, t)", "nn.MSELoss()(x, t)", X23, ("t", "crandn", (2, 3))
    ),
    _form("l1_loss", "F.l1_loss(x, t)", "F.l1_loss(x, t)", X23, ("t", "crandn", (2, 3))),
    _form(
        "l1_loss_sum",
        "F.l1_loss(x, t, reduction='sum')",
        "F.l1_loss(x, t, reduction='sum')",
        X23,
        ("t", "crandn", (2, 3)),
    ),
    _form(
        "l1_loss_none",
        "F.l1_loss(x, t, reduction='none')",
        "F.l1_loss(x, t, reduction='none')",
        X23,
        ("t", "crandn", (2, 3)),
    ),
    _form(
        "bce_with_logits",
        "F.binary_cross_entropy_with_logits(x, p)",
        "F.binary_cross_entropy_with_logits(x, p)",
        X23,
        ("p", "crand", (2, 3)),
    ),
    _form(
        "bce_with_logits_sum",
        "binary_cross_entropy_with_logits, reduction='sum'",
        "F.binary_cross_entropy_with_logits(x, p, reduction='sum')",
        X23,
        ("p", "crand", (2, 3)),
    ),
    _form(
        "bce_with_logits_none",
        "binary_cross_entropy_with_logits, reduction='none'",
        "F.binary_cross_entropy_with_logits(x, p, reduction='none')",
        X23,
        ("p", "crand", (2, 3)),
    ),
    _form(
        "bce_with_logits_weight",
        "binary_cross_entropy_with_logits with weight",
        "F.binary_cross_entropy_with_logits(x, p, weight=wt)",
        X23,
        ("p", "crand", (2, 3)),
        ("wt", "cpos", (3,)),
    ),
    _form(
        "bce_with_logits_pos_weight",
        "binary_cross_entropy_with_logits with pos_weight",
        "F.binary_cross_entropy_with_logits(x, p, pos_weight=pw)",
        X23,
        ("p", "crand", (2, 3)),
        ("pw", "cpos", (3,)),
    ),
    _form(
        "bce_with_logits_module",
        "nn.BCEWithLogitsLoss()(x, p)",
        "nn.BCEWithLogitsLoss()(x, p)",
        X23,
        ("p", "crand", (2, 3)),
    ),
    _form("nll_loss", "F.nll_loss(x, t): NllLossBackward0", "F.nll_loss(x, t)", X33, LABELS),
    _form(
        "nll_loss_of_log_softmax",
        "F.nll_loss(F.log_softmax(x, 1), t)",
        "F.nll_loss(F.log_softmax(x, 1), t)",
        X33,
        LABELS,
    ),
    _form(
        "nll_loss_sum",
        "F.nll_loss(x, t, reduction='sum')",
        "F.nll_loss(x, t, reduction='sum')",
        X33,
        LABELS,
    ),
    _form(
        "nll_loss_none",
        "F.nll_loss(x, t, reduction='none')",
        "F.nll_loss(x, t, reduction='none')",
        X33,
        LABELS,
    ),
    _form(
        "nll_loss_weight",
        "F.nll_loss(x, t, weight=wt)",
        "F.nll_loss(x, t, weight=wt)",
        X33,
        LABELS,
        ("wt", "cpos", (3,)),
    ),
    _form(
        "nll_loss_ignore_index",
        "F.nll_loss(x, t, ignore_index=0)",
        "F.nll_loss(x, t, ignore_index=0)",
        X33,
        LABELS,
    ),
    _form(
        "cross_entropy",
        "F.cross_entropy(x, t): NllLossBackward0",
        "F.cross_entropy(x, t)",
        X33,
        LABELS,
    ),
    _form(
        "cross_entropy_sum",
        "F.cross_entropy(x, t, reduction='sum')",
        "F.cross_entropy(x, t, reduction='sum')",
        X33,
        LABELS,
    ),
    _form(
        "cross_entropy_none",
        "F.cross_entropy(x, t, reduction='none')",
        "F.cross_entropy(x, t, reduction='none')",
        X33,
        LABELS,
    ),
    _form(
        "cross_entropy_weight",
        "F.cross_entropy(x, t, weight=wt)",
        "F.cross_entropy(x, t, weight=wt)",
        X33,
        LABELS,
        ("wt", "cpos", (3,)),
    ),
    _form(
        "cross_entropy_ignore_index",
        "F.cross_entropy(x, t, ignore_index=0)",
        "F.cross_entropy(x, t, ignore_index=0)",
        X33,
        LABELS,
    ),
    _form(
        "cross_entropy_label_smoothing",
        "F.cross_entropy(x, t, label_smoothing=0.1)",
        "F.cross_entropy(x, t, label_smoothing=0.1)",
        X33,
        LABELS,
    ),
    _form(
        "cross_entropy_probs",
        "F.cross_entropy(x, p) with probability targets",
        "F.cross_entropy(x, p)",
        X33,
        ("p", "crand", (3, 3)),
    ),
    _form(
        "cross_entropy_probs_sum",
        "F.cross_entropy(x, p, reduction='sum') with probability targets",
        "F.cross_entropy(x, p, reduction='sum')",
        X33,
        ("p", "crand", (3, 3)),
    ),
    _form(
        "cross_entropy_1d",
        "F.cross_entropy of a 1-D input and a 0-d target",
        "F.cross_entropy(x, t)",
        _x(4),
        ("t", "long", 2),
    ),
    _form(
        "cross_entropy_module",
        "nn.CrossEntropyLoss()(x, t)",
        "nn.CrossEntropyLoss()(x, t)",
        X33,
        LABELS,
    ),
]

# -- edge values (semantics §13) -------------------------------------------------------------


def _edge(name, doc, expr, *inputs, expect=None, weight="ones", dtypes=DTYPES):
    return _form(
        name, doc, expr, *inputs, tags=("edge",), weight=weight, expect=expect, dtypes=dtypes
    )


def _d(name, values):
    return (name, "data", values)


CE_X = _d("x", [[1.0, 2.0, 3.0], [1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
CE_T = ("t", "long", [2, 0, 1])
NLL_LP = _d("x", [[-1.0, -2.0, -3.0], [-0.5, -1.5, -2.5], [-3.0, -2.0, -1.0]])
NLL_T = ("t", "long", [0, 1, 2])
W123 = ("wt", "cdata", [1.0, 2.0, 3.0])
THIRD = 1.0 / 3.0

EDGES = [
    _edge(
        "max_ties",
        "x.max() with a tie: the grad is shared evenly",
        "x.max()",
        _d("x", [1.0, 3.0, 3.0]),
        expect={"out": 3.0, "grad.x": [0.0, 0.5, 0.5]},
    ),
    _edge(
        "max_all_equal",
        "x.max() of [3,3,3]: a third each",
        "x.max()",
        _d("x", [3.0, 3.0, 3.0]),
        expect={"grad.x": [THIRD, THIRD, THIRD]},
    ),
    _edge(
        "min_ties",
        "x.min() of [1,1,3]",
        "x.min()",
        _d("x", [1.0, 1.0, 3.0]),
        expect={"grad.x": [0.5, 0.5, 0.0]},
    ),
    _edge(
        "amax_ties",
        "x.amax() of [1,3,3]",
        "x.amax()",
        _d("x", [1.0, 3.0, 3.0]),
        expect={"grad.x": [0.0, 0.5, 0.5]},
    ),
    _edge(
        "amin_ties",
        "x.amin() of [1,1,3]",
        "x.amin()",
        _d("x", [1.0, 1.0, 3.0]),
        expect={"grad.x": [0.5, 0.5, 0.0]},
    ),
    _edge(
        "amax_dim_ties",
        "x.amax(0): ties split evenly per slice",
        "x.amax(0)",
        _d("x", [[1.0, 5.0], [3.0, 5.0], [3.0, 2.0]]),
        expect={"out": [3.0, 5.0], "grad.x": [[0.0, 0.5], [0.5, 0.5], [0.5, 0.0]]},
    ),
    _edge(
        "max_dim_ties_first_index",
        "x.max(dim=0): the first index of a tie takes all the grad",
        "x.max(dim=0)",
        _d("x", [[1.0, 5.0], [3.0, 5.0], [3.0, 2.0]]),
        expect={"out.0": [3.0, 5.0], "out.1": [1, 0], "grad.x": [[0, 1], [1, 0], [0, 0]]},
    ),
    _edge(
        "argmax_ties",
        "argmax of [1,3,3] is the first index",
        "x.argmax()",
        _d("x", [1.0, 3.0, 3.0]),
        expect={"out": 1},
    ),
    _edge(
        "maximum_ties",
        "torch.maximum with a tie: 0.5 to each side",
        "torch.maximum(x, y)",
        _d("x", [1.0, 2.0, 3.0]),
        _d("y", [1.0, 5.0, 0.0]),
        expect={"out": [1.0, 5.0, 3.0], "grad.x": [0.5, 0.0, 1.0], "grad.y": [0.5, 1.0, 0.0]},
    ),
    _edge(
        "minimum_ties",
        "torch.minimum with a tie: 0.5 to each side",
        "torch.minimum(x, y)",
        _d("x", [1.0, 2.0, 3.0]),
        _d("y", [1.0, 5.0, 0.0]),
        expect={"grad.x": [0.5, 1.0, 0.0], "grad.y": [0.5, 0.0, 1.0]},
    ),
    _edge(
        "abs_at_zero",
        "abs at [-1,0,1]: grad 0 at 0",
        "x.abs()",
        _d("x", [-1.0, 0.0, 1.0]),
        expect={"grad.x": [-1.0, 0.0, 1.0]},
    ),
    _edge(
        "relu_at_zero",
        "relu at [-1,0,1]: grad 0 at 0",
        "x.relu()",
        _d("x", [-1.0, 0.0, 1.0]),
        expect={"grad.x": [0.0, 0.0, 1.0]},
    ),
    _edge(
        "sign_at_zero",
        "sign at [-1,0,1]: zero grads",
        "x.sign()",
        _d("x", [-1.0, 0.0, 1.0]),
        expect={"out": [-1.0, 0.0, 1.0], "grad.x": [0.0, 0.0, 0.0]},
    ),
    _edge(
        "clamp_boundaries_inclusive",
        "clamp(0, 1) passes the grad at both boundaries",
        "x.clamp(0, 1)",
        _d("x", [-0.5, 0.0, 0.5, 1.0, 1.5]),
        expect={"grad.x": [0.0, 1.0, 1.0, 1.0, 0.0]},
    ),
    _edge(
        "clamp_min_at_bound",
        "clamp(min=0) at 0 passes the grad",
        "x.clamp(min=0)",
        _d("x", [-1.0, 0.0, 1.0]),
        expect={"grad.x": [0.0, 1.0, 1.0]},
    ),
    _edge(
        "clamp_max_at_bound",
        "clamp(max=1) at 1 passes the grad",
        "x.clamp(max=1)",
        _d("x", [0.0, 1.0, 2.0]),
        expect={"grad.x": [1.0, 1.0, 0.0]},
    ),
    _edge(
        "clamp_min_method_at_bound",
        "clamp_min(0) at 0 passes the grad",
        "x.clamp_min(0)",
        _d("x", [-1.0, 0.0, 1.0]),
        expect={"grad.x": [0.0, 1.0, 1.0]},
    ),
    _edge(
        "clamp_tensor_bounds_ties",
        "clamp with tensor bounds: ties go to x",
        "x.clamp(min=lo, max=hi)",
        _d("x", [-1.0, 0.0, 0.5, 1.0, 2.0]),
        _d("lo", [0.0, 0.0, 0.0, 0.0, 0.0]),
        _d("hi", [1.0, 1.0, 1.0, 1.0, 1.0]),
        expect={
            "grad.x": [0.0, 1.0, 1.0, 1.0, 0.0],
            "grad.lo": [1.0, 0.0, 0.0, 0.0, 0.0],
            "grad.hi": [0.0, 0.0, 0.0, 0.0, 1.0],
        },
    ),
    _edge(
        "clamp_min_above_max",
        "clamp(1, 0): everything becomes max, no grad",
        "x.clamp(1, 0)",
        _d("x", [-1.0, 0.5, 2.0]),
        expect={"out": [0.0, 0.0, 0.0], "grad.x": [0.0, 0.0, 0.0]},
    ),
    _edge(
        "sqrt_at_zero",
        "sqrt at 0: grad inf; at -1: nan",
        "x.sqrt()",
        _d("x", [0.0, 1.0, -1.0]),
        expect={"out": [0.0, 1.0, float("nan")], "grad.x": [float("inf"), 0.5, float("nan")]},
    ),
    _edge(
        "pow_half_at_zero",
        "x ** 0.5 at 0: grad inf",
        "x ** 0.5",
        _d("x", [0.0, 4.0]),
        expect={"grad.x": [float("inf"), 0.25]},
    ),
    _edge(
        "rsqrt_at_zero",
        "rsqrt at 0: out inf, grad -inf",
        "x.rsqrt()",
        _d("x", [0.0, 4.0]),
        expect={"out": [float("inf"), 0.5], "grad.x": [float("-inf"), -0.0625]},
    ),
    _edge(
        "reciprocal_at_zero",
        "reciprocal at 0: out inf, grad -inf",
        "x.reciprocal()",
        _d("x", [0.0, 2.0]),
        expect={"out": [float("inf"), 0.5], "grad.x": [float("-inf"), -0.25]},
    ),
    _edge(
        "rdiv_at_zero",
        "1 / x at 0: out inf, grad -inf",
        "1 / x",
        _d("x", [0.0, 2.0]),
        expect={"out": [float("inf"), 0.5], "grad.x": [float("-inf"), -0.25]},
    ),
    _edge(
        "div_self_at_zero",
        "x / x at 0: nan and a nan grad",
        "x / x",
        _d("x", [0.0, 2.0]),
        expect={"out": [float("nan"), 1.0], "grad.x": [float("nan"), 0.0]},
    ),
    _edge(
        "mul_zero_times_inf",
        "inf * 0: out nan, grad 0",
        "x * 0",
        _d("x", [INF, 1.0]),
        expect={"out": [float("nan"), 0.0], "grad.x": [0.0, 0.0]},
    ),
    _edge(
        "log_at_zero_and_negative",
        "log at 0: -inf, grad inf; at -1: nan, grad -1",
        "x.log()",
        _d("x", [0.0, -1.0, 1.0]),
        expect={"out": [float("-inf"), float("nan"), 0.0], "grad.x": [float("inf"), -1.0, 1.0]},
    ),
    _edge(
        "norm_of_zeros",
        "x.norm() of zeros: 0 and a zero grad (no nan)",
        "x.norm()",
        _d("x", [0.0, 0.0, 0.0]),
        expect={"out": 0.0, "grad.x": [0.0, 0.0, 0.0]},
    ),
    _edge(
        "norm_p3_of_zeros",
        "x.norm(p=3) of zeros: zero grad",
        "x.norm(p=3)",
        _d("x", [0.0, 0.0]),
        expect={"grad.x": [0.0, 0.0]},
    ),
    _edge(
        "norm_dim_zero_column",
        "norm(dim=0) with a zero column: its grad is 0",
        "x.norm(dim=0)",
        _d("x", [[0.0, 3.0], [0.0, 4.0]]),
        expect={"out": [0.0, 5.0], "grad.x": [[0.0, 0.6], [0.0, 0.8]]},
    ),
    _edge(
        "norm_p1_sign",
        "norm(p=1) at [0,1,-2]: the grad is sign(x)",
        "x.norm(p=1)",
        _d("x", [0.0, 1.0, -2.0]),
        expect={"grad.x": [0.0, 1.0, -1.0]},
    ),
    _edge(
        "vector_norm_inf_ties",
        "vector_norm(ord=inf) of [1,-3,3]: ties split, sign kept",
        "torch.linalg.vector_norm(x, ord=inf)",
        _d("x", [1.0, -3.0, 3.0]),
        expect={"out": 3.0, "grad.x": [0.0, -0.5, 0.5]},
    ),
    _edge(
        "norm_with_a_zero",
        "norm of [0,3]: grad [0,1]",
        "x.norm()",
        _d("x", [0.0, 3.0]),
        expect={"grad.x": [0.0, 1.0]},
    ),
    _edge(
        "prod_one_zero",
        "prod of [2,0,3]: only the zero gets a grad",
        "x.prod()",
        _d("x", [2.0, 0.0, 3.0]),
        expect={"out": 0.0, "grad.x": [0.0, 6.0, 0.0]},
    ),
    _edge(
        "prod_two_zeros",
        "prod of [2,0,0]: all grads zero",
        "x.prod()",
        _d("x", [2.0, 0.0, 0.0]),
        expect={"grad.x": [0.0, 0.0, 0.0]},
    ),
    _edge(
        "prod_no_zero",
        "prod of [2,4,3]",
        "x.prod()",
        _d("x", [2.0, 4.0, 3.0]),
        expect={"out": 24.0, "grad.x": [12.0, 6.0, 8.0]},
    ),
    _edge(
        "prod_dim_zeros",
        "prod(0) with zeros in the columns",
        "x.prod(0)",
        _d("x", [[2.0, 0.0], [0.0, 0.0], [3.0, 1.0]]),
        expect={"out": [0.0, 0.0], "grad.x": [[0.0, 0.0], [6.0, 0.0], [0.0, 0.0]]},
    ),
    _edge(
        "std_single_element",
        "std() of one element: nan, grad nan",
        "x.std()",
        _d("x", [2.0]),
        expect={"out": float("nan"), "grad.x": [float("nan")]},
    ),
    _edge(
        "var_single_element",
        "var() of one element: nan, grad nan",
        "x.var()",
        _d("x", [2.0]),
        expect={"out": float("nan"), "grad.x": [float("nan")]},
    ),
    _edge(
        "std_dim_single_row",
        "std(0) of a (1,3): nan",
        "x.std(0)",
        _d("x", [[1.0, 2.0, 3.0]]),
    ),
    _edge(
        "std_correction0_single",
        "std(correction=0) of one element: 0, grad 0",
        "x.std(correction=0)",
        _d("x", [2.0]),
        expect={"out": 0.0, "grad.x": [0.0]},
    ),
    _edge(
        "std_constant",
        "std() of a constant: 0 and a zero grad (no nan)",
        "x.std()",
        _d("x", [2.0, 2.0, 2.0]),
        expect={"out": 0.0, "grad.x": [0.0, 0.0, 0.0]},
    ),
    _edge(
        "std_dim_constant_column",
        "std(0) with a constant column",
        "x.std(0)",
        _d("x", [[1.0, 2.0], [1.0, 4.0]]),
        expect={"out": [0.0, 1.4142135], "grad.x": [[0.0, -0.70710677], [0.0, 0.70710677]]},
    ),
    _edge(
        "var_pair",
        "var of [1,3]: 2, grad [-2,2]",
        "x.var()",
        _d("x", [1.0, 3.0]),
        expect={"out": 2.0, "grad.x": [-2.0, 2.0]},
    ),
    _edge(
        "pow_zero_exponent_at_zero",
        "x ** 0 at [0,2]: ones, zero grads",
        "x ** 0",
        _d("x", [0.0, 2.0]),
        expect={"out": [1.0, 1.0], "grad.x": [0.0, 0.0]},
    ),
    _edge(
        "pow_2_at_zero",
        "x ** 2 at 0: grad 0",
        "x ** 2",
        _d("x", [0.0, 1.0]),
        expect={"grad.x": [0.0, 2.0]},
    ),
    _edge(
        "pow_negative_at_zero",
        "x ** -1. at 0: out inf, grad -inf",
        "x ** -1.0",
        _d("x", [0.0, 2.0]),
        expect={"out": [float("inf"), 0.5], "grad.x": [float("-inf"), -0.25]},
    ),
    _edge(
        "pow_tensor_edges",
        "x ** y at zero and negative bases: grad_y masked where x == 0 and y >= 0",
        "x ** y",
        _d("x", [0.0, 0.0, 0.0, 0.0, -2.0, -2.0]),
        _d("y", [2.0, 0.0, 0.5, -1.0, 2.0, 0.5]),
        expect={
            "out": [0.0, 1.0, 0.0, float("inf"), 4.0, float("nan")],
            "grad.x": [0.0, 0.0, float("inf"), float("-inf"), -4.0, float("nan")],
            "grad.y": [0.0, 0.0, 0.0, float("-inf"), float("nan"), float("nan")],
        },
    ),
    _edge(
        "pow_zero_base",
        "torch.pow(0., y) at y=[0,1,2]: zero grads",
        "torch.pow(0.0, y)",
        _d("y", [0.0, 1.0, 2.0]),
        expect={"out": [1.0, 0.0, 0.0], "grad.y": [0.0, 0.0, 0.0]},
    ),
    _edge(
        "pow_two_base",
        "torch.pow(2., y): grad 2**y * ln 2",
        "torch.pow(2.0, y)",
        _d("y", [0.0, 1.0]),
        expect={"grad.y": [0.6931471824645996, 1.3862943649291992]},
    ),
    _edge(
        "sigmoid_extremes",
        "sigmoid at ±20, ±100, ±800: saturates without nan",
        "x.sigmoid()",
        _d("x", [-800.0, -100.0, -20.0, 0.0, 20.0, 100.0, 800.0]),
    ),
    _edge(
        "tanh_extremes",
        "tanh at ±100: grad 0",
        "x.tanh()",
        _d("x", [-100.0, 0.0, 100.0]),
        expect={"out": [-1.0, 0.0, 1.0], "grad.x": [0.0, 1.0, 0.0]},
    ),
    _edge(
        "exp_overflow",
        "exp(100) and exp(1000): inf in float32",
        "x.exp()",
        _d("x", [100.0, 1000.0]),
    ),
    _edge(
        "logsumexp_neg_inf",
        "logsumexp(0) of [-inf, 0, 1]",
        "x.logsumexp(0)",
        _d("x", [NINF, 0.0, 1.0]),
        expect={"out": 1.31326162815094, "grad.x": [0.0, 0.26894143, 0.7310586]},
    ),
    _edge(
        "logsumexp_all_neg_inf",
        "logsumexp of all -inf: -inf, grads nan",
        "x.logsumexp(0)",
        _d("x", [NINF, NINF]),
        expect={"out": float("-inf"), "grad.x": [float("nan"), float("nan")]},
    ),
    _edge(
        "logsumexp_pos_inf",
        "logsumexp of [inf, 0]: inf, grad [nan, 0]",
        "x.logsumexp(0)",
        _d("x", [INF, 0.0]),
        expect={"out": float("inf"), "grad.x": [float("nan"), 0.0]},
    ),
    _edge(
        "logsumexp_large",
        "logsumexp of [1000, 1000]: no overflow",
        "x.logsumexp(0)",
        _d("x", [1000.0, 1000.0]),
    ),
    _edge(
        "softmax_neg_inf",
        "softmax of [-inf, 0, 1] weighted [1, 2, 3]",
        "x.softmax(0)",
        _d("x", [NINF, 0.0, 1.0]),
        weight=[1.0, 2.0, 3.0],
        expect={"grad.x": [0.0, -0.19661194, 0.19661193]},
    ),
    _edge(
        "softmax_all_neg_inf",
        "softmax of all -inf: nan",
        "x.softmax(0)",
        _d("x", [NINF, NINF]),
        expect={"out": [float("nan"), float("nan")]},
    ),
    _edge(
        "log_softmax_neg_inf",
        "log_softmax of [-inf, 0, 1] weighted [0, 1, 2]",
        "x.log_softmax(0)",
        _d("x", [NINF, 0.0, 1.0]),
        weight=[0.0, 1.0, 2.0],
    ),
    _edge(
        "where_log_nan_trap",
        "where(x > 0, x.log(), 0) at 0: the grad is nan (0 * inf)",
        "torch.where(x > 0, x.log(), 0.0)",
        _d("x", [0.0, 1.0]),
        expect={"out": [0.0, 0.0], "grad.x": [float("nan"), 1.0]},
    ),
    _edge(
        "where_sqrt_nan_trap",
        "where(x > 0, x.sqrt(), 0) at 0: nan grad",
        "torch.where(x > 0, x.sqrt(), 0.0)",
        _d("x", [0.0, 4.0]),
        expect={"grad.x": [float("nan"), 0.25]},
    ),
    _edge(
        "where_broadcast_other",
        "where(c, x, y) with y (1,): y's grad summed",
        "torch.where(c, x, y)",
        ("c", "bool", [True, False, True]),
        _d("x", [1.0, 2.0, 3.0]),
        _d("y", [5.0]),
        expect={"grad.x": [1.0, 0.0, 1.0], "grad.y": [1.0]},
    ),
    _edge(
        "empty_sum",
        "sum of an empty tensor: 0, empty grad",
        "x.sum()",
        _d("x", []),
        expect={"out": 0.0},
    ),
    _edge(
        "empty_mean",
        "mean of an empty tensor: nan",
        "x.mean()",
        _d("x", []),
        expect={"out": float("nan")},
    ),
    _edge("empty_prod", "prod of an empty tensor: 1", "x.prod()", _d("x", []), expect={"out": 1.0}),
    _edge(
        "empty_max_errors",
        "max of an empty tensor raises",
        "x.max()",
        _d("x", []),
        expect={"out": "RuntimeError"},
    ),
    _edge(
        "l1_loss_at_zero",
        "l1_loss where input equals target: grad 0",
        "F.l1_loss(x, t)",
        _d("x", [0.0, 1.0]),
        ("t", "cdata", [0.0, 0.0]),
        expect={"grad.x": [0.0, 0.5]},
    ),
    _edge(
        "bce_with_logits_extremes",
        "binary_cross_entropy_with_logits at ±100",
        "F.binary_cross_entropy_with_logits(x, p)",
        _d("x", [100.0, -100.0, 0.0]),
        ("p", "cdata", [0.0, 1.0, 1.0]),
        expect={"out": 66.89771270751953, "grad.x": [THIRD, -THIRD, -1.0 / 6.0]},
    ),
    _edge(
        "cross_entropy_table",
        "cross_entropy of the probe table",
        "F.cross_entropy(x, t)",
        CE_X,
        CE_T,
        expect={
            "out": 0.6379413604736328,
            "grad.x": [
                [0.0300102, 0.0815762, -0.1115863],
                [-0.1115863, 0.0815762, 0.0300102],
                [0.1111111, -0.2222222, 0.1111111],
            ],
        },
    ),
    _edge(
        "cross_entropy_table_ignore_index",
        "cross_entropy with ignore_index=0: mean over the other rows",
        "F.cross_entropy(x, t, ignore_index=0)",
        CE_X,
        CE_T,
        expect={"out": 0.7531090974807739},
    ),
    _edge(
        "cross_entropy_default_ignore_index",
        "cross_entropy with a -100 target: ignored by default",
        "F.cross_entropy(x, t)",
        CE_X,
        ("t", "long", [2, -100, 1]),
        expect={"out": 0.7531090974807739},
    ),
    _edge(
        "cross_entropy_all_ignored_mean",
        "cross_entropy with every target ignored (mean): nan, zero grad",
        "F.cross_entropy(x, t, ignore_index=0)",
        CE_X,
        ("t", "long", [0, 0, 0]),
        expect={"out": float("nan")},
    ),
    _edge(
        "cross_entropy_all_ignored_sum",
        "cross_entropy with every target ignored (sum): 0",
        "F.cross_entropy(x, t, ignore_index=0, reduction='sum')",
        CE_X,
        ("t", "long", [0, 0, 0]),
        expect={"out": 0.0},
    ),
    _edge(
        "cross_entropy_ignore_none",
        "cross_entropy reduction='none' with an ignored row: 0 there",
        "F.cross_entropy(x, t, ignore_index=0, reduction='none')",
        CE_X,
        CE_T,
        expect={"out": [0.40760594606399536, 0.0, 1.0986123085021973]},
    ),
    _edge(
        "cross_entropy_table_label_smoothing",
        "cross_entropy with label_smoothing=0.1",
        "F.cross_entropy(x, t, label_smoothing=0.1)",
        CE_X,
        CE_T,
        expect={"out": 0.7046080231666565},
    ),
    _edge(
        "cross_entropy_label_smoothing_none",
        "cross_entropy label_smoothing=0.1, reduction='none'",
        "F.cross_entropy(x, t, label_smoothing=0.1, reduction='none')",
        CE_X,
        CE_T,
        expect={"out": [0.5076059103012085, 0.5076059103012085, 1.0986123085021973]},
    ),
    _edge(
        "cross_entropy_label_smoothing_sum",
        "cross_entropy label_smoothing=0.1, reduction='sum'",
        "F.cross_entropy(x, t, label_smoothing=0.1, reduction='sum')",
        CE_X,
        CE_T,
        expect={"out": 2.1138241291046143},
    ),
    _edge(
        "cross_entropy_label_smoothing_ignore",
        "cross_entropy label_smoothing=0.1 with ignore_index=0",
        "F.cross_entropy(x, t, label_smoothing=0.1, ignore_index=0)",
        CE_X,
        CE_T,
        expect={"out": 0.8031090497970581},
    ),
    _edge(
        "cross_entropy_table_weight",
        "cross_entropy with class weights [1,2,3]",
        "F.cross_entropy(x, t, weight=wt)",
        CE_X,
        CE_T,
        W123,
        expect={"out": 0.6379414200782776},
    ),
    _edge(
        "cross_entropy_weight_label_smoothing",
        "cross_entropy with weights and label_smoothing=0.2",
        "F.cross_entropy(x, t, weight=wt, label_smoothing=0.2)",
        CE_X,
        CE_T,
        W123,
        expect={
            "out": 0.7712748050689697,
            "grad.x": [
                [0.0309032, 0.0919844, -0.1228875],
                [-0.0113962, 0.0267235, -0.0153272],
                [0.1, -0.1777778, 0.0777778],
            ],
        },
    ),
    _edge(
        "cross_entropy_weight_ignore",
        "cross_entropy with weights and ignore_index=0",
        "F.cross_entropy(x, t, weight=wt, ignore_index=0)",
        CE_X,
        CE_T,
        W123,
        expect={"out": 0.6840084791183472},
    ),
    _edge(
        "cross_entropy_prob_targets",
        "cross_entropy with probability targets",
        "F.cross_entropy(x, p)",
        CE_X,
        ("p", "cdata", [[0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]),
        expect={"out": 0.8046080470085144},
    ),
    _edge(
        "cross_entropy_prob_targets_smoothing",
        "cross_entropy with probability targets and label_smoothing=0.1",
        "F.cross_entropy(x, p, label_smoothing=0.1)",
        CE_X,
        ("p", "cdata", [[0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]),
        expect={"out": 0.8546080589294434},
    ),
    _edge(
        "cross_entropy_prob_targets_weight",
        "cross_entropy with probability targets and weights: divides by N",
        "F.cross_entropy(x, p, weight=wt)",
        CE_X,
        ("p", "cdata", [[0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]),
        W123,
        expect={"out": 1.7870116233825684},
    ),
    _edge(
        "nll_loss_table",
        "nll_loss of the probe table",
        "F.nll_loss(x, t)",
        NLL_LP,
        NLL_T,
        expect={
            "out": 1.1666666269302368,
            "grad.x": [[-THIRD, 0.0, 0.0], [0.0, -THIRD, 0.0], [0.0, 0.0, -THIRD]],
        },
    ),
    _edge(
        "nll_loss_table_weight",
        "nll_loss with weights [1,2,3]",
        "F.nll_loss(x, t, weight=wt)",
        NLL_LP,
        NLL_T,
        W123,
        expect={
            "out": 1.1666666269302368,
            "grad.x": [[-1 / 6, 0.0, 0.0], [0.0, -THIRD, 0.0], [0.0, 0.0, -0.5]],
        },
    ),
    _edge(
        "nll_loss_table_weight_sum",
        "nll_loss with weights, reduction='sum'",
        "F.nll_loss(x, t, weight=wt, reduction='sum')",
        NLL_LP,
        NLL_T,
        W123,
        expect={"out": 7.0, "grad.x": [[-1.0, 0.0, 0.0], [0.0, -2.0, 0.0], [0.0, 0.0, -3.0]]},
    ),
    _edge(
        "nll_loss_table_weight_none",
        "nll_loss with weights, reduction='none'",
        "F.nll_loss(x, t, weight=wt, reduction='none')",
        NLL_LP,
        NLL_T,
        W123,
        expect={"out": [1.0, 3.0, 3.0]},
    ),
    _edge(
        "nll_loss_table_weight_ignore",
        "nll_loss with weights and ignore_index=1",
        "F.nll_loss(x, t, weight=wt, ignore_index=1)",
        NLL_LP,
        NLL_T,
        W123,
        expect={"out": 1.0, "grad.x": [[-0.25, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, -0.75]]},
    ),
    _edge(
        "nll_loss_zero_weights",
        "nll_loss with all-zero weights: nan",
        "F.nll_loss(x, t, weight=wt)",
        NLL_LP,
        NLL_T,
        ("wt", "cdata", [0.0, 0.0, 0.0]),
        expect={"out": float("nan")},
    ),
]

# -- the program vocabulary ------------------------------------------------------------------

#: The input kind that meets each operand domain of ``conformance/programs/vocabulary.py``.
DOMAIN_KINDS = {"real": "randn", "positive": "pos", "unit": "unit"}
#: The catalogue kind of each aux tensor of the vocabulary.
AUX_KINDS = {"bool": "bool", "int64": "long", None: "cdata"}


def _vocabulary_form(name, form):
    """The case of one form of the program vocabulary: its raw expression at a fixed shape, on
    inputs of its domains, so each form generated programs draw is also checked alone."""
    rank = max(form.min_dims, min(2, form.max_dims))
    x = (2, 3)[2 - rank :]
    shapes = [x, (2,) if form.partner == "vector" else x][: form.arity]
    inputs = [("x", DOMAIN_KINDS[form.domain], x)]
    if form.arity == 2:
        inputs.append(("y", DOMAIN_KINDS[form.domain_y], shapes[1]))
    for kind in form.aux:
        shape, high = vocabulary.aux_layout(kind, shapes)
        values = vocabulary.aux_values(kind, shape, high, seed=0).tolist()
        inputs.append((kind, AUX_KINDS[vocabulary.AUX[kind]], values))
    doc = f"{form.expr}: a form of the generated programs' vocabulary"
    return _form(f"vocabulary_{name}", doc, form.expr, *inputs)


VOCABULARY = [_vocabulary_form(name, form) for name, form in vocabulary.FORMS.items()]

FORMS = (
    UNARY + POW + BINARY + SELECT + REDUCTIONS + MATMUL + SHAPE + INDEXING + LOSSES + EDGES
) + VOCABULARY

_GROUPS = (
    ("unary", UNARY),
    ("pow", POW),
    ("binary", BINARY),
    ("select", SELECT),
    ("reduction", REDUCTIONS),
    ("matmul", MATMUL),
    ("shape", SHAPE),
    ("indexing", INDEXING),
    ("loss", LOSSES),
    ("edge", EDGES),
    ("vocabulary", VOCABULARY),
)


def _register_forms():
    """One case per form and dtype: ``_op_case`` with the form's FORM and DTYPE globals."""
    for group, forms in _GROUPS:
        for form in forms:
            for dtype in form["dtypes"]:
                scope = {**globals(), "FORM": form["spec"], "DTYPE": dtype}
                name = f"{form['name']}_{dtype}"
                func = types.FunctionType(_op_case.__code__, scope, name)
                func.__doc__ = f"{form['doc']} ({dtype})"
                register(
                    func,
                    area=AREA,
                    tags=tuple(dict.fromkeys((group, dtype, *form["tags"]))),
                    expect=form["expect"],
                    name=name,
                )


_register_forms()
