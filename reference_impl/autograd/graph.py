"""torch.autograd.graph: the Node type of grad_fn objects, saved-tensor hooks and save_on_cpu."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._node import Node
from .._saved import HOOK_STACK
from .._tensor import Tensor

__all__ = ["Node", "save_on_cpu", "saved_tensors_hooks"]


class saved_tensors_hooks:  # noqa: N801 - torch's name
    """Inside the context, every tensor a recording op saves for backward goes through
    ``pack_hook`` (its result is kept instead) and comes back through ``unpack_hook`` when
    backward needs it. The innermost context wins; both hooks run with grad mode off."""

    def __init__(
        self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]
    ) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> None:  # torch's returns None: ``with ... as h`` binds None
        HOOK_STACK.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *exc: object) -> None:
        HOOK_STACK.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - torch's name
    """Saved tensors are kept on the CPU and moved back to their device for backward. Every
    tensor here lives on the CPU, so, as in torch on a CPU-only build, the packed value is the
    tensor itself (``tensor.cpu()`` returns it) and unpacking returns it unchanged."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor: Tensor) -> tuple[Any, Tensor]:
            return (tensor.device, tensor.cpu())

        def unpack_from_cpu(packed: tuple[Any, Tensor]) -> Tensor:
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)
