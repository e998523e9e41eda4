"""Smoke cases: tiny programs that exercise every kind of observation the harness records.

They check the harness end to end (values, flags, graph-node names, errors, warnings, seeded
inputs, expectations) rather than pinning down a particular area of autograd.
"""

from conformance import Inputs, capture, capture_warnings, case


@case(area="smoke", tags=("backward", "values"), expect={"x.grad": [3.0, 3.0]})
def scaled_sum_gradient(torch, make: Inputs):
    """d/dx sum(3x) is 3 everywhere; the result is a non-leaf with SumBackward0."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()
    y.backward()
    return {"y": y, "x.grad": x.grad, "x": x}


@case(area="smoke", tags=("backward", "seeded"))
def seeded_matmul_gradients(torch, make: Inputs):
    """Gradients of sum(tanh(a @ b)) on harness-made random inputs."""
    a = make.randn(3, 4, requires_grad=True)
    b = make.uniform(4, 2, low=-2.0, high=2.0, requires_grad=True)
    out = torch.tanh(a @ b)
    out.sum().backward()
    return {"out": out, "a.grad": a.grad, "b.grad": b.grad}


@case(area="smoke", tags=("errors", "retain_graph"))
def second_backward_raises(torch, make: Inputs):
    """A second backward through a graph that saved tensors raises RuntimeError."""
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    return {"x.grad": x.grad, "second": capture(lambda: y.backward())}


@case(area="smoke", tags=("warnings", "flags"))
def non_leaf_grad_warns(torch, make: Inputs):
    """Reading .grad of a non-leaf gives None and a UserWarning."""
    x = make.rand(2, dtype="float64", requires_grad=True)
    y = x * 2
    return {
        "grad": capture_warnings(lambda: y.grad),
        "flags": (y.requires_grad, y.is_leaf, x.is_leaf),
        "dtype": y.dtype,
    }
