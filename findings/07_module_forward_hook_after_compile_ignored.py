"""A forward hook registered on a compiled module after its first call is ignored.

Backend: torch.compile(module, backend="aot_eager")
Torch: 2.13.0+cpu
Case: none under the harness's backends: a case is compiled afresh at each call, and the
    finding needs a module compiled once before its hook is added
    (known_issues/forward_hook_added_after_first_call pins the behaviour eagerly).
Differs: a forward hook returning output * 0, registered after the first call, makes the eager
    module return zeros; the compiled module keeps returning the unhooked output.
Right side: eager: nn.Module documents that a forward hook's return value replaces the output.
Issue: https://github.com/pytorch/pytorch/issues/117758 ("torch.compile ignores forward hooks
    after compilation is triggered", closed), still reproduces on 2.13.0 with
    torch.compile(module); probably the same missing guard as findings/06.
"""

import torch
from torch import nn

torch.manual_seed(0)
layer = nn.Linear(2, 2)
compiled = torch.compile(layer, backend="aot_eager")
x = torch.ones(1, 2)
compiled(x)  # compile before the hook exists
layer.register_forward_hook(lambda module, args, output: output * 0)
print("eager   :", layer(x).tolist())
print("compiled:", compiled(x).tolist())
