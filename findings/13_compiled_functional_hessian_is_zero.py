"""torch.autograd.functional.hessian inside a compiled function returns zeros, silently.

Backend: torch.compile(backend="aot_eager") and backend="inductor"
Torch: 2.13.0+cpu
Case: api_surface/functional_jacobian_and_hessian (torch-compile)
Differs: the Hessian of sum(x**3) at x = (0.5, -1.5) is diag(6x) = [[3, 0], [0, -9]]; eager
    returns it, the compiled function returns [[0, 0], [0, 0]] with no error or warning.
Right side: eager: 6x on the diagonal by hand; reference_impl's autograd.functional.hessian
    returns [[3, 0], [0, -9]] too. Found by the harness:
    api_surface/functional_jacobian_and_hessian differs in values under torch-compile.
Issue: not found in the tracker for autograd.functional.hessian; related:
    https://github.com/pytorch/pytorch/issues/91469 ("torch.compile silently incorrect on double
    backwards", made an explicit error by https://github.com/pytorch/pytorch/pull/92348 - this
    path still returns a wrong value without that error).
"""

import torch

AF = torch.autograd.functional


def hessian_of_cube(a):
    return AF.hessian(lambda x: (x**3).sum(), a)


a = torch.tensor([0.5, -1.5], dtype=torch.float64)
print("eager              :", hessian_of_cube(a).tolist())
print("compiled aot_eager :", torch.compile(hessian_of_cube, backend="aot_eager")(a).tolist())
print("compiled inductor  :", torch.compile(hessian_of_cube, backend="inductor")(a).tolist())
