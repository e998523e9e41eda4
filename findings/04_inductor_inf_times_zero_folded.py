"""Inductor folds x * 0 to 0, so inf * 0 gives 0 where eager (IEEE 754) gives nan.

Backend: torch.compile(backend="inductor")
Torch: 2.13.0+cpu
Case: known_issues/inf_times_zero_is_nan (torch-compile:inductor)
Differs: (x * 0).sum() for x = [inf, 1] is nan in eager and 0 under inductor. Multiplying by a
    tensor zero is not folded (both give nan); only the Python literal 0 is.
Right side: eager: IEEE 754 defines inf * 0 = nan; reference_impl (NumPy) gives nan.
Issue: pull request https://github.com/pytorch/pytorch/pull/186281 ("[inductor] Don't fold float
    x * 0 to 0 in uniform-value constant folding (drops NaN/Inf)"); not in 2.13.0.
"""

import torch


def times_zero(x):
    return (x * 0).sum()


x = torch.tensor([float("inf"), 1.0])
print("eager   :", times_zero(x))
print("compiled:", torch.compile(times_zero, backend="inductor")(x))
