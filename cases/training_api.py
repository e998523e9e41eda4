"""The training and functional-transform API (issue 13): RMSprop and Adagrad, optimizer state
dicts that resume training exactly, the lr schedulers, torch.func (vjp, jvp, jacrev, jacfwd,
hessian, vmap), save_on_cpu, activation checkpointing and anomaly detection.
"""

from conformance import Inputs, capture, capture_warnings, case

AREA = "training_api"


def _loss(torch, p, q):
    """A small non-convex loss of two parameters (a 3-vector and a 2x3 matrix)."""
    return ((q @ p).sin() * (p**2).sum()).sum() + (q**2).mean()


def _train(torch, opt, p, q, steps):
    for _ in range(steps):
        opt.zero_grad()
        _loss(torch, p, q).backward()
        opt.step()


# -- optimizers ------------------------------------------------------------------------------------


@case(area=AREA, tags=("optim",))
def rmsprop_and_adagrad_training_steps(torch, make: Inputs):
    """Five steps of RMSprop (plain, momentum + centered + weight decay, maximize) and Adagrad
    (plain, lr_decay + weight decay + initial accumulator): parameters, state entries (step as
    a tensor), the idle parameter (Adagrad makes its state at construction), defaults, and
    torch's argument errors."""
    out = {}
    configs = {
        "rmsprop": (torch.optim.RMSprop, {}),
        "rmsprop momentum centered wd": (
            torch.optim.RMSprop,
            {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1},
        ),
        "rmsprop maximize": (torch.optim.RMSprop, {"maximize": True, "alpha": 0.9}),
        "adagrad": (torch.optim.Adagrad, {"lr": 0.1}),
        "adagrad decays": (
            torch.optim.Adagrad,
            {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.2},
        ),
    }
    p0, q0 = make.randn(3), make.randn(2, 3)
    for name, (cls, kwargs) in configs.items():
        p, q = torch.nn.Parameter(p0.clone()), torch.nn.Parameter(q0.clone())
        idle = torch.nn.Parameter(torch.ones(2))
        opt = cls([p, q, idle], **kwargs)
        _train(torch, opt, p, q, 5)
        out[name] = {
            "params": (p, q),
            "version": p._version,
            "state": dict(opt.state[p]),
            "idle": (idle, dict(opt.state[idle]) if idle in opt.state else None),
            "defaults": sorted(opt.defaults.items()),
            "repr": repr(opt),
        }
    p = torch.nn.Parameter(torch.ones(2))
    for label, (cls, kwargs) in {
        "rmsprop lr": (torch.optim.RMSprop, {"lr": -1.0}),
        "rmsprop alpha": (torch.optim.RMSprop, {"alpha": -1.0}),
        "rmsprop momentum": (torch.optim.RMSprop, {"momentum": -1.0}),
        "adagrad lr_decay": (torch.optim.Adagrad, {"lr_decay": -1.0}),
        "adagrad initial": (torch.optim.Adagrad, {"initial_accumulator_value": -1.0}),
        "adagrad eps": (torch.optim.Adagrad, {"eps": -1.0}),
    }.items():
        out[f"invalid {label}"] = capture(lambda cls=cls, kwargs=kwargs: cls([p], **kwargs))
    return out


