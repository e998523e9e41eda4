"""Seeds: every worked example of the five seed documents (/work/shared/seeds/), as cases.

Each case is one of a document's programs, tagged ``seed-NNN``, with the inputs fixed as in
``examples/seeds/`` (random inputs replaced by values that reproduce the published numbers) and
the document's printed numbers as ``expect``. Seeds 003 and 004 publish no output: their
expectations are the numbers worked out in ``examples/seeds/expected/`` (what torch 2.13 prints).
"""

from conformance import Inputs, capture, capture_warnings, case

AREA = "seeds"

# Seed 000 ("lesson5. 自动求导机制"): with w = 0 and this b, sigmoid(b) / 3 is the published grad.
_B_000 = [1.9413, -0.3722, -0.7464]
_GRAD_000 = [0.2915, 0.1360, 0.1072]
_JACOBIAN_000 = [[4.0 if i == j else 2.0 for j in range(5)] for i in range(5)]


@case(
    area=AREA,
    tags=("seed-000",),
    expect={
        "z.grad_fn": "AddBackward0",
        "loss.grad_fn": "BinaryCrossEntropyWithLogitsBackward0",
        "w.grad": [_GRAD_000] * 5,
        "b.grad": _GRAD_000,
    },
    expect_atol=1e-4,
)
def seed000_one_layer_net_gradients(torch, make: Inputs):
    """Seed 000: BCE-with-logits of x @ w + b; grad_fn names and w.grad, b.grad."""
    x = torch.ones(5)
    y = torch.zeros(3)
    w = make.tensor([[0.0] * 3] * 5, requires_grad=True)
    b = make.tensor(_B_000, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    return {
        "z.grad_fn": type(z.grad_fn).__name__,
        "loss.grad_fn": type(loss.grad_fn).__name__,
        "loss": loss,
        "w.grad": w.grad,
        "b.grad": b.grad,
    }


@case(
    area=AREA,
    tags=("seed-000",),
    expect={"tracked": True, "no_grad": False, "detached": False},
)
def seed000_disable_gradient_tracking(torch, make: Inputs):
    """Seed 000: z requires grad; not under no_grad; not after detach()."""
    x = torch.ones(5)
    w = make.tensor([[0.0] * 3] * 5, requires_grad=True)
    b = make.tensor(_B_000, requires_grad=True)
    z = torch.matmul(x, w) + b
    tracked = z.requires_grad
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    no_grad = z.requires_grad
    z = torch.matmul(x, w) + b
    z_det = z.detach()
    return {"tracked": tracked, "no_grad": no_grad, "detached": z_det.requires_grad}


@case(
    area=AREA,
    tags=("seed-000",),
    expect={
        "first_call": _JACOBIAN_000,
        "second_call": [[2 * v for v in row] for row in _JACOBIAN_000],
        "after_zeroing": _JACOBIAN_000,
    },
)
def seed000_jacobian_products_accumulate(torch, make: Inputs):
    """Seed 000: (eye+1)**2 backwarded three times with ones; zero_ before the third."""
    inp = torch.eye(5, requires_grad=True)
    out = (inp + 1).pow(2)
    out.backward(torch.ones_like(inp), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(inp), retain_graph=True)
    second = inp.grad.clone()
    inp.grad.zero_()
    out.backward(torch.ones_like(inp), retain_graph=True)
    return {"first_call": first, "second_call": second, "after_zeroing": inp.grad}


@case(area=AREA, tags=("seed-001",), expect={"x": [1.0], "x.requires_grad": True})
def seed001_new_leaf(torch, make: Inputs):
    """Seed 001 section 1: ones(1, requires_grad=True) prints tensor([1.], requires_grad=True)."""
    x = torch.ones(1, requires_grad=True)
    return {"x": x, "x.requires_grad": x.requires_grad}


@case(area=AREA, tags=("seed-001",), expect={"x.grad": [5.0]})
def seed001_two_backwards_accumulate(torch, make: Inputs):
    """Seed 001 section 3: y = x**2 and z = x**3 both backwarded at x = 1: 2 + 3 = 5."""
    x = torch.ones(1, requires_grad=True)
    y = x**2
    z = x**3
    y.backward()
    z.backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("seed-001",), expect={"x.grad": [2.0]})
