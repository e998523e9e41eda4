"""Gradient weights: vector-Jacobian products with a given ``gradient`` / ``grad_outputs``.

The weights must match the output's shape exactly (no broadcasting), are cast to the output's
dtype, may be omitted only for one-element outputs, must be tensors (or None), and several roots
given to ``autograd.backward`` or ``autograd.grad`` have their contributions summed.
"""

from conformance import Inputs, capture, case

AREA = "gradient_weights"


@case(area=AREA, tags=("vjp",), expect={"x.grad": [2.0, 0.0, -6.0]})
def vjp_elementwise_weights(torch, make: Inputs):
    """x**2 with gradient [1, 0, -1] weights 2x elementwise: [2, 0, -6]."""
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x**2
    y.backward(gradient=make.tensor([1.0, 0.0, -1.0]))
    return {"x.grad": x.grad}


@case(area=AREA, tags=("vjp",))
def vjp_matrix_vector(torch, make: Inputs):
    """y = A @ x with weights v gives x.grad = A^T v and A.grad = v x^T."""
    a = make.randn(3, 4, requires_grad=True)
    x = make.randn(4, requires_grad=True)
    v = make.randn(3)
    y = a @ x
    y.backward(v)
    return {"y": y, "x.grad": x.grad, "a.grad": a.grad}


@case(area=AREA, tags=("vjp",))
def vjp_2d_weights(torch, make: Inputs):
    """A (2, 3) output of tanh weighted by a (2, 3) gradient."""
    x = make.randn(2, 3, requires_grad=True)
    g = make.uniform(2, 3, low=-2.0, high=2.0)
    torch.tanh(x).backward(g)
    return {"x.grad": x.grad}


@case(area=AREA, tags=("vjp",))
def vjp_zero_weights_give_zeros(torch, make: Inputs):
    """All-zero weights still create .grad, filled with zeros (not None)."""
    x = make.randn(3, requires_grad=True)
    (x.exp()).backward(make.tensor([0.0, 0.0, 0.0]))
    return {"x.grad": x.grad}


@case(area=AREA, tags=("vjp",))
def vjp_through_reduction_by_dim(torch, make: Inputs):
    """sum(dim=1) of a (2, 3) tensor weighted by [a, b] gives rows of a and b."""
    x = make.randn(2, 3, requires_grad=True)
    y = x.sum(dim=1)
    y.backward(make.tensor([2.0, -0.5]))
    return {"y": y, "x.grad": x.grad}


@case(area=AREA, tags=("vjp",))
def scalar_gradient_explicit_tensor(torch, make: Inputs):
    """A 0-d output accepts an explicit 0-d gradient, which scales the result."""
    x = make.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward(make.tensor(2.5))
    return {"x.grad": x.grad}


@case(area=AREA, tags=("vjp",))
def scalar_gradient_none_is_ones(torch, make: Inputs):
    """gradient=None on a scalar output is an implicit 1."""
    x = make.randn(3, requires_grad=True)
    (x * 3).sum().backward(None)
    return {"x.grad": x.grad}


@case(area=AREA, tags=("errors", "shape"))
def gradient_wrong_length_error(torch, make: Inputs):
    """A [3] gradient for a [2] output is a shape mismatch error."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    error = capture(lambda: y.backward(make.tensor([1.0, 1.0, 1.0])))
    return {"error": error, "x.grad": x.grad}


@case(area=AREA, tags=("errors", "shape"))
def gradient_broadcastable_shape_rejected(torch, make: Inputs):
    """A (3,) gradient for a (2, 3) output is rejected: no broadcasting of weights."""
    x = make.randn(2, 3, requires_grad=True)
    y = x * 2
    error = capture(lambda: y.backward(make.tensor([1.0, 1.0, 1.0])))
    return {"error": error, "x.grad": x.grad}


@case(area=AREA, tags=("errors", "shape"))
def gradient_extra_unit_dim_rejected(torch, make: Inputs):
    """A (1, 2) gradient for a (2,) output is rejected even though numel matches."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    return {"error": capture(lambda: y.backward(make.tensor([[1.0, 1.0]])))}


