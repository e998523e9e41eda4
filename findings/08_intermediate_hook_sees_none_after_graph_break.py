"""A hook registered on an intermediate after a graph break receives None under aot_eager.

Backend: torch.compile(backend="aot_eager") (the print causes a graph break)
Torch: 2.13.0+cpu
Case: findings/hook_registered_on_an_intermediate_after_a_graph_break
    (torch-compile, torch-compile:inductor)
Differs: with y = x*x, z = y*x^3 and a hook on y scaling its grad by 3.14, eager's
    autograd.grad(z, x) at x = 1 is 2*3.14 + 3 = 9.28 and the hook sees tensor(1.); the
    compiled function calls the hook with None and returns the unhooked 5.0 (a hook that does
    not guard against None raises TypeError instead).
Right side: eager: dz/dx = dz/dy * 3.14 * dy/dx + (direct term) = 1 * 3.14 * 2 + 3 = 9.28 by
    hand; reference_impl gives 9.28. A tensor hook is documented to receive the grad tensor.
Issue: https://github.com/pytorch/pytorch/issues/91468 ("torch.compile incorrect when imperative
    autograd APIs are used", open).
"""

import torch

seen = []


def f(x):
    y = x * x
    z = y * x * x * x
    print("(graph break)")
    y.register_hook(lambda g: seen.append(g) or (g if g is None else 3.14 * g))
    (result,) = torch.autograd.grad(z, x)
    return result


x = torch.tensor(1.0, requires_grad=True)
eager = f(x)
print("eager   :", eager, "hook saw", seen)
seen.clear()
compiled = torch.compile(f, backend="aot_eager")(x)
print("compiled:", compiled, "hook saw", seen)
