"""One in-place add_ on an input bumps its _version by 2 under aot_eager, by 1 in eager.

Backend: torch.compile(backend="aot_eager") (backend="eager" agrees with eager)
Torch: 2.13.0+cpu
Case: inplace_version/chained_inplace_ops (torch-compile)
Differs: x._version goes 0 -> 1 in eager and under the "eager" compile backend, 0 -> 2 under
    aot_eager (functionalization writes the result back with a second copy_).
Right side: eager: one in-place op is one version bump; reference_impl also bumps by 1.
    Code that compares _version (saved-tensor checks, caching on _version) sees a change that
    did not happen.
Issue: not found in the tracker for the double bump; related and closed:
    https://github.com/pytorch/pytorch/issues/128198 ("AOT Autograd changes _version different
    from eager") and https://github.com/pytorch/pytorch/issues/135441 ("Inconsistent
    Tensor._version Behaviour with torch.compile()").
"""

import torch


def add_one(x):
    x.add_(1)
    return x


def bumps(fn):
    x = torch.ones(2)
    before = x._version
    fn(x)
    return x._version - before


print("eager                 :", bumps(add_one))
print("compiled (eager)      :", bumps(torch.compile(add_one, backend="eager")))
print("compiled (aot_eager)  :", bumps(torch.compile(add_one, backend="aot_eager")))