@case(area=AREA, tags=("errors", "shape"))
def gradient_scalar_for_vector_rejected(torch, make: Inputs):
    """A 0-d gradient for a (2,) output is rejected."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    return {"error": capture(lambda: y.backward(make.tensor(1.0)))}


@case(area=AREA, tags=("dtype",))
def gradient_float64_cast_to_float32_output(torch, make: Inputs):
    """A float64 gradient for a float32 output is accepted; the grad is float32."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(make.tensor([0.5, 0.25], dtype="float64"))
    return {"x.grad": x.grad}


@case(area=AREA, tags=("dtype",))
def gradient_int_cast_to_float_output(torch, make: Inputs):
    """An int64 gradient is accepted and cast: weights [1, 2] on x*x give [2, 8]."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(make.tensor([1, 2], dtype="int64"))
    return {"x.grad": x.grad}


@case(area=AREA, tags=("dtype",))
def gradient_float32_for_float64_output(torch, make: Inputs):
    """A float32 gradient for a float64 output; the float64 leaf gets a float64 grad."""
    x = make.tensor([1.5, -2.0], dtype="float64", requires_grad=True)
    (x * x).backward(make.tensor([1.0, 3.0], dtype="float32"))
    return {"x.grad": x.grad}


@case(area=AREA, tags=("dtype",))
def gradient_through_dtype_conversion(torch, make: Inputs):
    """x.double() weighted by a float64 gradient gives the float32 leaf a float32 grad."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.backward(make.tensor([1.0, -1.0], dtype="float64"))
    return {"y": y, "x.grad": x.grad}


@case(area=AREA, tags=("errors", "implicit"))
def implicit_gradient_needs_scalar(torch, make: Inputs):
    """backward() without gradient on a (2,) output: implicit grad needs a scalar."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    return {"error": capture(lambda: y.backward()), "x.grad": x.grad}


@case(area=AREA, tags=("implicit",))
def implicit_gradient_for_one_element_2d(torch, make: Inputs):
    """A (1, 1) output counts as scalar: backward() without gradient works."""
    x = make.randn(1, 1, requires_grad=True)
    y = x * 4
    y.backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("errors", "implicit"))
def autograd_grad_implicit_needs_scalar(torch, make: Inputs):
    """autograd.grad on a non-scalar output without grad_outputs raises the same error."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    return {"error": capture(lambda: torch.autograd.grad(y, x))}


@case(area=AREA, tags=("errors", "type"))
def gradient_as_list_type_error(torch, make: Inputs):
    """gradient=[1., 1.] (a list, not a tensor) raises TypeError."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    return {"error": capture(lambda: y.backward([1.0, 1.0])), "x.grad": x.grad}


@case(area=AREA, tags=("roots",), expect={"x.grad": [3.0, 3.0]})
def autograd_backward_none_and_ones(torch, make: Inputs):
    """autograd.backward([s, v], [None, ones]) sums the scalar's and the vector's grads."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    s = x.sum()
    v = x * 2
    torch.autograd.backward([s, v], [None, torch.ones(2)])
    return {"x.grad": x.grad}


@case(area=AREA, tags=("roots",))
def autograd_backward_two_weighted_roots(torch, make: Inputs):
    """Two vector roots, each with its own weights, into two shared leaves."""
    a = make.randn(3, requires_grad=True)
    b = make.randn(3, requires_grad=True)
    y1 = a * b
    y2 = a.exp() + b
    g1 = make.randn(3)
    g2 = make.randn(3)
    torch.autograd.backward([y1, y2], grad_tensors=[g1, g2])
    return {"a.grad": a.grad, "b.grad": b.grad}


