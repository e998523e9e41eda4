"""A custom Function's saved input written in place under compile: backward uses the new value.

Backend: torch.compile(backend="aot_eager") and backend="eager" (Dynamo alone)
Torch: 2.13.0+cpu
Case: custom_function/saved_input_modified_in_place_errors (torch-compile)
Differs: a = x * 1; y = Square.apply(a), whose forward does ctx.save_for_backward(a); then
    a.add_(1) in the same function; then y.sum().backward() at x = [1, 2]. Eager raises "one of
    the variables needed for gradient computation has been modified by an inplace operation"
    (a is at version 1, saved at 0). Compiled raises nothing and gives x.grad = 2(x + 1) = [4, 6]:
    the backward reads the written a, the gradient of a forward that never ran (2x = [2, 4] is
    the one at the saved value). Dynamo turns the Function into autograd_function_apply, whose
    runtime keeps the saved tensors in a closure, never in ctx.save_for_backward, so nothing
    checks their versions (backend="eager"); aot_eager's traced graph saves add = a + 1 and its
    backward computes 2 * add. With the write after the compiled function returns, aot_eager
    refuses as eager does; backend="eager" still returns [4, 6].
Right side: eager: autograd's saved-tensor version check is documented ("In-place correctness
    checks"), and by hand the backward of what ran is 2x, not 2(x + 1). reference_impl raises
    the same in-place error. Found by the harness: the catalogue case
    custom_function/saved_input_modified_in_place_errors failed under torch-compile (error:
    `backward` raised nothing); reduced by hand.
Issue: not found in the tracker. Closest: https://github.com/pytorch/pytorch/pull/171353
    (AOTAutograd's version checks for tensors a custom Function saves vs stashes on ctx; the
    opposite direction, compile erroring where eager does not),
    https://github.com/pytorch/pytorch/issues/197887 (inductor loses the check for a saved view
    of an input, finding 09), https://github.com/pytorch/pytorch/issues/184113 (a wrong gradient
    from an in-place custom Function under Dynamo, via mark_dirty; closed).
"""

import torch


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return 2 * a * g


def write_inside(x):
    a = x * 1
    y = Square.apply(a)
    a.add_(1)  # a is saved by Square; eager's backward must refuse
    return y


def write_outside(x):
    a = x * 1
    return Square.apply(a), a


def run(fn, inside):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    try:
        if inside:
            y = fn(x)
        else:
            y, a = fn(x)
            a.add_(1)
        y.sum().backward()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).split(':')[0]}"
    return f"x.grad = {x.grad.tolist()}  (2x = [2.0, 4.0]; 2(x + 1) = [4.0, 6.0])"


for inside, fn in ((True, write_inside), (False, write_outside)):
    where = "write inside " if inside else "write outside"
    print(f"eager               , {where}:", run(fn, inside))
    for backend in ("aot_eager", "eager"):
        torch._dynamo.reset()
        compiled = torch.compile(fn, backend=backend)
        print(f"compiled ({backend:9}), {where}:", run(compiled, inside))