def seed001_only_y_backward(torch, make: Inputs):
    """Seed 001 section 4: only y = x**2 backwarded: x.grad = 2."""
    x = torch.ones(1, requires_grad=True)
    y = x**2
    z = x**3
    y.backward()
    return {"x.grad": x.grad, "z": z}


@case(area=AREA, tags=("seed-001",), expect={"x.grad": [3.0]})
def seed001_only_z_backward(torch, make: Inputs):
    """Seed 001 section 5: only z = x**3 backwarded: x.grad = 3."""
    x = torch.ones(1, requires_grad=True)
    y = x**2
    z = x**3
    z.backward()
    return {"x.grad": x.grad, "y": y}


@case(area=AREA, tags=("seed-001",), expect={"after_y": [2.0], "after_zero_and_z": [3.0]})
def seed001_grad_zero_between(torch, make: Inputs):
    """Seed 001 section 6: grad.zero_() between y's and z's backward: 2, then 3."""
    x = torch.ones(1, requires_grad=True)
    y = x**2
    y.backward()
    after_y = x.grad.clone()
    x.grad.zero_()
    z = x**3
    z.backward()
    return {"after_y": after_y, "after_zero_and_z": x.grad}


@case(
    area=AREA,
    tags=("seed-001",),
    expect={
        "x": [[-1.5], [2.7]],
        "x.grad": [[-3.0], [100.602]],
        "dy_dx0": [-3.0],
        "dy_dx0.grad_fn": "MulBackward0",
        "dy_dx1": [100.602],
        "dy_dx1.grad_fn": "AddBackward0",
    },
)
def seed001_vector_form_ones_weights(torch, make: Inputs):
    """Seed 001 vector form: y = [x0**2, x1**3, x1**4] into empty([3,1]), weights all ones."""
    x = make.tensor([[-1.5], [2.7]], requires_grad=True)
    y = torch.empty([3, 1])
    y[0] = x[0] ** 2
    y[1] = x[1] ** 3
    y[2] = x[1] ** 4
    y.backward(gradient=torch.ones(y.size()))
    dy0 = 2 * x[0]
    dy1 = 3 * x[1] ** 2
    dy2 = 4 * x[1] ** 3
    dy_dx0 = dy0
    dy_dx1 = dy1 + dy2
    return {
        "x": x,
        "y.grad_fn": type(y.grad_fn).__name__,
        "x.grad": x.grad,
        "dy_dx0": dy_dx0,
        "dy_dx0.grad_fn": type(dy_dx0.grad_fn).__name__,
        "dy_dx1": dy_dx1,
        "dy_dx1.grad_fn": type(dy_dx1.grad_fn).__name__,
    }


@case(
    area=AREA,
    tags=("seed-001",),
    expect={
        "x.grad": [[-1.5], [74.358]],
        "dy_dx0": [-1.5],
        "dy_dx0.grad_fn": "MulBackward0",
        "dy_dx1": [74.358],
        "dy_dx1.grad_fn": "AddBackward0",
    },
)
def seed001_vector_form_unequal_weights(torch, make: Inputs):
    """Seed 001 '权重不一样': the same y weighted by [0.5, -2, 1.5]."""
    x = make.tensor([[-1.5], [2.7]], requires_grad=True)
    y = torch.empty([3, 1])
    y[0] = x[0] ** 2
    y[1] = x[1] ** 3
    y[2] = x[1] ** 4
    y.backward(gradient=make.tensor([[0.5], [-2.0], [1.5]]))
    dy0 = 2 * x[0]
    dy1 = 3 * x[1] ** 2
    dy2 = 4 * x[1] ** 3
    dy_dx0 = 0.5 * dy0
    dy_dx1 = -2 * dy1 + 1.5 * dy2
    return {
        "x.grad": x.grad,
        "dy_dx0": dy_dx0,
        "dy_dx0.grad_fn": type(dy_dx0.grad_fn).__name__,
        "dy_dx1": dy_dx1,
        "dy_dx1.grad_fn": type(dy_dx1.grad_fn).__name__,
    }


