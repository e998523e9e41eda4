"""Backends: a torch-like module, how a case runs on it, and how to read its tensors.

Finding a backend by name (``--backends``) is ``conformance.registry``'s job.

Built in: ``torch`` (CPU), ``torch-cuda`` (when CUDA is available), ``reference``
(``reference_impl``), ``torch-compile[:MODE]`` and ``torch-compiled-autograd[:MODE]``
(``conformance.torch_compiled``) and ``replay:PATH`` (one side of a recorded results file,
``conformance.replay``). Any other torch-like library becomes a backend through the entry-point
group ``autograd_conformance.backends`` (an entry point naming a module, a ``Backend``, or a
callable returning one) or ad hoc as ``module:<dotted.module.name>`` (whose
``conformance_backend()``, when it has one, says how to read its tensors).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conformance.errors import ConformanceInputError
from conformance.facets import FLAGS, GRAPH
from conformance.inputs import dtype_name


def _generic_to_numpy(tensor: Any) -> np.ndarray:
    value = tensor.detach() if hasattr(tensor, "detach") else tensor
    if hasattr(value, "cpu"):
        value = value.cpu()
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    return np.asarray(value)


def call_directly(case: Any, module: Any, make: Any) -> Any:
    """Run a case's function as it is: the default way a backend runs a case."""
    return case.func(module, make)


#: How a backend runs a case (a ``conformance.case.Case``): ``call(case, module, make)`` returns
#: what the case function returns, run however the backend means it (compiled, under compiled
#: autograd), or a ``conformance.observe.Recorded`` set of observations (a replayed run).
CaseCall = Callable[[Any, Any, Any], Any]

#: Facets a reader provides unless the backend says otherwise.
ALL_FACETS = frozenset({FLAGS, GRAPH})


@dataclass
class Backend:
    """A torch-like module under a name: how to run a case on it and how to read its tensors.

    Running: ``call`` runs the case function (directly by default; a compiling backend wraps
    it), inside ``isolated``, which restores the module's global state. Reading, kept apart:
    ``to_numpy`` turns one of its tensors into a NumPy array (values only); ``is_tensor`` says
    whether an observed value is one of its tensors; ``provides`` names the optional facets its
    tensors carry (``flags``: requires_grad/is_leaf, ``graph``: grad_fn) - one it lacks is
    skipped and reported as skipped, never failed. ``device`` is passed to tensor factories for
    inputs and made the default device while a case runs. ``version`` overrides the module's
    ``__version__`` in the run header (a recorded run keeps the torch it was recorded with).
    """

    name: str
    module: Any
    to_numpy: Callable[[Any], np.ndarray] = field(default=_generic_to_numpy)
    is_tensor: Callable[[Any], bool] | None = None
    device: str | None = None
    call: CaseCall = field(default=call_directly)
    provides: frozenset[str] = ALL_FACETS
    version_override: str | None = None
    #: The backend name comparison policies and known-differences lists see (a replayed run
    #: is compared as the backend it recorded); None: ``name``.
    compares_as: str | None = None
    #: After each case on this backend, given its observations: what it measured about the run
    #: (compiled graphs, the share of results that came from compiled code).
    run_stats: Callable[[list[Any]], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.is_tensor is None:
            tensor_type = getattr(self.module, "Tensor", None)
            if not isinstance(tensor_type, type):
                raise ConformanceInputError(
                    f"backend {self.name!r}: module has no Tensor class; pass is_tensor="
                )
            self.is_tensor = lambda x: isinstance(x, tensor_type)

    @property
    def version(self) -> str | None:
        if self.version_override is not None:
            return self.version_override
        version = getattr(self.module, "__version__", None)
        return None if version is None else str(version)

    def tensor_check(self, value: Any) -> bool:
        assert self.is_tensor is not None
        return bool(self.is_tensor(value))

    def dtype_of(self, tensor: Any) -> str:
        """Canonical dtype name of one of this backend's tensors ('float32', ...)."""
        try:
            return dtype_name(tensor.dtype)
        except Exception:  # noqa: BLE001 - an unknown dtype is still reported, by its text
            return str(tensor.dtype).rsplit(".", 1)[-1]

    def is_dtype(self, value: Any) -> bool:
        """Whether ``value`` is one of the module's dtype objects (``torch.float32``)."""
        dtype_type = getattr(self.module, "dtype", None)
        return isinstance(dtype_type, type) and isinstance(value, dtype_type)

    @contextlib.contextmanager
    def isolated(self) -> Iterator[None]:
        """Restore the module's global state a case may change: grad mode, default dtype."""
        module = self.module
        saved: list[tuple[Callable[[Any], Any], Any]] = []
        for getter, setter in (
            ("is_grad_enabled", "set_grad_enabled"),
            ("get_default_dtype", "set_default_dtype"),
            ("is_anomaly_enabled", "set_anomaly_enabled"),
        ):
            get, put = getattr(module, getter, None), getattr(module, setter, None)
            if callable(get) and callable(put):
                with contextlib.suppress(Exception):
                    saved.append((put, get()))
        previous_device = None
        if self.device is not None and hasattr(module, "set_default_device"):
            previous_device = module.get_default_device()
            module.set_default_device(self.device)
        try:
            yield
        finally:
            if self.device is not None and hasattr(module, "set_default_device"):
                module.set_default_device(previous_device)
            for put, value in saved:
                with contextlib.suppress(Exception):
                    put(value)

    @classmethod
    def from_module(cls, name: str, module: Any) -> Backend:
        """A backend for any module with ``tensor``, ``Tensor`` and torch-like tensors."""
        return cls(name=name, module=module)


def _torch_to_numpy(tensor: Any) -> np.ndarray:
    import torch

    value = tensor.detach().cpu()
    if value.is_conj():
        value = value.resolve_conj()
    if value.is_neg():
        value = value.resolve_neg()
    if value.dtype == torch.bfloat16:
        value = value.float()
    if torch._is_zerotensor(value):
        # torch's "efficient zero" (a forward-AD tangent, sgn's gradient) refuses .numpy() but
        # is zeros in every user-visible way: it prints, adds and compares as zeros
        return np.asarray(value.numpy(force=True))
    return np.asarray(value.numpy())


def torch_backend() -> Backend:
    """PyTorch on the CPU."""
    import torch

    return Backend("torch", torch, _torch_to_numpy, lambda x: isinstance(x, torch.Tensor))


def torch_cuda_backend() -> Backend:
    """PyTorch on the first CUDA device (inputs and factories default to it)."""
    import torch

    if not torch.cuda.is_available():
        raise ConformanceInputError("backend 'torch-cuda': CUDA is not available here")
    is_tensor: Callable[[Any], bool] = lambda x: isinstance(x, torch.Tensor)  # noqa: E731
    return Backend("torch-cuda", torch, _torch_to_numpy, is_tensor, device="cuda")


def reference_backend() -> Backend:
    """The project's NumPy autograd engine, ``reference_impl``."""
    import reference_impl

    def to_numpy(tensor: Any) -> np.ndarray:
        return np.asarray(tensor.detach().numpy())

    return Backend("reference", reference_impl, to_numpy)
