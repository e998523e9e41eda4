"""reference_impl's training API: RMSprop and Adagrad against their update formulas written
out in NumPy (float64, so only the formulas can differ), optimizer state dicts that resume
training exactly, the lr schedulers' sequences, checkpoint, save_on_cpu and anomaly mode.
torch is blocked here."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

import reference_impl as torch
from reference_impl.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR
from reference_impl.utils.checkpoint import checkpoint

GRADS = [np.array([0.5, -1.0]), np.array([0.25, 2.0]), np.array([-1.0, 0.75])]
START = np.array([1.0, -2.0])


def _run(opt_cls, steps=3, **kwargs):
    """Apply GRADS (set by hand) to a float64 parameter; return it and the optimizer."""
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([p], **kwargs)
    for g in GRADS[:steps]:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return p, opt


# -- RMSprop -------------------------------------------------------------------------------------


def test_rmsprop_divides_by_the_running_root_mean_square():
    lr, alpha, eps = 0.01, 0.9, 1e-8
    p, opt = _run(torch.optim.RMSprop, lr=lr, alpha=alpha, eps=eps)
    x, sq = START.copy(), np.zeros(2)
    for g in GRADS:
        sq = alpha * sq + (1 - alpha) * g * g
        x = x - lr * g / (np.sqrt(sq) + eps)
    np.testing.assert_allclose(p.detach().numpy(), x, rtol=1e-12)
    state = opt.state[p]
    assert list(state) == ["step", "square_avg"] and state["step"].item() == 3.0
    assert state["step"].dim() == 0 and state["step"].dtype is torch.float32


def test_rmsprop_centered_with_momentum_and_weight_decay():
    lr, alpha, eps, mom, wd = 0.01, 0.99, 1e-8, 0.9, 0.1
    p, opt = _run(
        torch.optim.RMSprop, lr=lr, alpha=alpha, momentum=mom, centered=True, weight_decay=wd
    )
    x, sq, avg, buf = START.copy(), np.zeros(2), np.zeros(2), np.zeros(2)
    for g in GRADS:
        g = g + wd * x
        sq = alpha * sq + (1 - alpha) * g * g
        avg = avg + (1 - alpha) * (g - avg)
        buf = mom * buf + g / (np.sqrt(sq - avg * avg) + eps)
        x = x - lr * buf
    np.testing.assert_allclose(p.detach().numpy(), x, rtol=1e-12)
    assert list(opt.state[p]) == ["step", "square_avg", "momentum_buffer", "grad_avg"]


def test_rmsprop_refuses_a_negative_alpha_with_torchs_text():
    with pytest.raises(ValueError, match=r"^Invalid alpha value: -1$"):
        torch.optim.RMSprop([torch.ones(1, requires_grad=True)], alpha=-1)


# -- Adagrad -------------------------------------------------------------------------------------


def test_adagrad_accumulates_squares_and_decays_the_step_size():
    lr, lr_decay, wd, init, eps = 0.1, 0.05, 0.1, 0.2, 1e-10
    p, _ = _run(
        torch.optim.Adagrad,
        lr=lr,
        lr_decay=lr_decay,
        weight_decay=wd,
        initial_accumulator_value=init,
    )
    x, acc = START.copy(), np.full(2, init)
    for step, g in enumerate(GRADS, start=1):
        g = g + wd * x
        acc = acc + g * g
        x = x - lr / (1 + (step - 1) * lr_decay) * g / (np.sqrt(acc) + eps)
    np.testing.assert_allclose(p.detach().numpy(), x, rtol=1e-12)


def test_adagrad_creates_state_for_every_parameter_at_construction():
    idle = torch.ones(3, requires_grad=True)
    opt = torch.optim.Adagrad([idle], initial_accumulator_value=0.5)
    assert opt.state[idle]["step"].item() == 0.0
    assert opt.state[idle]["sum"].tolist() == [0.5, 0.5, 0.5]
    opt.step()  # no grad: nothing changes
    assert opt.state[idle]["step"].item() == 0.0 and idle._version == 0


# -- state dicts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
        (torch.optim.Adam, {"lr": 0.1}),
        (torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
        (torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    ],
    ids=["sgd", "adam", "rmsprop", "adagrad"],
)
def test_a_fresh_optimizer_loaded_from_a_state_dict_continues_identically(cls, kwargs):
    p, opt = _run(cls, steps=2, **kwargs)
    saved = copy.deepcopy(opt.state_dict())
    assert saved["param_groups"][0]["params"] == [0] and list(saved["state"]) == [0]
    q = torch.tensor(p.detach().numpy(), dtype=torch.float64, requires_grad=True)
    fresh = cls([q], lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    for o, t in ((opt, p), (fresh, q)):
        t.grad = torch.tensor(GRADS[2], dtype=torch.float64)
        o.step()
    assert p.tolist() == q.tolist()


# -- lr schedulers -------------------------------------------------------------------------------


def _lrs(make_scheduler, epochs=8, lr=0.1):
    opt = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=lr)
    sched = make_scheduler(opt)
    seq = [sched.get_last_lr()[0]]
    for _ in range(epochs):
        opt.step()
        sched.step()
        seq.append(sched.get_last_lr()[0])
    assert sched.last_epoch == epochs and opt.param_groups[0]["initial_lr"] == lr
    return seq


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    seq = _lrs(lambda o: StepLR(o, step_size=3, gamma=0.5))
    expected = [0.1 * 0.5 ** (e // 3) for e in range(9)]
    np.testing.assert_allclose(seq, expected, rtol=1e-15)


def test_exponential_lr_multiplies_by_gamma_every_epoch():
    np.testing.assert_allclose(
        _lrs(lambda o: ExponentialLR(o, gamma=0.9)), [0.1 * 0.9**e for e in range(9)], rtol=1e-14
    )


def test_cosine_annealing_follows_the_closed_form_down_and_back_up():
    t_max, eta_min = 4, 0.001
    seq = _lrs(lambda o: CosineAnnealingLR(o, T_max=t_max, eta_min=eta_min))
    closed = [eta_min + (0.1 - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2 for e in range(9)]
    np.testing.assert_allclose(seq, closed, rtol=1e-12)


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1)
    sched = StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before"):
        sched.step()


# -- checkpoint and save_on_cpu ------------------------------------------------------------------


def _block(calls):
    def block(t, w):
        calls.append(1)
        return ((t * w).sin() ** 2).exp().sum()

    return block


@pytest.mark.parametrize("reentrant", [False, True])
def test_checkpoint_gives_the_plain_gradients_and_recomputes_once_per_backward(reentrant):
    x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([1.5, 0.25, -0.5], dtype=torch.float64, requires_grad=True)
    calls: list[int] = []
    _block(calls)(x, w).backward()
    plain = (x.grad.tolist(), w.grad.tolist())
    x.grad = w.grad = None
    calls.clear()
    y = checkpoint(_block(calls), x, w, use_reentrant=reentrant)
    assert len(calls) == 1
    y.backward()
    assert len(calls) == 2
    np.testing.assert_allclose(x.grad.numpy(), plain[0], rtol=1e-14)
    np.testing.assert_allclose(w.grad.numpy(), plain[1], rtol=1e-14)
    expected = "CheckpointFunctionBackward" if reentrant else "SumBackward0"
    assert type(y.grad_fn).__name__ == expected


def test_checkpoint_without_use_reentrant_warns_and_is_reentrant():
    x = torch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed"):
        y = checkpoint(lambda t: t.exp().sum(), x)
    assert type(y.grad_fn).__name__ == "CheckpointFunctionBackward"


def test_save_on_cpu_leaves_gradients_unchanged():
    x = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    with torch.autograd.graph.save_on_cpu():
        (x.sin() * x).sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy(), np.cos([0.5, -1.0]) * [0.5, -1.0] + np.sin([0.5, -1.0])
    )


# -- anomaly mode --------------------------------------------------------------------------------


def _nan_backward():
    b = torch.zeros(1, requires_grad=True)
    (b.sqrt() * 0).backward(torch.ones(1))  # 0 * inf in SqrtBackward0


def test_anomaly_mode_names_the_node_that_returned_nan():
    nan_error = r"^Function 'SqrtBackward0' returned nan values in its 0th output\.$"
    with (
        torch.autograd.set_detect_anomaly(True),
        pytest.warns(UserWarning, match="Error detected in SqrtBackward0"),
        pytest.raises(RuntimeError, match=nan_error),
    ):
        _nan_backward()
    assert not torch.is_anomaly_enabled()


def test_without_anomaly_mode_or_check_nan_a_nan_gradient_passes_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _nan_backward()
        with torch.autograd.set_detect_anomaly(True, check_nan=False):
            _nan_backward()


def test_detect_anomaly_warns_when_created_and_restores_the_mode():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ctx = torch.autograd.detect_anomaly()
    with ctx:
        assert torch.is_anomaly_enabled() and torch.is_anomaly_check_nan_enabled()
    assert not torch.is_anomaly_enabled()