@case(
    area=AREA,
    tags=("seed-002",),
    expect={
        "x": [[1.0, 1.0], [1.0, 1.0]],
        "y": [[3.0, 3.0], [3.0, 3.0]],
        "y.grad_fn": "AddBackward0",
        "z": [[27.0, 27.0], [27.0, 27.0]],
        "z.grad_fn": "MulBackward0",
        "out": 27.0,
        "out.grad_fn": "MeanBackward0",
        "x.grad": [[4.5, 4.5], [4.5, 4.5]],
    },
)
def seed002_mean_of_3_y_squared(torch, make: Inputs):
    """Seed 002: out = mean(3 (x+2)^2) at x = ones(2,2); grad_fn names and x.grad = 4.5."""
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    return {
        "x": x,
        "y": y,
        "y.grad_fn": type(y.grad_fn).__name__,
        "z": z,
        "z.grad_fn": type(z.grad_fn).__name__,
        "out": out,
        "out.grad_fn": type(out.grad_fn).__name__,
        "x.grad": x.grad,
    }


@case(
    area=AREA,
    tags=("seed-002",),
    expect={"before": False, "after": True, "b.grad_fn": "SumBackward0"},
)
def seed002_requires_grad_toggle(torch, make: Inputs):
    """Seed 002: a computed tensor gets requires_grad = True; (a*a).sum() has SumBackward0."""
    a = make.tensor([[0.5, -1.25], [2.0, 0.25]])
    a = (a * 3) / (a - 1)
    before = a.requires_grad
    a.requires_grad = True
    b = (a * a).sum()
    return {"before": before, "after": a.requires_grad, "b.grad_fn": type(b.grad_fn).__name__}


@case(
    area=AREA,
    tags=("seed-002",),
    expect={"y": [769.4481, 488.8492, 887.1036], "x.grad": [102.4, 1024.0, 0.1024]},
)
def seed002_doubling_loop_weighted_backward(torch, make: Inputs):
    """Seed 002: y doubles while its norm < 1000, then y.backward([0.1, 1.0, 0.0001])."""
    x = make.tensor([769.4481 / 1024, 488.8492 / 1024, 887.1036 / 1024], requires_grad=True)
    y = x * 2
    doublings = 1
    while y.data.norm() < 1000:
        y = y * 2
        doublings += 1
    grandiants = make.tensor([0.1, 1.0, 0.0001], dtype="float32")
    y.backward(grandiants)
    return {"y": y, "doublings": doublings, "x.grad": x.grad}


@case(
    area=AREA,
    tags=("seed-002",),
    expect={"x.requires_grad": True, "square.requires_grad": True, "no_grad": False},
)
def seed002_no_grad_block(torch, make: Inputs):
    """Seed 002: x**2 requires grad, but not when computed inside no_grad."""
    x = make.tensor([769.4481 / 1024, 488.8492 / 1024, 887.1036 / 1024], requires_grad=True)
    square = (x**2).requires_grad
    with torch.no_grad():
        inside = (x**2).requires_grad
    return {"x.requires_grad": x.requires_grad, "square.requires_grad": square, "no_grad": inside}


@case(
    area=AREA,
    tags=("seed-003", "custom"),
    expect={
        "type_in_forward": "Tensor",
        "z": [0.75],
        "z.grad_fn": "MultiplyAddBackward",
        "backward.0": "not enough values to unpack (expected 2, got 0)",
        "x.grad": None,
        "w.grad": None,
        "b.grad": None,
    },
)
def seed003_multiply_add_saves_nothing(torch, make: Inputs):
    """Seed 003 MultiplyAdd: saves nothing, so unpacking two saved tensors raises ValueError."""
    seen = []

    class MultiplyAdd(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w, x, b):
            seen.append(type(x).__name__)
            ctx.save_for_backward()
            output = w * x + b
            return output

        @staticmethod
        def backward(ctx, grad_output):
            w, x = ctx.saved_variables
            grad_w = grad_output * x
            grad_x = grad_output * w
            grad_b = grad_output * 1
            return grad_w, grad_x, grad_b

    x = torch.autograd.Variable(torch.ones(1))
    w = torch.autograd.Variable(make.tensor([0.5]), requires_grad=True)
    b = torch.autograd.Variable(make.tensor([0.25]), requires_grad=True)
    z = MultiplyAdd.apply(w, x, b)
    outcome = capture_warnings(lambda: z.backward())
    return {
        "type_in_forward": seen[0],
        "z": z,
        "z.grad_fn": type(z.grad_fn).__name__,
        "backward": outcome,
        "x.grad": x.grad,
        "w.grad": w.grad,
        "b.grad": b.grad,
    }


