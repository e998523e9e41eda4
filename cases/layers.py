"""The layers small CNN training programs use (issue 13): convolution, pooling, batch / layer /
group normalization, embedding, the activation and dropout modules, and a small CNN trained for
three steps. Weights are set by hand (``copy_`` under ``no_grad``) so both backends start equal;
float64 throughout, so the comparisons are tight.
"""

from typing import Any

from conformance import Inputs, capture, case

AREA = "layers"


def _node(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _set(torch, module, make: Inputs):
    """Fixed seeded values into every parameter of ``module`` (in registration order)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(make.randn(*p.shape, dtype=torch.float64))
    return module


def _grads(module):
    return {name: p.grad for name, p in module.named_parameters()}


# -- convolution ----------------------------------------------------------------------------------


@case(area=AREA, tags=("nn", "conv"))
def conv2d_and_conv1d_outputs_and_gradients(torch, make: Inputs):
    """Conv2d / Conv1d with stride, int and tuple padding, 'same' padding, dilation, groups and
    no bias: output, grad_fn, and the gradients of the input, weight and bias."""
    out: dict[str, Any] = {}
    configs: dict[str, Any] = {
        "plain": (torch.nn.Conv2d, (3, 4, 3), {}, (2, 3, 6, 5)),
        "stride padding": (
            torch.nn.Conv2d,
            (3, 4, (3, 2)),
            {"stride": 2, "padding": (1, 2)},
            (2, 3, 7, 6),
        ),
        "dilation groups no bias": (
            torch.nn.Conv2d,
            (4, 6, 2),
            {"dilation": (2, 1), "groups": 2, "bias": False},
            (1, 4, 6, 5),
        ),
        "same": (torch.nn.Conv2d, (2, 3, (2, 3)), {"padding": "same"}, (1, 2, 5, 4)),
        "conv1d": (torch.nn.Conv1d, (3, 2, 3), {"stride": 2, "padding": 1}, (2, 3, 9)),
        "conv1d unbatched": (torch.nn.Conv1d, (3, 2, 2), {"dilation": 2}, (3, 8)),
    }
    for name, (cls, args, kwargs, shape) in configs.items():
        conv = _set(torch, cls(*args, **kwargs).double(), make)
        x = make.randn(*shape, dtype=torch.float64, requires_grad=True)
        y = conv(x)
        (y * y.detach().cos()).sum().backward()
        out[name] = {"repr": repr(conv), "y": y, "node": _node(y), "x.grad": x.grad, **_grads(conv)}
    return out


@case(area=AREA, tags=("nn", "conv", "higher_order"))
def conv2d_double_backward(torch, make: Inputs):
    """create_graph gradients of a convolution are ConvolutionBackwardBackward0 nodes; their
    gradients reach the input, weight and incoming gradient."""
    F = torch.nn.functional
    x = make.randn(2, 2, 5, 4, dtype=torch.float64, requires_grad=True)
    w = make.randn(3, 2, 2, 2, dtype=torch.float64, requires_grad=True)
    b = make.randn(3, dtype=torch.float64, requires_grad=True)
    y = F.conv2d(x, w, b, stride=(1, 2), padding=1)
    gx, gw, gb = torch.autograd.grad((y * y).sum(), (x, w, b), create_graph=True)
    second = torch.autograd.grad((gx * gx).sum() + (gw**3).sum() + gb.sum(), (x, w, b))
    return {
        "nodes": [_node(g) for g in (gx, gw, gb)],
        "first": (gx, gw, gb),
        "second": second,
    }


@case(area=AREA, tags=("nn", "conv", "errors"))
def conv_argument_errors(torch, make: Inputs):
    """torch's texts for mismatched channels, a kernel larger than the padded input, and
    'same' padding with a stride."""
    F = torch.nn.functional
    w = make.randn(4, 3, 3, 3, dtype=torch.float64)
    return {
        "channels": capture(lambda: F.conv2d(make.randn(2, 5, 8, 8, dtype=torch.float64), w)),
        "kernel too large": capture(
            lambda: F.conv2d(make.randn(1, 3, 2, 2, dtype=torch.float64), w)
        ),
        "same with stride": capture(
            lambda: F.conv2d(
                make.randn(1, 3, 5, 5, dtype=torch.float64), w, padding="same", stride=2
            )
        ),
    }


# -- pooling --------------------------------------------------------------------------------------


@case(area=AREA, tags=("nn", "pooling"))
def max_and_avg_pool2d(torch, make: Inputs):
    """MaxPool2d (padding, dilation, return_indices) and AvgPool2d (padding with and without
    counting it, divisor_override, unbatched): values, indices, gradients, and the double
    backward's node names and values."""
    F = torch.nn.functional
    x = make.randn(2, 3, 6, 5, dtype=torch.float64, requires_grad=True)
    pools: dict[str, Any] = {
        "max 2": torch.nn.MaxPool2d(2),
        "max 3 2 1": torch.nn.MaxPool2d(3, 2, 1),
        "max dilation": torch.nn.MaxPool2d((2, 2), 1, dilation=(2, 1)),
        "avg 2": torch.nn.AvgPool2d(2),
        "avg 3 2 1": torch.nn.AvgPool2d(3, 2, 1),
        "avg no pad count": torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        "avg divisor": torch.nn.AvgPool2d((2, 3), divisor_override=4),
    }
    out: dict[str, Any] = {}
    for name, pool in pools.items():
        y = pool(x)
        (g,) = torch.autograd.grad((y * y).sum(), x, create_graph=True)
        (gg,) = torch.autograd.grad((g * g).sum(), x)
        out[name] = {
            "repr": repr(pool),
            "y": y,
            "node": _node(y),
            "grad": g,
            "grad node": _node(g),
            "gg": gg,
        }
    values, indices = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    out["return_indices"] = (values, indices)
    out["unbatched max"] = F.max_pool2d(x[0], 2)
    return out


# -- normalization --------------------------------------------------------------------------------


@case(area=AREA, tags=("nn", "norm"))
def batch_norm_running_stats_train_then_eval(torch, make: Inputs):
    """BatchNorm2d and BatchNorm1d: two training steps update running_mean and the unbiased
    running_var by momentum and count num_batches_tracked; eval mode normalizes by the running
    stats and leaves them alone. momentum=None averages cumulatively; track_running_stats=False
    keeps no buffers."""
    out: dict[str, Any] = {}
    bn = _set(torch, torch.nn.BatchNorm2d(3, momentum=0.3).double(), make)
    for step in range(2):
        x = make.randn(4, 3, 2, 3, dtype=torch.float64, requires_grad=True)
        y = bn(x)
        (y * y.detach().sin()).sum().backward()
        out[f"train {step}"] = {
            "y": y,
            "node": _node(y),
            "x.grad": x.grad,
            "running_mean": bn.running_mean.clone(),
            "running_var": bn.running_var.clone(),
            "num_batches_tracked": bn.num_batches_tracked.clone(),
        }
    out["param grads"] = _grads(bn)
    bn.eval()
    x = make.randn(2, 3, 2, 2, dtype=torch.float64, requires_grad=True)
    y = bn(x)
    y.pow(2).sum().backward()
    out["eval"] = {
        "y": y,
        "x.grad": x.grad,
        "running_mean": bn.running_mean,
        "tracked": bn.num_batches_tracked,
    }
    out["state_dict keys"] = list(bn.state_dict())
    out["repr"] = repr(bn)

    cumulative = torch.nn.BatchNorm1d(2, momentum=None).double()
    for _ in range(3):
        cumulative(make.randn(5, 2, dtype=torch.float64))
    out["momentum None"] = (cumulative.running_mean, cumulative.running_var)
    untracked = torch.nn.BatchNorm1d(2, track_running_stats=False).double()
    out["untracked"] = {
        "y": untracked.eval()(make.randn(3, 2, 4, dtype=torch.float64)),
        "buffers": list(untracked.state_dict()),
    }
    out["one value per channel"] = capture(lambda: torch.nn.BatchNorm1d(2)(torch.ones(1, 2)))
    return out


@case(area=AREA, tags=("nn", "norm", "version"))
def batch_norm_running_stats_are_saved_for_backward(torch, make: Inputs):
    """The running stats are saved (the forward's own update bumps no version): writing into
    them before backward fails the version check, in training and in eval mode."""
    F = torch.nn.functional
    out: dict[str, Any] = {}
    for training in (True, False):
        x = make.randn(4, 3, dtype=torch.float64, requires_grad=True)
        mean, var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
        y = F.batch_norm(x, mean, var, training=training)
        out[f"training={training} version after forward"] = mean._version
        var.add_(1)
        out[f"training={training}"] = capture(y.sum().backward)
    return out


@case(area=AREA, tags=("nn", "norm"))
def layer_norm_and_group_norm(torch, make: Inputs):
    """LayerNorm over one and two trailing dims (with and without affine / bias) and GroupNorm:
    outputs, node names and gradients of input and parameters, at first and second order."""
    out: dict[str, Any] = {}
    modules: dict[str, Any] = {
        "layer_norm last": (torch.nn.LayerNorm(5), (2, 3, 5)),
        "layer_norm two dims": (torch.nn.LayerNorm((3, 5), eps=1e-3), (2, 3, 5)),
        "layer_norm no bias": (torch.nn.LayerNorm(5, bias=False), (4, 5)),
        "layer_norm no affine": (torch.nn.LayerNorm(5, elementwise_affine=False), (4, 5)),
        "group_norm": (torch.nn.GroupNorm(2, 4), (2, 4, 3, 2)),
        "group_norm one group": (torch.nn.GroupNorm(1, 4, affine=False), (3, 4, 5)),
    }
    for name, (module, shape) in modules.items():
        module = _set(torch, module.double(), make)
        x = make.randn(*shape, dtype=torch.float64, requires_grad=True)
        y = module(x)
        (g,) = torch.autograd.grad((y * y.detach().exp()).sum(), x, create_graph=True)
        g.pow(2).sum().backward()
        out[name] = {
            "repr": repr(module),
            "y": y,
            "node": _node(y),
            "x grad": g,
            "x.grad": x.grad,
            **_grads(module),
        }
    out["shape error"] = capture(lambda: torch.nn.functional.layer_norm(torch.ones(2, 3), (4,)))
    return out


# -- embedding, activations, dropout ---------------------------------------------------------------


@case(area=AREA, tags=("nn", "embedding"))
def embedding_padding_idx_gets_no_gradient(torch, make: Inputs):
    """Embedding rows picked by indices (a repeat accumulates); the padding_idx row (negative
    counts from the end) starts at zero and gets no gradient; scale_grad_by_freq divides by the
    count; the double backward gathers; the indices are version-checked."""
    out: dict[str, Any] = {}
    ids = torch.tensor([[1, 0, 4], [4, 4, 2]])
    emb = torch.nn.Embedding(6, 3, padding_idx=-2)
    out["padding row at construction"] = (
        emb.padding_idx,
        emb.weight[4].detach().clone(),
        repr(emb),
    )
    emb = _set(torch, emb.double(), make)
    y = emb(ids)
    (y * y).sum().backward()
    out["padding"] = {"y": y, "node": _node(y), "grad": emb.weight.grad}
    w = make.randn(6, 3, dtype=torch.float64, requires_grad=True)
    y = torch.nn.functional.embedding(ids, w, scale_grad_by_freq=True)
    (g,) = torch.autograd.grad((y**3).sum(), w, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), w)
    out["scale_grad_by_freq"] = {"grad": g, "node": _node(g), "gg": gg}
    loose = ids.clone()
    z = torch.nn.functional.embedding(loose, w)
    loose.add_(1)
    out["indices modified"] = capture(lambda: z.sum().backward())
    out["out of range"] = capture(lambda: torch.nn.functional.embedding(torch.tensor([6]), w))
    return out


