"""Compiled torch as backends: ``torch-compile[:MODE]`` and ``torch-compiled-autograd[:MODE]``.

Both hand cases the plain ``torch`` module and change *how* the case runs:

- ``torch-compile`` runs the whole case function through ``torch.compile`` (Dynamo backend
  ``aot_eager`` by default; ``:inductor``, ``:eager``, ``:aot_eager``). Ops are called directly
  by the case and the program interpreter, so Dynamo traces them; what it cannot trace
  (``backward()``, hooks, NumPy) is a graph break and runs eagerly in between. Of a generated
  program Dynamo compiles each op step as the op's own function (one graph per step, since
  each step's error is captured on its own) and not the interpreter's bookkeeping around it:
  frames without tensor arguments it does not trace, and the NumPy helpers that make a
  program's numbers, and the case's own function around the interpreter, are kept out of its
  tracing, as is ``make``, which draws a catalogue case's data (``_untraced_bookkeeping``).
- ``torch-compiled-autograd`` runs the case eagerly and every backward pass under compiled
  autograd, which traces the backward graph (hooks included) and compiles it with ``MODE``.

- ``torch-compile-ops`` runs the case eagerly but compiles each op of the op tables (the
  expressions ``cases/op_derivatives.py`` and generated programs apply) once, and reuses it
  across cases wherever Dynamo's guards allow: far cheaper for campaigns, and it tests the
  compiled op's autograd node inside eager code (hooks, in-place writes, version counters).

For the first two, Dynamo's caches are reset before each case, so no case sees another's
compiled artefacts and no case falls back to eager because the recompile limit was reached by
earlier ones. For all three, the recompile limits are raised while a case runs and reaching one
is an error, never a silent fallback to eager (``_case_config``). Each run
records how much came from compiled code (``stats``): the graphs compiled, graph breaks, and
for ``torch-compile`` the share of grad-carrying results whose node is a compiled graph's.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from types import CodeType
from typing import Any

from conformance.backends import Backend, CaseCall, torch_backend
from conformance.errors import ConformanceInputError

COMPILE_MODES = ("aot_eager", "inductor", "eager")
#: Node names of autograd graphs that compiled code produced.
COMPILED_NODES = frozenset({"CompiledFunctionBackward"})
#: ``torch-compile-ops`` compiles with static shapes (``dynamic=False``), not Dynamo's automatic
#: dynamic shapes: see ``torch_compile_ops_backend``.
OPS_DYNAMIC: bool | None = False
#: Compiled variants of one function that Dynamo keeps while a case runs (its default is 8).
RECOMPILE_LIMIT = 256


def _check_mode(backend: str, mode: str) -> str:
    if mode not in COMPILE_MODES:
        known = ", ".join(COMPILE_MODES)
        raise ConformanceInputError(f"backend {backend!r}: unknown mode {mode!r} (known: {known})")
    return mode


def _quiet_dynamo() -> None:
    """Dynamo's own warnings (recompile limits, graph-break explanations) are about how it
    compiled, not about the case; they would drown the run's output. Its errors still show."""
    import logging

    for name in ("torch._dynamo", "torch._inductor", "torch.fx.experimental.symbolic_shapes"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _unprofiled_guards() -> None:
    """Skip Dynamo's guard-latency measurement after each compile.

    Having built a frame's guards, Dynamo checks them once (kept) and then times one more
    evaluation after flushing the CPU caches (``profile_guard_manager``), only to log the
    latency as a compile metric. The flush costs about 25 ms per compiled frame - a fifth of
    every compile under aot_eager here - and decides nothing, so it is replaced by a function
    reporting zero latency. Guards are still built, checked and used as before."""
    from torch._dynamo import guards

    if getattr(guards.profile_guard_manager, "__module__", "") != __name__:
        guards.profile_guard_manager = _no_guard_profile  # type: ignore[assignment]


def _no_guard_profile(*args: Any) -> float:
    return 0.0


def _unrecorded_compile_metrics() -> None:
    """Skip building Dynamo's telemetry record at the end of each compile.

    On leaving a compile, Dynamo assembles a ``CompilationMetrics`` record for logs and
    dashboards (``record_compilation_metrics``): a copy of the Dynamo, inductor, functorch and
    compiler configs, each serialised (the inductor config alone 0.5 ms), for every frame
    compiled - 9-15 ms of a 165-204 ms ``torch-compile`` program here, 5-8%. Nothing in torch
    reads the record back but tests and logging, and the harness's statistics come from
    Dynamo's ``counters``, which are kept. With ``TORCH_TRACE`` set (someone reading a
    compile's structured trace, where the record goes) it is built as before."""
    import os

    from torch._dynamo import utils

    if os.environ.get("TORCH_TRACE"):
        return
    utils.record_compilation_metrics = _no_compilation_metrics  # type: ignore[assignment]
    for name in ("metrics_context", "runtime_metrics_context"):  # made before: this thread's
        context = getattr(utils._metrics_context_tls, name, None)
        if context is not None:
            context._on_exit = _no_compilation_metrics


def _no_compilation_metrics(*args: Any) -> None:
    return None


def _real_rng_tracker_state() -> None:
    """Build aot_autograd's unused RNG-tracker state as plain tensors, not under fake mode.

    Every aot_autograd compile resets ``PhiloxStateTracker`` twice, and each reset makes six
    empty tensors with ``torch.tensor(())`` while the compile's fake mode is active, so each is
    a real tensor converted to a fake one: about 6 ms of a 30-40 ms compile here (13% of a
    ``torch-compile-ops`` campaign). The tracker's tensors are read only where RNG ops are
    functionalized (``torch._functorch.config.functionalize_rng_ops``, off by default, used for
    CUDA); there the reset runs exactly as before. Otherwise they are made with the dispatch
    modes set aside, which changes no graph: nothing reads them."""
    try:
        from torch._decomp.decompositions_for_rng import PhiloxState
    except ImportError:  # another torch: nothing to spare
        return
    reset = PhiloxState.reset
    if getattr(reset, "__module__", "") == __name__:
        return

    def reset_outside_fake_mode(self: Any) -> None:
        from torch._functorch import config
        from torch.utils._python_dispatch import _disable_current_modes

        if config.functionalize_rng_ops:
            reset(self)
            return
        with _disable_current_modes():
            reset(self)

    PhiloxState.reset = reset_outside_fake_mode  # type: ignore[method-assign]


def _case_config() -> Any:
    """Dynamo's configuration while a case runs.

    - Its recompile limits raised to ``RECOMPILE_LIMIT``, and reaching one an error the case
      records (``FailOnRecompileLimitHit``). Past its limit (8 variants of one code object)
      Dynamo runs the function eagerly, saying so only in a warning: under ``torch-compile``
      the interpreter's op step (then one frame for every op, one variant per op expression)
      reached it in 6 of the first 30 generated programs of seed 0, whose later ops then ran
      eagerly under a compiled backend's name. Each op is now its own frame, but one op may
      still be recompiled per signature.
    - No garbage collection forced after each compile (``run_gc_after_compile``): a program
      compiles 5 frames or so, and every tenth forced collection of the young generations
      made the next a full one, over everything the run's caches hold - 15-18 ms of GC a
      ``torch-compile`` program, 7 ms on the collector's own schedule (``gc.callbacks``), which
      collects what the compiles leave all the same: 200 programs in one process end at 421
      MiB resident either way. A worker that keeps growing is replaced (``MemoryWatch``)."""
    from torch._dynamo import config

    return config.patch(
        recompile_limit=max(config.recompile_limit, RECOMPILE_LIMIT),
        accumulated_recompile_limit=max(config.accumulated_recompile_limit, 4 * RECOMPILE_LIMIT),
        fail_on_recompile_limit_hit=True,
        run_gc_after_compile=False,
    )


def _untraced_bookkeeping() -> None:
    """Keep the harness's own frames out of Dynamo's tracing: the program interpreter's
    (``UNTRACED_FRAMES``: the NumPy helpers, which make leaf values, constants and gradient
    weights from seeds, and a generated case's function around the interpreter), and every
    function of ``conformance.inputs`` (``make``'s methods: a catalogue case's data, drawn with
    NumPy). They run eagerly, as the harness's data and bookkeeping, while the frames they call
    are decided on as before. Marked after every reset, which forgets such marks.

    Traced, ``make`` was most of a catalogue case's compiling: Dynamo broke inside it at the
    NumPy generator and compiled its pieces as frames of their own - 180 of the 220 frames
    compiled for 20 ``op_derivatives`` cases were ``rng``, ``_normal``, ``_tensor``, ``_cast``
    and their resumptions - none of them code under test."""
    from torch._dynamo.eval_frame import skip_code

    from conformance import inputs
    from conformance.programs.interpreter import UNTRACED_FRAMES

    for function in UNTRACED_FRAMES:
        skip_code(getattr(function, "__wrapped__", function).__code__)
    for code in _codes_defined_in(inputs):
        skip_code(code)


@functools.cache
def _codes_defined_in(module: Any) -> tuple[CodeType, ...]:
    """The code of every function ``module`` defines: its functions, and its classes' methods
    and properties (nested functions excepted). Found once; marked after every reset."""
    import inspect

    def functions(namespace: Mapping[str, Any]) -> list[Any]:
        found = []
        for value in namespace.values():
            for part in (value.fget, value.fset) if isinstance(value, property) else (value,):
                part = getattr(part, "__func__", part)  # static and class methods
                part = getattr(part, "__wrapped__", part)  # lru_cache and functools.wraps
                if inspect.isfunction(part) and part.__module__ == module.__name__:
                    found.append(part)
        return found

    classes = [c for c in vars(module).values() if inspect.isclass(c)]
    owned = [c for c in classes if c.__module__ == module.__name__]
    every = functions(vars(module)) + [f for c in owned for f in functions(vars(c))]
    return tuple(f.__code__ for f in every)


def _fresh_dynamo() -> Any:
    """Forget every compiled artefact and counter, so a case is compiled on its own.

    Frames Dynamo skips by its trace rules alone stay skipped (``_keep_rule_skips``): deciding
    that again for torch's and Python's own frames after every reset was 5-8% of a
    ``torch-compile`` program, and the decision cannot depend on what ran before."""
    import torch._dynamo
    from torch._dynamo.utils import counters

    _keep_rule_skips()
    torch._dynamo.reset()
    counters.clear()
    return counters


#: Whether Dynamo skips a code's frames by rule, by (file, name): what ``trace_rules.check``
#: reads of a code (a cache: each reset asks again for the hundred codes it does reset).
_SKIPPED_BY_RULE: dict[tuple[str, str], bool] = {}


def _keep_rule_skips() -> None:
    """Take out of the codes the next ``torch._dynamo.reset()`` resets those it skips by its
    trace rules: a skip file's code (``torch/_tensor.py``, ``contextlib.py``, ...) that holds no
    compiled entry. Dynamo decides such a skip from the code alone (``trace_rules.check``), so
    the frame's remembered skip is the decision it would make again. One rule reads the frame
    (an inbuilt module's ``forward`` is traced when the module has hooks), so no ``forward``
    is kept. A kept code is never seen again by the callback, so it stays out of every later
    reset; everything else (compiled code, frames skipped for other reasons, counters) is
    reset as before."""
    from torch._dynamo import convert_frame, trace_rules
    from torch._dynamo.eval_frame import _debug_get_cache_entry_list

    def kept(code: CodeType | None) -> bool:
        if code is None or code.co_name == "forward" or _debug_get_cache_entry_list(code):
            return False
        where = (code.co_filename, code.co_name)
        skipped = _SKIPPED_BY_RULE.get(where)
        if skipped is None:
            skipped = _SKIPPED_BY_RULE[where] = bool(trace_rules.check(code))
        return skipped

    codes = convert_frame.input_codes
    codes.seen[:] = [ref for ref in codes.seen if not kept(ref())]


def _grad_share(observations: list[Any]) -> dict[str, int]:
    """How many tensor results carry a grad_fn, and how many of those are compiled graphs'."""
    with_history = [
        o for o in observations if getattr(o, "kind", "") == "tensor" and o.grad_fn is not None
    ]
    compiled = [o for o in with_history if o.grad_fn in COMPILED_NODES]
    return {"grad_results": len(with_history), "compiled_grad_results": len(compiled)}


def _compiled_torch(
    kind: str, mode: str, call: CaseCall, run_stats: Callable[[list[Any]], dict[str, Any]]
) -> Backend:
    """The torch backend under the name ``kind[:mode]``, running cases with ``call``."""
    name = kind if mode == "aot_eager" else f"{kind}:{mode}"
    _check_mode(name, mode)
    _quiet_dynamo()
    _unprofiled_guards()
    _unrecorded_compile_metrics()
    _real_rng_tracker_state()
    plain = torch_backend()
    return dataclasses.replace(plain, name=name, call=call, run_stats=run_stats)


def torch_compile_backend(mode: str = "aot_eager") -> Backend:
    """torch with every case function run through ``torch.compile(backend=mode)``."""
    import torch

    def call(case: Any, module: Any, make: Any) -> Any:
        _fresh_dynamo()
        _untraced_bookkeeping()
        with _case_config():
            return torch.compile(case.func, backend=mode)(module, make)

    def run_stats(observations: list[Any]) -> dict[str, Any]:
        from torch._dynamo.utils import counters

        return {
            "graphs": int(counters["stats"]["unique_graphs"]),
            "graph_breaks": int(sum(counters["graph_break"].values())),
            **_grad_share(observations),
        }

    return _compiled_torch("torch-compile", mode, call, run_stats)


def torch_compiled_autograd_backend(mode: str = "aot_eager") -> Backend:
    """torch with every backward pass of a case run under compiled autograd."""
    import torch
    from torch._dynamo import compiled_autograd

    def call(case: Any, module: Any, make: Any) -> Any:
        _fresh_dynamo()
        with _case_config(), compiled_autograd._enable(torch.compile(backend=mode)):
            return case.func(module, make)

    def run_stats(observations: list[Any]) -> dict[str, Any]:
        from torch._dynamo.utils import counters

        return {
            "graphs": int(counters["stats"]["unique_graphs"]),
            "backward_graphs": int(counters["compiled_autograd"]["captures"]),
            **_grad_share(observations),
        }

    return _compiled_torch("torch-compiled-autograd", mode, call, run_stats)


def torch_compile_ops_backend(mode: str = "aot_eager") -> Backend:
    """torch with every op-table expression compiled once (``torch.compile(backend=mode)``)
    and reused across cases; the rest of each case runs eagerly.

    Ops are compiled with static shapes (``dynamic=False``): with Dynamo's default automatic
    dynamic shapes, an op whose input size changed in an *earlier* case is recompiled with
    symbolic sizes, so a program's verdict depended on which programs its worker had run
    before (five of the failures in the first 250 programs of seed 0 did not reproduce when the
    program ran alone) and every later compile of that op paid for symbolic shapes (about 30%
    of the run). Each op's variants are its signatures (dtype, shape, requires_grad, grad
    mode, ...), a bounded set that ``RECOMPILE_LIMIT`` holds (``_case_config``).

    One dependence on history remains, and it is torch's: after the programs before it ran
    its ops, program 67 of seed 0 has a ``create_graph=True`` backward refused by
    aot_autograd's donated buffers; alone, it passes. The shrinker runs a failure again on its
    own first, and says when it passes."""
    import torch
    from torch._dynamo.utils import counters

    from conformance.expressions import wrapped_by

    def compile_op(function: Any) -> Any:
        return torch.compile(function, backend=mode, dynamic=OPS_DYNAMIC)

    before: dict[str, int] = {}

    def call(case: Any, module: Any, make: Any) -> Any:
        before["graphs"] = int(counters["stats"]["unique_graphs"])
        with wrapped_by(compile_op), _case_config():
            return case.func(module, make)

    def run_stats(observations: list[Any]) -> dict[str, Any]:
        return {
            "graphs": int(counters["stats"]["unique_graphs"]) - before.get("graphs", 0),
            **_grad_share(observations),
        }

    return _compiled_torch("torch-compile-ops", mode, call, run_stats)