@case(
    area=AREA,
    tags=("seed-003", "custom"),
    expect={
        "z": [0.75],
        "z.grad_fn": "MulBackward",
        "x.grad": None,
        "w.grad": [1.0],
        "b.grad": [1.0],
    },
)
def seed003_mul_saves_w_and_x(torch, make: Inputs):
    """Seed 003 Mul (saves w, x) at w=0.5, x=1, b=0.25: z = 0.75, grads (None, 1, 1)."""

    class Mul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w, x, b, x_requires_grad=True):
            ctx.x_requires_grad = x_requires_grad
            ctx.save_for_backward(w, x)
            output = w * x + b
            return output

        @staticmethod
        def backward(ctx, grad_output):
            w, x = ctx.saved_variables
            grad_w = grad_output * x
            grad_x = grad_output * w if ctx.x_requires_grad else None
            grad_b = grad_output * 1
            return grad_w, grad_x, grad_b, None

    x = torch.autograd.Variable(torch.ones(1))
    w = torch.autograd.Variable(make.tensor([0.5]), requires_grad=True)
    b = torch.autograd.Variable(make.tensor([0.25]), requires_grad=True)
    z = Mul.apply(w, x, b)
    outcome = capture_warnings(lambda: z.backward())
    return {
        "z": z,
        "z.grad_fn": type(z.grad_fn).__name__,
        "backward": outcome,
        "x.grad": x.grad,
        "w.grad": w.grad,
        "b.grad": b.grad,
    }


@case(
    area=AREA,
    tags=("seed-003", "custom"),
    expect={"x.grad": [0.5], "w.grad": [1.0], "b.grad": [1.0]},
)
def seed003_mul_with_x_requiring_grad(torch, make: Inputs):
    """Seed 003 Mul with x requiring grad too: x.grad = w = 0.5 (the x_requires_grad path)."""

    class Mul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, w, x, b, x_requires_grad=True):
            ctx.x_requires_grad = x_requires_grad
            ctx.save_for_backward(w, x)
            output = w * x + b
            return output

        @staticmethod
        def backward(ctx, grad_output):
            w, x = ctx.saved_variables
            grad_w = grad_output * x
            grad_x = grad_output * w if ctx.x_requires_grad else None
            grad_b = grad_output * 1
            return grad_w, grad_x, grad_b, None

    x = torch.autograd.Variable(torch.ones(1), requires_grad=True)
    w = torch.autograd.Variable(make.tensor([0.5]), requires_grad=True)
    b = torch.autograd.Variable(make.tensor([0.25]), requires_grad=True)
    z = Mul.apply(w, x, b)
    outcome = capture_warnings(lambda: z.backward())
    return {"backward": outcome, "x.grad": x.grad, "w.grad": w.grad, "b.grad": b.grad}


@case(area=AREA, tags=("seed-004",), expect={"x.grad": [2 / 3, 2 / 3, 2 / 3]})
def seed004_backward_basic(torch, make: Inputs):
    """Seed 004 section 1: mean(2x) at x = [1, 2, 3]: x.grad = 2/3 each."""
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    z = y.mean()
    z.backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("seed-004",), expect={"x.grad": [0.2, 0.4, 0.6]})
def seed004_gradient_argument(torch, make: Inputs):
    """Seed 004 section 2.1: y = 2x backwarded with gradient [0.1, 0.2, 0.3]."""
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.backward(gradient=make.tensor([0.1, 0.2, 0.3]))
    return {"x.grad": x.grad}


