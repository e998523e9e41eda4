"""Custom ``autograd.Function``: every ctx feature, the errors around backward's return value.

Each case defines its Function inside the case body on the backend's ``torch``. Covered:
save_for_backward (None, ints, calling twice, version checks), needs_input_grad, grad mode in
forward/backward, mark_dirty and its errors, mark_non_differentiable, materialized and
unmaterialized grads, once_differentiable, setup_context style, a missing backward, wrong
count/type/shape of grads, dtype casting, apply under no_grad and returning an input unchanged.
"""

from conformance import Inputs, capture, case

AREA = "custom_function"


def _fn_name(t):
    """The class name of ``t.grad_fn`` (None for a leaf)."""
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _square(torch):
    """A Function computing x*x that saves its input."""

    class Sq(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return Sq


# -- basics ----------------------------------------------------------------------------------


@case(area=AREA, tags=("basics",))
def square_function_value_grad_and_node_name(torch, make: Inputs):
    """A saved-input Function gives x*x, grad 2x, and a grad_fn class named SqBackward."""
    x = make.randn(3, requires_grad=True)
    y = _square(torch).apply(x)
    y.sum().backward()
    return {"y": y, "grad_fn": _fn_name(y), "x.grad": x.grad}


@case(area=AREA, tags=("basics",))
def weighted_backward_through_function(torch, make: Inputs):
    """The incoming grad reaches the custom backward: grad = 2x * w."""
    x = make.randn(2, 3, requires_grad=True)
    w = make.randn(2, 3)
    y = _square(torch).apply(x)
    (y * w).sum().backward()
    return {"y": y, "x.grad": x.grad}


@case(area=AREA, tags=("basics", "ctx"))
def ctx_is_the_grad_fn_node(torch, make: Inputs):
    """The ctx passed to forward is the very node that becomes the output's grad_fn."""
    seen = {}

    class Capture(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen["ctx"] = ctx
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Capture.apply(make.randn(2, requires_grad=True))
    return {"same": y.grad_fn is seen["ctx"], "grad_fn": _fn_name(y)}


@case(area=AREA, tags=("basics",))
def next_functions_of_custom_node(torch, make: Inputs):
    """A custom node has one edge per tensor input: AccumulateGrad, or None without grad."""

    class Mix(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    a = make.randn(2, requires_grad=True)
    b = make.randn(2)
    y = Mix.apply(a, b, 3.0)
    edges = tuple((None if n is None else type(n).__name__, i) for n, i in y.grad_fn.next_functions)
    return {"edges": edges}


@case(area=AREA, tags=("basics",))
def two_outputs_share_one_node(torch, make: Inputs):
    """A Function returning two tensors gives both the same grad_fn; grads from both add up."""

    class Split2(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    x = make.randn(3, requires_grad=True)
    a, b = Split2.apply(x)
    (a + b).sum().backward()
    return {
        "same_node": a.grad_fn is b.grad_fn,
        "output_nr": (a.output_nr, b.output_nr),
        "a": a,
        "b": b,
        "x.grad": x.grad,
    }


@case(area=AREA, tags=("basics", "ctx"))
def non_tensor_state_on_ctx(torch, make: Inputs):
    """Plain attributes set on ctx in forward are there in backward."""

    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = make.randn(3, requires_grad=True)
    y = Scale.apply(x, 2.5)
    y.sum().backward()
    return {"y": y, "x.grad": x.grad}


# -- save_for_backward -----------------------------------------------------------------------


@case(area=AREA, tags=("save_for_backward",))
def save_for_backward_accepts_none(torch, make: Inputs):
    """save_for_backward(x, None) gives back (x, None) in backward."""
    seen = {}

    class SaveNone(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            saved = ctx.saved_tensors
            seen["len"] = len(saved)
            seen["second_is_none"] = saved[1] is None
            return g * 2

    x = make.randn(2, requires_grad=True)
    SaveNone.apply(x).sum().backward()
    return {"seen": seen, "x.grad": x.grad}


@case(area=AREA, tags=("save_for_backward", "errors"))
def save_for_backward_int_raises_typeerror(torch, make: Inputs):
    """save_for_backward with an int raises TypeError naming the argument position."""

    class SaveInt(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = make.randn(2, requires_grad=True)
    return {"apply": capture(lambda: SaveInt.apply(x))}


@case(area=AREA, tags=("save_for_backward",))
def save_for_backward_twice_keeps_last_call(torch, make: Inputs):
    """Calling save_for_backward twice keeps only what the last call saved."""
    seen = {}

    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            ctx.save_for_backward(y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            saved = ctx.saved_tensors
            seen["len"] = len(saved)
            return g * saved[0], g * saved[0]

    x = make.randn(2, requires_grad=True)
    y = make.randn(2, requires_grad=True)
    Twice.apply(x, y).sum().backward()
    return {"seen": seen, "x.grad": x.grad, "y.grad": y.grad}


@case(area=AREA, tags=("save_for_backward", "version"))
def saved_input_modified_in_place_errors(torch, make: Inputs):
    """A saved non-leaf input changed in place after apply: the error names its grad_fn (Add)."""
    x = make.randn(2, requires_grad=True)
    a = x * 1
    y = _square(torch).apply(a)
    a.add_(1)
    return {"a._version": a._version, "backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("save_for_backward", "version"))
def saved_output_modified_in_place_errors(torch, make: Inputs):
    """A saved output changed in place: the error says it is output 0 of the Function (Exp)."""

    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = make.randn(2, 2, dtype="float64", requires_grad=True)
    y = Exp.apply(x)
    y.mul_(2)
    return {
        "y": y,
        "y._version": y._version,
        "backward": capture(lambda: y.sum().backward()),
    }


@case(area=AREA, tags=("save_for_backward", "version"))
def saved_plain_tensor_modified_in_place_errors(torch, make: Inputs):
    """A saved tensor without grad changed in place: the error has no 'which is output' part."""

    class MulConst(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, c):
            ctx.save_for_backward(c)
            return x * c

        @staticmethod
        def backward(ctx, g):
            (c,) = ctx.saved_tensors
            return g * c, None

    x = make.randn(3, requires_grad=True)
    c = make.randn(3)
    y = MulConst.apply(x, c)
    c.mul_(2)
    return {"c._version": c._version, "backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("save_for_backward", "retain_graph"))
def saved_tensors_freed_after_backward(torch, make: Inputs):
    """After backward, reading grad_fn.saved_tensors or a second backward raises."""
    x = make.randn(2, requires_grad=True)
    y = _square(torch).apply(x)
    s = y.sum()
    s.backward()
    return {
        "saved_tensors": capture(lambda: y.grad_fn.saved_tensors),
        "second_backward": capture(lambda: s.backward()),
        "x.grad": x.grad,
    }


@case(area=AREA, tags=("save_for_backward", "retain_graph"))
def retained_custom_graph_backwards_twice(torch, make: Inputs):
    """With retain_graph=True the custom node runs twice and the grads add up."""
    x = make.randn(2, requires_grad=True)
    s = _square(torch).apply(x).sum()
    s.backward(retain_graph=True)
    first = x.grad.clone()
    s.backward()
    return {"first": first, "x.grad": x.grad}


# -- needs_input_grad and grad mode ----------------------------------------------------------


@case(area=AREA, tags=("needs_input_grad", "ctx"))
def needs_input_grad_in_forward_and_backward(torch, make: Inputs):
    """needs_input_grad has one bool per forward argument (non-tensors False), same in both."""
    seen = []

    class Three(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen.append(ctx.needs_input_grad)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g, g, None

    a = make.randn(2, requires_grad=True)
    b = make.randn(2)
    Three.apply(a, b, 3).sum().backward()
    return {"forward": tuple(seen[0]), "backward": tuple(seen[1]), "a.grad": a.grad}


@case(area=AREA, tags=("grad_mode",))
def forward_runs_with_grad_disabled(torch, make: Inputs):
    """Inside forward grad mode is off: results computed there do not require grad."""
    seen = {}

    class Probe(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen["enabled"] = torch.is_grad_enabled()
            inner = x * 2
            seen["inner.requires_grad"] = inner.requires_grad
            return inner

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = Probe.apply(make.randn(2, requires_grad=True))
    return {"seen": seen, "y.requires_grad": y.requires_grad}


@case(area=AREA, tags=("grad_mode", "create_graph"))
def backward_grad_mode_follows_create_graph(torch, make: Inputs):
    """The custom backward runs with grad off, and with grad on under create_graph."""
    modes = []

    class Probe(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            modes.append(torch.is_grad_enabled())
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = make.randn(2, requires_grad=True)
    torch.autograd.grad(Probe.apply(x).sum(), x)
    (g,) = torch.autograd.grad(Probe.apply(x).sum(), x, create_graph=True)
    return {"modes": tuple(modes), "g": g}


@case(area=AREA, tags=("create_graph", "higher_order"))
def custom_backward_is_differentiable_under_create_graph(torch, make: Inputs):
    """Ops in a custom backward are recorded under create_graph: d/dx of 2x*g is 2."""
    x = make.randn(3, requires_grad=True)
    (g,) = torch.autograd.grad(_square(torch).apply(x).sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    return {"g": g, "gg": gg}


# -- mark_dirty ------------------------------------------------------------------------------


def _add_one_inplace(torch):
    """A Function adding 1 in place and marking its input dirty."""

    class AddOne(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    return AddOne


@case(area=AREA, tags=("mark_dirty",))
def mark_dirty_returns_the_input_object(torch, make: Inputs):
    """mark_dirty on a non-leaf: the result is the input object, rebased onto the Function."""
    x = make.randn(3, requires_grad=True)
    a = x * 2
    version_before = a._version
    out = _add_one_inplace(torch).apply(a)
    same = out is a
    grad_fn = _fn_name(a)
    (out * out).sum().backward()
    return {
        "same": same,
        "grad_fn": grad_fn,
        "versions": (version_before, a._version),
        "a": a,
        "x.grad": x.grad,
    }


@case(area=AREA, tags=("mark_dirty", "errors"))
def mark_dirty_on_grad_leaf_errors(torch, make: Inputs):
    """mark_dirty on a leaf that requires grad raises 'has been used in an in-place operation'."""
    x = make.randn(3, requires_grad=True)
    return {"apply": capture(lambda: _add_one_inplace(torch).apply(x))}


@case(area=AREA, tags=("mark_dirty",))
def mark_dirty_on_plain_tensor_with_grad_input(torch, make: Inputs):
    """A dirty input without grad, combined with a grad input, becomes a non-leaf output."""

    class AddInto(torch.autograd.Function):
        @staticmethod
        def forward(ctx, buf, x):
            buf.add_(x)
            ctx.mark_dirty(buf)
            return buf

        @staticmethod
        def backward(ctx, g):
            return g, g

    buf = make.randn(3)
    x = make.randn(3, requires_grad=True)
    out = AddInto.apply(buf, x)
    out.sum().backward()
    return {
        "same": out is buf,
        "buf": buf,
        "buf._version": buf._version,
        "x.grad": x.grad,
    }


@case(area=AREA, tags=("mark_dirty", "errors"))
def mark_dirty_not_returned_errors(torch, make: Inputs):
    """Marking an input dirty without returning it raises at apply time."""

    class Forgot(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = make.randn(3, requires_grad=True)
    a = x * 1
    return {"apply": capture(lambda: Forgot.apply(a))}


# -- outputs: non-differentiable, materialized grads, returned inputs -------------------------


@case(area=AREA, tags=("mark_non_differentiable",))
def mark_non_differentiable_output(torch, make: Inputs):
    """A non-differentiable output is a leaf without grad; its grad arrives as zeros."""
    seen = {}

    class TwoOut(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            a = x * 2
            b = x * 3
            ctx.mark_non_differentiable(b)
            return a, b

        @staticmethod
        def backward(ctx, ga, gb):
            seen["gb"] = gb.detach().clone()
            return ga * 2

    x = make.randn(3, requires_grad=True)
    a, b = TwoOut.apply(x)
    a.sum().backward()
    return {"a": a, "b": b, "gb": seen["gb"], "x.grad": x.grad}


@case(area=AREA, tags=("mark_non_differentiable",))
def integer_output_is_non_differentiable(torch, make: Inputs):
    """An integer output of a Function never requires grad, without marking."""

    class WithIndex(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x.argmax()

        @staticmethod
        def backward(ctx, g, gi):
            return g * 2

    x = make.randn(4, requires_grad=True)
    y, idx = WithIndex.apply(x)
    y.sum().backward()
    return {"y": y, "idx": idx, "x.grad": x.grad}


@case(area=AREA, tags=("materialize_grads",))
def unused_output_grad_arrives_as_zeros(torch, make: Inputs):
    """By default the grad of an output that was not used arrives as zeros of its shape."""
    seen = {}

    class TwoOut(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, (x * 3).sum()

        @staticmethod
        def backward(ctx, ga, gb):
            seen["gb"] = gb.detach().clone()
            return ga * 2 + gb * 3

    x = make.randn(3, requires_grad=True)
    a, _ = TwoOut.apply(x)
    a.sum().backward()
    return {"gb": seen["gb"], "x.grad": x.grad}


@case(area=AREA, tags=("materialize_grads",))
def set_materialize_grads_false_gives_none(torch, make: Inputs):
    """After ctx.set_materialize_grads(False) the grad of an unused output is None."""
    seen = {}

    class TwoOut(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            seen["ga_is_none"] = ga is None
            seen["gb_is_none"] = gb is None
            return ga * 2

    x = make.randn(3, requires_grad=True)
    a, _ = TwoOut.apply(x)
    a.sum().backward()
    return {"seen": seen, "x.grad": x.grad}


def _identity(torch):
    """A Function returning its input as-is (backward scales by 3)."""

    class Ident(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    return Ident


@case(area=AREA, tags=("outputs", "views"))
def returning_an_input_unchanged(torch, make: Inputs):
    """A Function returning its input as-is gives a new view of it, with the custom grad_fn."""
    x = make.randn(3, requires_grad=True)
    a = x * 1
    y = _identity(torch).apply(a)
    (y * 2).sum().backward()
    return {
        "same": y is a,
        "is_view": y._is_view(),
        "base_is_input": y._base is a,
        "y": y,
        "x.grad": x.grad,
    }


@case(area=AREA, tags=("outputs", "views", "errors"))
def input_returned_as_is_then_base_modified_errors(torch, make: Inputs):
    """Changing the base in place makes using the returned view raise (custom Function view)."""
    x = make.randn(3, requires_grad=True)
    a = x * 1
    y = _identity(torch).apply(a)
    a.add_(1)
    return {
        "versions": (a._version, y._version),
        "values": y.detach(),
        "grad_fn": capture(lambda: _fn_name(y)),
        "sum": capture(lambda: y.sum()),
    }


@case(area=AREA, tags=("outputs", "views", "errors"))
def input_returned_as_is_modified_in_place_errors(torch, make: Inputs):
    """An in-place op on the view a Function returned as-is raises 'is being modified inplace'."""
    x = make.randn(3, requires_grad=True)
    y = _identity(torch).apply(x * 1)
    return {"mul_": capture(lambda: y.mul_(2))}


@case(area=AREA, tags=("outputs",))
def returning_a_leaf_input_unchanged(torch, make: Inputs):
    """Returning a grad leaf as-is: the output is a non-leaf view of it; backward uses the node."""
    x = make.randn(3, requires_grad=True)
    y = _identity(torch).apply(x)
    same = y is x
    y.sum().backward()
    return {"same": same, "base_is_input": y._base is x, "y": y, "x.grad": x.grad}


# -- once_differentiable ---------------------------------------------------------------------


def _once_square(torch):
    """A Function whose backward is wrapped in @once_differentiable."""
    from_torch = torch.autograd.function.once_differentiable

    class Od(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @from_torch
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return Od


@case(area=AREA, tags=("once_differentiable",))
def once_differentiable_first_order_works(torch, make: Inputs):
    """A @once_differentiable backward gives ordinary first-order grads."""
    x = make.randn(3, requires_grad=True)
    y = _once_square(torch).apply(x)
    (y * 3).sum().backward()
    return {"y": y, "x.grad": x.grad}


@case(area=AREA, tags=("once_differentiable", "errors", "create_graph"))
def once_differentiable_double_backward_errors(torch, make: Inputs):
    """Differentiating through a once_differentiable grad that depends on x raises."""
    a = make.randn(3, requires_grad=True)
    y = _once_square(torch).apply(a)
    (g,) = torch.autograd.grad((y**2).sum(), a, create_graph=True)
    return {
        "g": g,
        "backward": capture(lambda: g.sum().backward()),
    }


@case(area=AREA, tags=("once_differentiable", "errors", "create_graph"))
def once_differentiable_constant_grad_path(torch, make: Inputs):
    """With a constant incoming grad the create_graph grad has no grad_fn; backward on it fails."""
    a = make.randn(3, requires_grad=True)
    (g,) = torch.autograd.grad(_once_square(torch).apply(a).sum(), a, create_graph=True)
    return {"g": g, "backward": capture(lambda: g.sum().backward())}


# -- setup_context style ---------------------------------------------------------------------


@case(area=AREA, tags=("setup_context",))
def setup_context_style_function(torch, make: Inputs):
    """forward(x, k) without ctx plus setup_context(ctx, inputs, output) works as the old style."""

    class Pow(torch.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x**k

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, k = inputs
            ctx.save_for_backward(x)
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ctx.k * x ** (ctx.k - 1), None

    x = make.uniform(3, low=0.5, high=2.0, requires_grad=True)
    y = Pow.apply(x, 3)
    y.sum().backward()
    return {"y": y, "grad_fn": _fn_name(y), "x.grad": x.grad}


@case(area=AREA, tags=("setup_context",))
def setup_context_sees_output(torch, make: Inputs):
    """setup_context receives forward's output and may save it for backward."""

    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = make.randn(3, requires_grad=True)
    w = make.randn(3)
    y = Exp.apply(x)
    (y * w).sum().backward()
    return {"y": y, "x.grad": x.grad}


# -- backward's return value: errors and conversions -----------------------------------------


@case(area=AREA, tags=("errors",))
def function_without_backward_raises_not_implemented(torch, make: Inputs):
    """A Function with no backward applies fine; backward raises NotImplementedError."""

    class NoBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = make.randn(2, requires_grad=True)
    y = NoBackward.apply(x)
    return {"y": y, "backward": capture(lambda: y.sum().backward())}


@case(area=AREA, tags=("errors", "grad_count"))
def too_many_grads_errors(torch, make: Inputs):
    """Returning two grads for one input raises 'returned an incorrect number of gradients'."""

    class TooMany(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, g * 2

    x = make.randn(2, requires_grad=True)
    return {"backward": capture(lambda: TooMany.apply(x).sum().backward()), "x.grad": x.grad}


@case(area=AREA, tags=("errors", "grad_count"))
def too_few_grads_errors(torch, make: Inputs):
    """Returning one grad for two tensor inputs raises the incorrect-number error."""

    class TooFew(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = make.randn(2, requires_grad=True)
    y = make.randn(2, requires_grad=True)
    return {"backward": capture(lambda: TooFew.apply(x, y).sum().backward())}


@case(area=AREA, tags=("grad_count",))
def extra_trailing_none_grads_accepted(torch, make: Inputs):
    """Extra trailing Nones after the real grads are accepted and ignored."""

    class ExtraNone(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = make.randn(2, requires_grad=True)
    ExtraNone.apply(x).sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("errors", "grad_count"))
def grad_for_non_tensor_input_errors(torch, make: Inputs):
    """A non-None grad for a non-tensor argument raises naming its (1-based) position."""

    class GradForNonTensor(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    x = make.randn(2, requires_grad=True)
    return {"backward": capture(lambda: GradForNonTensor.apply(x, 2.0).sum().backward())}


@case(area=AREA, tags=("errors", "grad_type"))
def grad_of_type_int_errors(torch, make: Inputs):
    """A backward returning the int 1 raises 'expected Variable or None (got int)'."""

    class ReturnsInt(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return 1

    x = make.randn(2, requires_grad=True)
    return {"backward": capture(lambda: ReturnsInt.apply(x).sum().backward())}


@case(area=AREA, tags=("errors", "grad_type"))
def grad_of_type_list_errors(torch, make: Inputs):
    """A backward returning a list raises 'expected Variable or None (got list)'."""

    class ReturnsList(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return [g * 2]

    x = make.randn(2, requires_grad=True)
    return {"backward": capture(lambda: ReturnsList.apply(x).sum().backward())}


@case(area=AREA, tags=("errors", "grad_shape"))
def wrong_shape_grad_errors(torch, make: Inputs):
    """A [3] grad for a [2] input raises 'returned an invalid gradient at index 0'."""

    class WrongShape(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(3)

    x = make.randn(2, requires_grad=True)
    return {"backward": capture(lambda: WrongShape.apply(x).sum().backward()), "x.grad": x.grad}


@case(area=AREA, tags=("grad_shape",))
def leading_one_grad_is_summed_down(torch, make: Inputs):
    """A [1,2,3] grad for a [2,3] input is accepted and reduced to [2,3]."""

    class Expanded(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2).unsqueeze(0)

    x = make.randn(2, 3, requires_grad=True)
    w = make.randn(2, 3)
    (Expanded.apply(x) * w).sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("errors", "grad_shape"))
def scalar_grad_for_matrix_input_errors(torch, make: Inputs):
    """A 0-d grad for a [2,3] input is rejected (no broadcasting up)."""

    class Scalar(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum()

    x = make.randn(2, 3, requires_grad=True)
    return {"backward": capture(lambda: Scalar.apply(x).sum().backward()), "x.grad": x.grad}


@case(area=AREA, tags=("grad_dtype",))
def float64_grad_cast_to_float32_input(torch, make: Inputs):
    """A float64 grad returned for a float32 input is cast: x.grad is float32."""

    class Widen(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.double() * 2

    x = make.randn(3, dtype="float32", requires_grad=True)
    w = make.randn(3, dtype="float32")
    (Widen.apply(x) * w).sum().backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("grad_dtype",))
def function_output_dtype_differs_from_input(torch, make: Inputs):
    """forward returns float64 for a float32 input; the grad arriving in x.grad is float32."""

    class ToDouble(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.double() * 3

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = make.randn(3, dtype="float32", requires_grad=True)
    y = ToDouble.apply(x)
    y.sum().backward()
    return {"y": y, "x.grad": x.grad}


# -- when the node is (not) recorded ---------------------------------------------------------


@case(area=AREA, tags=("no_grad",))
def apply_under_no_grad_records_nothing(torch, make: Inputs):
    """Under no_grad apply returns a tensor without grad and without grad_fn."""
    x = make.randn(2, requires_grad=True)
    with torch.no_grad():
        y = _square(torch).apply(x)
    return {"y": y}


@case(area=AREA, tags=("no_grad",))
def apply_without_grad_inputs_records_nothing(torch, make: Inputs):
    """When no input requires grad the output has requires_grad False and grad_fn None."""
    x = make.randn(2)
    y = _square(torch).apply(x)
    return {"y": y}


@case(area=AREA, tags=("needs_input_grad",))
def grad_for_input_without_grad_is_dropped(torch, make: Inputs):
    """A grad returned for an input that needs none is dropped: that input's .grad stays None."""

    class Mul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w, x):
            ctx.save_for_backward(w, x)
            return w * x

        @staticmethod
        def backward(ctx, g):
            w, x = ctx.saved_tensors
            return g * x, g * w

    w = make.randn(2, requires_grad=True)
    x = make.randn(2)
    Mul.apply(w, x).sum().backward()
    return {"w.grad": w.grad, "x.grad": x.grad}


@case(area=AREA, tags=("autograd.grad",))
def autograd_grad_through_function(torch, make: Inputs):
    """autograd.grad through a custom node returns the grad and leaves .grad alone."""
    x = make.randn(3, requires_grad=True)
    w = make.randn(3)
    (g,) = torch.autograd.grad((_square(torch).apply(x) * w).sum(), x)
    return {"g": g, "x.grad": x.grad}


@case(area=AREA, tags=("composition",))
def function_inside_larger_graph(torch, make: Inputs):
    """A custom node between built-in ops: grads flow through it in both directions."""
    x = make.randn(2, 3, requires_grad=True)
    h = x.tanh()
    y = _square(torch).apply(h)
    z = (y.sum(1) * 2).sum()
    z.backward()
    return {"y": y, "y.grad_fn.next": _fn_name(h), "x.grad": x.grad}