@case(area=AREA, tags=("roots",))
def autograd_backward_same_root_twice(torch, make: Inputs):
    """backward([s, s]) counts the root twice: x.grad is doubled."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    s = (x * 2).sum()
    torch.autograd.backward([s, s])
    return {"x.grad": x.grad}


@case(area=AREA, tags=("roots", "grad_outputs"))
def autograd_grad_same_output_twice(torch, make: Inputs):
    """autograd.grad([s, s], x) counts the output twice: the gradient is doubled."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    s = (x * 2).sum()
    return {"grads": capture(lambda: torch.autograd.grad([s, s], x))}


@case(area=AREA, tags=("roots",))
def autograd_backward_single_tensor_root(torch, make: Inputs):
    """autograd.backward(y, g) with a bare tensor and bare gradient, not lists."""
    x = make.randn(3, requires_grad=True)
    y = x.sigmoid()
    torch.autograd.backward(y, make.tensor([1.0, 2.0, 3.0]))
    return {"x.grad": x.grad}


@case(area=AREA, tags=("roots", "errors"))
def autograd_backward_root_without_grad(torch, make: Inputs):
    """A root that does not require grad is named by its index in the error."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    s = (x * 2).sum()
    c = make.tensor(3.0)
    return {"error": capture(lambda: torch.autograd.backward([s, c])), "x.grad": x.grad}


@case(area=AREA, tags=("roots", "errors"))
def autograd_backward_second_root_shape_mismatch(torch, make: Inputs):
    """A wrong-shaped weight for the second root names grad_output[1] / output[1]."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y1 = x * 2
    y2 = x * 3
    grads = [make.tensor([1.0, 1.0]), make.tensor([1.0, 1.0, 1.0])]
    return {"error": capture(lambda: torch.autograd.backward([y1, y2], grads))}


@case(area=AREA, tags=("grad_outputs",))
def autograd_grad_with_grad_outputs(torch, make: Inputs):
    """autograd.grad(y, x, grad_outputs=v) returns the weighted vector-Jacobian product."""
    x = make.randn(3, requires_grad=True)
    v = make.randn(3)
    (g,) = torch.autograd.grad(x.sin() * x, x, grad_outputs=v)
    return {"g": g, "x.grad": x.grad}


@case(area=AREA, tags=("grad_outputs",))
def autograd_grad_two_outputs_with_none(torch, make: Inputs):
    """grad_outputs=[None, ones] for a scalar and a vector output: contributions summed."""
    x = make.randn(3, requires_grad=True)
    s = (x * x).sum()
    v = x * 5
    (g,) = torch.autograd.grad([s, v], x, grad_outputs=[None, torch.ones(3)])
    return {"g": g}


@case(area=AREA, tags=("grad_outputs", "errors"))
def autograd_grad_outputs_wrong_count(torch, make: Inputs):
    """Two outputs with one grad_output: 'got 2 tensors and 1 gradients'."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y1 = x * 2
    y2 = x * 3
    return {
        "error": capture(lambda: torch.autograd.grad([y1, y2], x, grad_outputs=[torch.ones(2)]))
    }


@case(area=AREA, tags=("grad_outputs", "errors"))
def autograd_grad_outputs_shape_mismatch(torch, make: Inputs):
    """A (3,) grad_output for a (2,) output is the same shape mismatch error."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    return {"error": capture(lambda: torch.autograd.grad(y, x, grad_outputs=torch.ones(3)))}


@case(area=AREA, tags=("grad_outputs", "create_graph"))
def grad_outputs_differentiable_under_create_graph(torch, make: Inputs):
    """With create_graph, the VJP depends on the weights v too: d/dv sum(2x*v) = 2x."""
    x = make.randn(3, requires_grad=True)
    v = make.randn(3, requires_grad=True)
    (g,) = torch.autograd.grad(x * x, x, grad_outputs=v, create_graph=True)
    (dv,) = torch.autograd.grad(g.sum(), v)
    return {"g": g, "dv": dv}
