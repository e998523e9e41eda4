"""A bare `@torch.inference_mode` on a function defined in a compiled function fails an assert.

Backend: torch.compile(backend="aot_eager") (a Dynamo tracing error: backend="eager" fails the
    same)
Torch: 2.13.0+cpu
Case: api_surface/bare_grad_mode_decorators (torch-compile)
Differs: a nested function decorated with a bare @torch.inference_mode (no parentheses) returns
    torch.is_inference_mode_enabled(). Eager: calling it returns True. Compiled: the call raises
    "AssertionError: expected exactly 1 arg, got 0" (torch/_dynamo/variables/ctx_manager.py,
    ContextWrappingVariable.call_function). Dynamo's handler for torch.inference_mode
    (torch/_dynamo/variables/torch.py) takes the function for the `mode` argument - it lacks the
    "argument is a function" branch that no_grad and enable_grad got with #111528 - and then
    takes the call of the decorated function, with no arguments, for the application of a
    decorator. With parentheses (@torch.inference_mode()) the compiled call returns True, as does
    a bare-decorated function defined outside the compiled function.
Right side: eager; the inference_mode docs give `mode (bool or function)`: "a Python function to
    decorate with inference mode enabled", which inference_mode.__new__ handles. reference_impl
    returns True for the bare decorator, as eager does. Found by the harness: the catalogue case
    api_surface/bare_grad_mode_decorators failed under torch-compile (error: only torch-compile
    raised the AssertionError); reduced by hand.
Issue: not found in the tracker. Closest: https://github.com/pytorch/pytorch/issues/111528
    ("[dynamo] `no_grad`, `enable_grad` - `_NoParamDecoratorContextManager` are not handled
    correctly", closed: the same bug for bare no_grad / enable_grad);
    https://github.com/pytorch/pytorch/pull/118427 ("[dynamo] support inference_mode with no
    arguments", closed: `with torch.inference_mode():`, not the bare decorator).
"""

import torch


def bare(x):
    @torch.inference_mode
    def inference_on():
        return torch.is_inference_mode_enabled()

    return x + 1, inference_on()


def with_parentheses(x):
    @torch.inference_mode()
    def inference_on():
        return torch.is_inference_mode_enabled()

    return x + 1, inference_on()


def run(fn):
    try:
        return f"inference_on() -> {fn(torch.ones(2))[1]}"
    except Exception as exc:  # Dynamo's internal error, whatever its type
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


print("eager                         :", run(bare))
print("compiled (aot_eager)          :", run(torch.compile(bare, backend="aot_eager")))
parenthesised = torch.compile(with_parentheses, backend="aot_eager")
print("compiled (aot_eager), with () :", run(parenthesised))