@case(area=AREA, tags=("nn", "activations"))
def activation_and_dropout_modules(torch, make: Inputs):
    """GELU (exact and tanh), SiLU, Softplus, LeakyReLU, ELU and Dropout in eval mode (the
    identity: the same tensor back): values, reprs and gradients."""
    x = make.randn(3, 4, dtype=torch.float64, requires_grad=True)
    modules: dict[str, Any] = {
        "gelu": torch.nn.GELU(),
        "gelu tanh": torch.nn.GELU("tanh"),
        "silu": torch.nn.SiLU(),
        "softplus": torch.nn.Softplus(beta=2.0),
        "leaky_relu": torch.nn.LeakyReLU(0.2),
        "elu": torch.nn.ELU(0.7),
    }
    out: dict[str, Any] = {}
    for name, module in modules.items():
        y = module(x)
        (g,) = torch.autograd.grad(y.sum(), x)
        out[name] = {"repr": repr(module), "y": y, "node": _node(y), "grad": g}
    drop = torch.nn.Dropout(0.4).eval()
    out["dropout eval"] = {
        "repr": repr(drop),
        "same object": drop(x) is x,
        "training": drop.training,
    }
    return out


# -- a small CNN, trained -------------------------------------------------------------------------


@case(area=AREA, tags=("nn", "optim", "training"))
def small_cnn_trains_for_three_steps(torch, make: Inputs):
    """Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d -> Flatten -> Linear with CrossEntropyLoss,
    three steps of SGD with momentum: each step's loss and gradients, then the final weights and
    running statistics, and eval-mode logits."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 3),
    ).double()
    _set(torch, model, make)
    with torch.no_grad():
        model[1].weight.abs_()  # positive scales, as a trained model's
        model[5].weight.mul_(0.2)  # logits of order one, so SGD makes progress
    x = make.randn(6, 1, 6, 6, dtype=torch.float64)
    target = make.randint(0, 3, (6,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    steps = []
    for _ in range(3):
        opt.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        steps.append({"loss": loss.detach(), "node": _node(loss), "grads": _grads(model)})
        opt.step()
    model.eval()
    return {
        "steps": steps,
        "final": dict(model.state_dict()),
        "eval logits": model(x).detach(),
        "state_dict keys": list(model.state_dict()),
    }


# -- forward-mode AD ------------------------------------------------------------------------------


@case(area=AREA, tags=("nn", "forward_ad"))
def layer_ops_forward_mode(torch, make: Inputs):
    """Forward-mode tangents of conv2d, max_pool2d, avg_pool2d, batch_norm (train and eval),
    layer_norm, group_norm and embedding, every tensor input dual; then forward over reverse:
    the gradients' node names, values and tangents (detached: how a tangent's own history is
    built is torch-internal), and torch's refusal for group_norm's fused backward without
    create_graph."""
    fwAD = torch.autograd.forward_ad
    F = torch.nn.functional

    def _detached(t):  # values only: the tangents' own backward graphs are torch internals
        return None if t is None else t.detach()

    def r(*shape):
        return make.randn(*shape, dtype=torch.float64)

    ids = torch.tensor([[0, 2, 3], [3, 3, 1]])
    x4 = r(2, 3, 6, 5)
    running_mean, running_var = r(3), r(3).abs() + 0.5
    ops: dict[str, Any] = {
        "conv2d": (
            lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1),
            (x4, r(4, 3, 3, 2), r(4)),
        ),
        "conv1d": (lambda x, w: F.conv1d(x, w, dilation=2), (r(2, 3, 9), r(2, 3, 3))),
        "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, 1), (x4,)),
        "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), (x4,)),
        "batch_norm train": (
            lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
            (x4, r(3), r(3)),
        ),
        "batch_norm eval": (
            lambda x, w, b: F.batch_norm(x, running_mean, running_var, w, b, training=False),
            (x4, r(3), r(3)),
        ),
        "layer_norm": (lambda x, w, b: F.layer_norm(x, (6, 5), w, b), (x4, r(6, 5), r(6, 5))),
        "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), (r(2, 4, 3, 2), r(4), r(4))),
        "embedding padding_idx": (lambda w: F.embedding(ids, w, padding_idx=3), (r(5, 3),)),
    }
    out: dict[str, Any] = {}
    for name, (fn, inputs) in ops.items():
        tangents = [r(*t.shape) for t in inputs]
        with fwAD.dual_level():
            duals = [fwAD.make_dual(t, v) for t, v in zip(inputs, tangents, strict=True)]
            y = fn(*duals)
            out[name] = fwAD.unpack_dual(y).tangent
        with fwAD.dual_level():  # only the first input dual
            y = fn(fwAD.make_dual(inputs[0], tangents[0]), *inputs[1:])
            out[name + " input only"] = fwAD.unpack_dual(y).tangent
        # forward over reverse: the gradients' tangents, with and without create_graph
        for create_graph in (True, False):
            with fwAD.dual_level():
                duals = [
                    fwAD.make_dual(t.clone().requires_grad_(), v)
                    for t, v in zip(inputs, tangents, strict=True)
                ]
                y = fn(*duals)
                cotangent = r(*y.shape)

                def grads(y=y, duals=duals, cotangent=cotangent, create_graph=create_graph):
                    gs = torch.autograd.grad(y, duals, cotangent, create_graph=create_graph)
                    unpacked = [fwAD.unpack_dual(g) for g in gs]
                    return [
                        (_node(g), u.primal.detach(), _detached(u.tangent))
                        for g, u in zip(gs, unpacked, strict=True)
                    ]

                out[f"{name} reverse create_graph={create_graph}"] = capture(grads)
    return out


# -- matmul's batch folding -----------------------------------------------------------------------


@case(area=AREA, tags=("linalg", "graph_names"))
def matmul_batch_folding_node_names(torch, make: Inputs):
    """torch.matmul folds a batch into one mm/mv only when the small operand requires grad or
    the batch folds without a copy (never for a 2-D left operand), and squeezes a 3-D unit batch
    that requires grad; else expand + reshape (view, _reshape_alias or copy) + bmm. The whole
    graph's node names, pre-order, for contiguous, transposed and expanded operands."""

    def names(t):
        found = []

        def walk(fn):
            if fn is None or type(fn).__name__ == "AccumulateGrad":
                return
            found.append(type(fn).__name__)
            for child, _ in fn.next_functions:
                walk(child)

        walk(t.grad_fn)
        return found

    def operand(shape, layout, requires_grad):
        if layout == "contiguous":
            return make.randn(*shape, dtype=torch.float64, requires_grad=requires_grad)
        if layout == "transposed":
            swapped = (*shape[:-2], shape[-1], shape[-2])
            leaf = make.randn(*swapped, dtype=torch.float64, requires_grad=requires_grad)
            return leaf.transpose(-1, -2)
        leaf = make.randn(1, *shape[1:], dtype=torch.float64, requires_grad=requires_grad)
        return leaf.expand(*shape)

    pairs = [
        (((2, 3, 4), "contiguous"), ((4, 5), "contiguous")),
        (((2, 3, 4), "transposed"), ((4, 5), "contiguous")),
        (((2, 3, 4), "expanded"), ((4, 5), "transposed")),
        (((2, 2, 3, 4), "transposed"), ((4, 5), "contiguous")),
        (((2, 3, 4), "transposed"), ((4,), "contiguous")),
        (((4,), "contiguous"), ((2, 4, 5), "contiguous")),
        (((4,), "contiguous"), ((2, 4, 5), "transposed")),
        (((3, 4), "contiguous"), ((2, 4, 5), "transposed")),
        (((2, 3, 4), "contiguous"), ((1, 4, 5), "contiguous")),
        (((1, 3, 4), "transposed"), ((2, 4, 5), "contiguous")),
        (((1, 3, 4), "contiguous"), ((1, 4, 5), "contiguous")),
        (((2, 3, 4), "contiguous"), ((1, 1, 4, 5), "contiguous")),
    ]
    out = {}
    for (sa, la), (sb, lb) in pairs:
        for ga, gb in ((True, False), (False, True), (True, True)):
            a, b = operand(sa, la, ga), operand(sb, lb, gb)
            y = torch.matmul(a, b)
            out[f"{sa} {la} {ga} @ {sb} {lb} {gb}"] = {"names": names(y), "y": y}
    return out