@case(area=AREA, tags=("optim", "state_dict"))
def optimizer_state_dict_resumes_training(torch, make: Inputs):
    """state_dict() packs parameters as indices ({'state': {0: ...}, 'param_groups': [{...,
    'params': [0, 1]}]}); a fresh optimizer (built with another lr) that loads a copy of it
    continues exactly as the original does."""
    import copy

    out = {}
    p0, q0 = make.randn(3), make.randn(2, 3)
    for name, cls, kwargs in [
        ("sgd", torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
        ("adam", torch.optim.Adam, {"lr": 0.01}),
        ("rmsprop", torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
        ("adagrad", torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    ]:
        p, q = torch.nn.Parameter(p0.clone()), torch.nn.Parameter(q0.clone())
        opt = cls([p, q], **kwargs)
        _train(torch, opt, p, q, 3)
        saved = copy.deepcopy(opt.state_dict())
        p2, q2 = torch.nn.Parameter(p.detach().clone()), torch.nn.Parameter(q.detach().clone())
        fresh = cls([p2, q2], lr=1.0)
        fresh.load_state_dict(saved)
        _train(torch, opt, p, q, 2)
        _train(torch, fresh, p2, q2, 2)
        out[name] = {
            "layout": (sorted(saved), sorted(saved["state"]), saved["param_groups"]),
            "state 0": saved["state"][0],
            "original": (p, q),
            "resumed": (p2, q2),
            "resumed lr": fresh.param_groups[0]["lr"],
        }
    return out


# -- lr schedulers ---------------------------------------------------------------------------------


@case(area=AREA, tags=("lr_scheduler",))
def lr_scheduler_sequences(torch, make: Inputs):
    """StepLR, ExponentialLR and CosineAnnealingLR over 12 epochs (past T_max, where the
    cosine turns back up): get_last_lr() after each step, last_epoch, the groups' lr and
    initial_lr, and a closed-form jump with step(epoch) (which warns)."""
    S = torch.optim.lr_scheduler
    out = {}
    makers = {
        "step": lambda o: S.StepLR(o, step_size=3, gamma=0.5),
        "exponential": lambda o: S.ExponentialLR(o, gamma=0.9),
        "cosine": lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
    }
    for name, make_scheduler in makers.items():
        p = torch.nn.Parameter(torch.ones(2))
        q = torch.nn.Parameter(torch.ones(1))
        opt = torch.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)
        sched = make_scheduler(opt)
        seq = [sched.get_last_lr()]
        for _ in range(12):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        jump = capture_warnings(lambda sched=sched: sched.step(4))
        out[name] = {
            "lrs": seq,
            "last_epoch": sched.last_epoch,
            "groups": [(g["lr"], g["initial_lr"]) for g in opt.param_groups],
            "step(4)": (jump, sched.get_last_lr()),
        }
    return out


@case(area=AREA, tags=("lr_scheduler", "warnings"))
def lr_scheduler_step_before_optimizer_step_warns(torch, make: Inputs):
    """Stepping the scheduler before the optimizer warns (the first value of the schedule is
    skipped); calling get_lr() outside step() warns to use get_last_lr()."""
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    early = capture_warnings(sched.step)
    later = capture_warnings(sched.step)
    return {
        "first step": early,
        "second step": later,
        "get_lr outside step": capture_warnings(sched.get_lr),
        "lr": opt.param_groups[0]["lr"],
    }


# -- torch.func ------------------------------------------------------------------------------------


def _mix(a, b):
    """A function of two inputs with two outputs."""
    return (a[:2] * b).sin() * a.sum(), (a**2).sum() * b.exp().sum()


@case(area=AREA, tags=("func",))
def func_jacobians_and_hessian(torch, make: Inputs):
    """jacrev and jacfwd agree with each other (shapes out.shape + in.shape; argnums tuples;
    several outputs; has_aux), hessian of a scalar function of one and of two inputs."""
    F = torch.func
    a = make.randn(3, dtype=torch.float64)
    b = make.randn(2, dtype=torch.float64)
    cubic = lambda x, y: (x**3).sum() * y.exp().sum() + (x[:2] * y).sum()  # noqa: E731
    return {
        "jacrev": F.jacrev(lambda x: x.sin() * x)(a),
        "jacfwd": F.jacfwd(lambda x: x.sin() * x)(a),
        "jacrev argnums": F.jacrev(_mix, argnums=(0, 1))(a, b),
        "jacfwd argnums": F.jacfwd(_mix, argnums=(0, 1))(a, b),
        "jacrev scalar out": F.jacrev(lambda x: (x**2).sum())(a),
        "jacrev has_aux": F.jacrev(lambda x: (x.exp(), x.sum()), has_aux=True)(a),
        "hessian": F.hessian(lambda x: (x**3).sum() * x.sin().sum())(a),
        "hessian two in": F.hessian(cubic, argnums=(0, 1))(a, b),
        "argnum error": capture(lambda: F.jacrev(lambda x: x, argnums=2)(a)),
        "input untouched": (a.requires_grad, a.grad),
    }


@case(area=AREA, tags=("func",))
def func_vjp_and_jvp(torch, make: Inputs):
    """vjp returns (out, vjp_fn) and vjp_fn gives one gradient per primal; jvp takes tuples of
    primals and tangents and returns (out, tangent out); torch's errors for bad structures."""
    F = torch.func
    a = make.randn(3, dtype=torch.float64)
    b = make.randn(2, dtype=torch.float64)
    va = make.randn(3, dtype=torch.float64)
    vb = make.randn(2, dtype=torch.float64)
    out, vjp_fn = F.vjp(_mix, a, b)
    cot = (make.randn(2, dtype=torch.float64), make.randn((), dtype=torch.float64))
    single, single_fn = F.vjp(lambda x: x.exp() * x, a)
    return {
        "vjp out": out,
        "vjp": vjp_fn(cot),
        "vjp again": vjp_fn(cot),
        "vjp single": (single, single_fn(va)),
        "vjp bad cotangent": capture(lambda: single_fn(va[:2])),
        "vjp bad structure": capture(lambda: vjp_fn(cot[0])),
        "vjp non tensor": capture(lambda: F.vjp(lambda x: 3, a)),
        "jvp": F.jvp(_mix, (a, b), (va, vb)),
        "jvp single": F.jvp(lambda x: x.sin() * x, (a,), (va,)),
        "jvp not tuple": capture(lambda: F.jvp(lambda x: x, a, va)),
        "jvp structure": capture(lambda: F.jvp(lambda x: x, (a,), (va, va))),
    }


@case(area=AREA, tags=("func", "vmap"))
def func_vmap(torch, make: Inputs):
    """vmap over dim 0 by default, in_dims per argument (None: shared), a negative in_dim,
    out_dims, several outputs, vmap of jacrev (per-sample Jacobians), and torch's errors for
    mismatched sizes, nothing to map and bad in_dims."""
    F = torch.func
    x = make.randn(4, 3)
    w = make.randn(3)
    return {
        "sum": F.vmap(lambda t: t.sum())(x),
        "shared": F.vmap(lambda t, v: t * v, in_dims=(0, None))(x, w),
        "dim 1": F.vmap(lambda t, v: (t * v).sum(), in_dims=(1, None))(x, make.randn(4)),
        "negative": F.vmap(lambda t: t.exp(), in_dims=-1)(x),
        "out_dims 1": F.vmap(lambda t: t * 2, out_dims=1)(x),
        "two outputs": F.vmap(lambda t: (t.sin(), t.sum()))(x),
        "dict input": F.vmap(lambda d: d["a"] * 2)({"a": x}),
        "per-sample jacobian": F.vmap(F.jacrev(lambda t: t.sin() * t.sum()))(
            make.randn(2, 3, dtype=torch.float64)
        ),
        "size mismatch": capture(lambda: F.vmap(lambda a, b: a + b)(x, make.randn(5, 3))),
        "nothing mapped": capture(lambda: F.vmap(lambda a, b: a, in_dims=(None, None))(x, w)),
        "in_dims None": capture(lambda: F.vmap(lambda a: a, in_dims=None)(x)),
        "in_dim too big": capture(lambda: F.vmap(lambda a: a, in_dims=2)(x)),
        "in_dims list": capture(lambda: F.vmap(lambda a: a, in_dims=[0])(x)),
        "non tensor mapped": capture(lambda: F.vmap(lambda a, b: a * b, in_dims=(0, 0))(x, 2.0)),
        "non tensor out": capture(lambda: F.vmap(lambda a: 3)(x)),
    }


# -- memory: save_on_cpu and checkpoint ------------------------------------------------------------


@case(area=AREA, tags=("saved_hooks",))
def save_on_cpu_keeps_gradients(torch, make: Inputs):
    """Under save_on_cpu (a saved_tensors_hooks pair) the gradients are those of the plain
    program, and the context is a saved_tensors_hooks."""
    x = make.randn(3, requires_grad=True)
    w = make.randn(3, requires_grad=True)
    with torch.autograd.graph.save_on_cpu(pin_memory=False) as ctx:
        y = ((x * w).sin() * x.exp()).sum()
    y.backward()
    with_hooks = (x.grad.clone(), w.grad.clone())
    x.grad = w.grad = None
    ((x * w).sin() * x.exp()).sum().backward()
    return {
        "value": y,
        "grads": with_hooks,
        "plain grads": (x.grad, w.grad),
        "is saved_tensors_hooks": isinstance(ctx, torch.autograd.graph.saved_tensors_hooks),
    }


@case(area=AREA, tags=("checkpoint",))
def checkpoint_recomputes_forward(torch, make: Inputs):
    """checkpoint with use_reentrant=False and True: values and gradients equal those without
    checkpointing, the function runs once in forward and once more in backward (twice for two
    backwards), grad_fn is the plain graph's (False) or CheckpointFunctionBackward (True);
    omitting use_reentrant warns and means True; kwargs are refused by the reentrant variant."""
    import importlib

    checkpoint = importlib.import_module(torch.__name__ + ".utils.checkpoint").checkpoint
    calls = []

    def block(t, w):
        calls.append(1)
        h = (t * w).sin()
        return (h * h).exp().sum(0)

    x0, w0 = make.randn(2, 3), make.randn(3)
    x, w = x0.clone().requires_grad_(), w0.clone().requires_grad_()
    block(x, w).sum().backward()
    out = {"plain": (x.grad, w.grad)}
    for label, kwargs in [
        ("non-reentrant", {"use_reentrant": False}),
        ("reentrant", {"use_reentrant": True}),
    ]:
        x, w = x0.clone().requires_grad_(), w0.clone().requires_grad_()
        calls.clear()
        y = checkpoint(block, x, w, **kwargs)
        forward_calls = len(calls)
        y.sum().backward(retain_graph=True)
        after_one = len(calls)
        y.sum().backward()
        out[label] = {
            "value": y,
            "grad_fn": type(y.grad_fn).__name__,
            "grads after two backwards": (x.grad, w.grad),
            "calls": (forward_calls, after_one, len(calls)),
        }
    x = x0.clone().requires_grad_()
    out["no use_reentrant"] = capture_warnings(
        lambda: type(checkpoint(block, x, w0).grad_fn).__name__
    )
    out["reentrant kwargs"] = capture(
        lambda: checkpoint(lambda t, k=1: t * k, x, k=2, use_reentrant=True)
    )
    out["non-reentrant kwargs"] = checkpoint(lambda t, k=1: t * k, x, k=2, use_reentrant=False)
    out["reentrant no grad input"] = capture_warnings(
        lambda: checkpoint(block, x0, w0, use_reentrant=True).requires_grad
    )
    return out


# -- anomaly detection -----------------------------------------------------------------------------


def _first_sentence(found):
    """A warning's text up to its traceback (torch prints the forward stack, which names
    files that differ between engines)."""
    value, warns = found
    return value, [
        (kind, text.split(" Traceback")[0].split(" No forward")[0]) for kind, text in warns
    ]


@case(area=AREA, tags=("anomaly", "errors"))
def detect_anomaly_reports_nan_gradients(torch, make: Inputs):
    """With anomaly detection on, a backward node returning NaN raises torch's error naming it
    (0 * inf in sqrt's backward at 0) and warns where the error was detected; inf alone is no
    error; check_nan=False turns the check off; detect_anomaly warns when created and restores
    the previous mode on exit; set_detect_anomaly also works as a plain call."""

    def nan_backward():
        b = torch.zeros(1, requires_grad=True)
        (b.sqrt() * 0).backward(torch.ones(1))
        return b.grad

    def inf_backward():
        b = torch.zeros(1, requires_grad=True)
        b.sqrt().backward(torch.ones(1))
        return b.grad

    out = {}
    with torch.autograd.set_detect_anomaly(True):
        out["nan"] = _first_sentence(capture_warnings(nan_backward))
        out["inf"] = capture_warnings(inf_backward)
    with torch.autograd.set_detect_anomaly(True, check_nan=False):
        out["check_nan off"] = capture_warnings(nan_backward)
    out["created"] = capture_warnings(lambda: torch.autograd.detect_anomaly())
    with torch.autograd.detect_anomaly():
        out["inside"] = (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
        out["detect nan"] = _first_sentence(capture_warnings(nan_backward))
    out["after"] = torch.is_anomaly_enabled()
    torch.autograd.set_detect_anomaly(True)
    out["set as call"] = torch.is_anomaly_enabled()
    torch.autograd.set_detect_anomaly(False)
    out["off"] = (torch.is_anomaly_enabled(), capture_warnings(nan_backward))
    return out
