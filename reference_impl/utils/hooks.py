"""torch.utils.hooks.RemovableHandle: what every register_*hook returns."""

from .._node import RemovableHandle

__all__ = ["RemovableHandle"]