@case(
    area=AREA,
    tags=("seed-004",),
    expect={"first": [2 / 3, 2 / 3, 2 / 3], "second": [4 / 3, 4 / 3, 4 / 3]},
)
def seed004_retain_graph_argument(torch, make: Inputs):
    """Seed 004 section 2.2: backward(retain_graph=True) then backward(): 2/3, then 4/3."""
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    z = y.mean()
    z.backward(retain_graph=True)
    first = x.grad.clone()
    z.backward()
    return {"first": first, "second": x.grad}


def _simple_net(torch, make: Inputs):
    """Seed 004's SimpleNet (one nn.Linear(3, 1)) with its weights fixed as in examples/."""

    class SimpleNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 1)

        def forward(self, x):
            return self.fc(x)

    model = SimpleNet()
    with torch.no_grad():
        model.fc.weight.copy_(make.tensor([[0.1, -0.2, 0.3]]))
        model.fc.bias.copy_(make.tensor([0.05]))
    return model


@case(
    area=AREA,
    tags=("seed-004", "nn", "optim"),
    expect={
        "output": [0.65],
        "loss": 0.1225,
        "weight.grad": [[-0.7, -1.4, -2.1]],
        "bias.grad": [-0.7],
        "x.grad": [-0.07, 0.14, -0.21],
        "weight.after_step": [[0.107, -0.186, 0.321]],
        "bias.after_step": [0.057],
    },
)
def seed004_training_step(torch, make: Inputs):
    """Seed 004 section 3.1: Linear + MSELoss + SGD(lr=0.01), one step from fixed weights."""
    model = _simple_net(torch, make)
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    output = model(x)
    loss = criterion(output, make.tensor([1.0]))
    loss.backward()
    weight_grad = model.fc.weight.grad.clone()
    bias_grad = model.fc.bias.grad.clone()
    optimizer.step()
    return {
        "output": output,
        "loss": loss,
        "weight.grad": weight_grad,
        "bias.grad": bias_grad,
        "x.grad": x.grad,
        "weight.after_step": model.fc.weight,
        "bias.after_step": model.fc.bias,
    }


@case(area=AREA, tags=("seed-004",), expect={"x.grad": [8.0, 16.0, 24.0]})
def seed004_custom_loss(torch, make: Inputs):
    """Seed 004 section 3.2: loss = sum((2x)**2) at x = [1, 2, 3]: x.grad = 8x."""
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)

    def custom_loss(y):
        return torch.sum(y**2)

    y = x * 2
    loss = custom_loss(y)
    loss.backward()
    return {"loss": loss, "x.grad": x.grad}


@case(
    area=AREA,
    tags=("seed-004", "nn", "optim"),
    expect={
        "total_norm": 2.7111,
        "weight.grad": [[-0.2582, -0.5164, -0.7746]],
        "bias.grad": [-0.2582],
        "weight.after_step": [[0.1026, -0.1948, 0.3077]],
        "bias.after_step": [0.0526],
    },
)
def seed004_gradient_clipping(torch, make: Inputs):
    """Seed 004 section 3.3: clip_grad_norm_(max_norm=1) scales grads of norm 2.7111, then step."""
    model = _simple_net(torch, make)
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    output = model(x)
    loss = criterion(output, make.tensor([1.0]))
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    weight_grad = model.fc.weight.grad.clone()
    bias_grad = model.fc.bias.grad.clone()
    optimizer.step()
    return {
        "total_norm": total_norm,
        "weight.grad": weight_grad,
        "bias.grad": bias_grad,
        "weight.after_step": model.fc.weight,
        "bias.after_step": model.fc.bias,
    }


@case(area=AREA, tags=("seed-004", "errors"))
def seed004_second_backward_without_retain(torch, make: Inputs):
    """Seed 004 section 2.2's point: without retain_graph the second backward would fail."""
    x = make.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = (x * 2).mean()
    z.backward()
    return {"x.grad": x.grad, "second": capture(lambda: z.backward())}
