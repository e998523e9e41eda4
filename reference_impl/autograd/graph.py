"""torch.autograd.graph: the Node type of grad_fn objects."""

from .._node import Node

__all__ = ["Node"]
