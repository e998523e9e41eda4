"""The API surface of issue 13, on reference_impl alone (torch is blocked here).

Each test states what torch 2.13 does (probed with the same program) and checks reference_impl
does it too; gradients with a derivative are checked against central differences in float64.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import reference_impl as torch
import reference_impl.nn.functional as F

MODIFIED = re.escape(
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: "
)


def leaf(*shape: int, seed: int = 0) -> torch.Tensor:
    values = np.random.default_rng(seed).standard_normal(shape)
    return torch.tensor(values.tolist(), dtype=torch.float64, requires_grad=True)


# -- every saved tensor is version-checked, differentiable or not -----------------------------


def test_where_condition_written_in_place_fails_backward():
    x, y = leaf(3), leaf(3, seed=1)
    condition = torch.tensor([True, False, True])
    z = torch.where(condition, x, y)
    condition.zero_()
    message = MODIFIED + re.escape("[CPUBoolType [3]] is at version 1; expected version 0")
    with pytest.raises(RuntimeError, match=message):
        z.sum().backward()


def test_masked_fill_mask_written_through_a_view_fails_backward():
    x = leaf(3)
    base = torch.tensor([[True, False, True], [False, False, True]])
    a = x * 1
    a.masked_fill_(base[0], 0.0)
    base[1].zero_()  # shares the saved mask's version counter
    with pytest.raises(RuntimeError, match=MODIFIED + re.escape("[CPUBoolType [3]]")):
        a.sum().backward()


def test_nll_loss_checks_self_then_target_then_weight():
    x = leaf(2, 3)
    scores, target, weight = x * 1, torch.tensor([0, 2]), torch.rand(3)
    loss = F.nll_loss(scores, target, weight=weight)
    target.add_(0)
    weight.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED + re.escape("[torch.LongTensor [2]]")):
        loss.backward()
    loss = F.nll_loss(scores, target, weight=weight)
    weight.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED + re.escape("[torch.FloatTensor [3]]")):
        loss.backward()


def test_bce_with_logits_weight_is_version_checked():
    x = leaf(3)
    weight = torch.rand(3)
    loss = F.binary_cross_entropy_with_logits(x, torch.rand(3, dtype=torch.float64), weight)
    weight.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED + re.escape("[torch.FloatTensor [3]]")):
        loss.backward()


def test_an_unmodified_mask_still_gives_the_masked_gradient():
    x = leaf(4)
    mask = torch.tensor([True, False, False, True])
    (x.masked_fill(mask, 7.0) * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 3.0, 0.0]
