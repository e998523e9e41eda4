"""Backends by name: the built-ins, ``module:NAME``, and installed entry points.

``load_backend("torch-compile:inductor")`` is how the CLI, workers and tests turn a name from
``--backends`` into a ``Backend``. Built in: ``torch``, ``torch-cuda``, ``reference``,
``torch-compile[:MODE]``, ``torch-compiled-autograd[:MODE]``, ``torch-compile-ops[:MODE]``
(``conformance.torch_compiled``) and ``replay:PATH[#side]`` (``conformance.replay``). Any other
torch-like library registers a factory in the entry-point group ``autograd_conformance.backends``
(an entry point naming a module, a ``Backend``, or a callable returning one) or is passed as
``module:<dotted.module.name>`` (its ``conformance_backend()`` is used when it has one).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from importlib import metadata
from types import ModuleType
from typing import Any

from conformance import replay, torch_compiled
from conformance.backends import Backend, reference_backend, torch_backend, torch_cuda_backend
from conformance.errors import ConformanceInputError

ENTRY_POINT_GROUP = "autograd_conformance.backends"
BUILTIN = (
    "torch",
    "torch-cuda",
    "reference",
    "torch-compile[:aot_eager|inductor|eager]",
    "torch-compiled-autograd[:aot_eager|inductor|eager]",
    "torch-compile-ops[:aot_eager|inductor|eager]",
    "replay:RESULTS.jsonl[#baseline|#candidate]",
)


def _compiled(make: Callable[[str], Backend]) -> Callable[[str], Backend]:
    return lambda mode: make(mode or "aot_eager")


#: Built-in backends by name; ``NAME:OPTION`` passes OPTION (a compile mode, a results file).
_BUILTIN_FACTORIES: dict[str, Callable[[str], Backend]] = {
    "torch": lambda option: torch_backend(),
    "torch-cuda": lambda option: torch_cuda_backend(),
    "reference": lambda option: reference_backend(),
    "torch-compile": _compiled(torch_compiled.torch_compile_backend),
    "torch-compiled-autograd": _compiled(torch_compiled.torch_compiled_autograd_backend),
    "torch-compile-ops": _compiled(torch_compiled.torch_compile_ops_backend),
    "replay": replay.replay_backend,
}


def available_backends() -> list[str]:
    """Names usable in ``--backends``: built-ins, then installed entry points."""
    names = list(BUILTIN)
    names += [
        ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name not in names
    ]
    return names


def _from_loaded(name: str, loaded: Any) -> Backend:
    if isinstance(loaded, Backend):
        return loaded
    if isinstance(loaded, ModuleType):
        return Backend.from_module(name, loaded)
    if callable(loaded):
        made = loaded()
        if isinstance(made, Backend):
            return made
        if isinstance(made, ModuleType):
            return Backend.from_module(name, made)
    raise ConformanceInputError(
        f"backend {name!r}: entry point gave {type(loaded).__name__}, not a module or Backend"
    )


def _from_named_module(name: str, module: ModuleType) -> Backend:
    """``module:NAME``: the module's own ``conformance_backend()`` when it has one (an adapter
    saying how to read its tensors and which facets they carry), renamed to ``name``."""
    factory = getattr(module, "conformance_backend", None)
    if callable(factory):
        made = factory()
        if not isinstance(made, Backend):
            raise ConformanceInputError(
                f"backend {name!r}: conformance_backend() gave {type(made).__name__}, not a Backend"
            )
        return dataclasses.replace(made, name=name)
    return Backend.from_module(name, module)


def load_backend(name: str) -> Backend:
    """The backend called ``name``; one clear ``ConformanceInputError`` when it cannot load."""
    try:
        if name.startswith("module:"):
            return _from_named_module(name, importlib.import_module(name.removeprefix("module:")))
        base, _, option = name.partition(":")
        if base in _BUILTIN_FACTORIES and (option or base != "replay"):
            if option and base in ("torch", "torch-cuda", "reference"):
                raise ConformanceInputError(f"backend {base!r} takes no option, got {name!r}")
            return _BUILTIN_FACTORIES[base](option)
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == name:
                return _from_loaded(name, ep.load())
    except ConformanceInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any import failure is reported in one line
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise ConformanceInputError(f"backend {name!r} could not be loaded: {detail}") from exc
    known = ", ".join(available_backends())
    raise ConformanceInputError(f"unknown backend {name!r} (known: {known}, or module:NAME)")
