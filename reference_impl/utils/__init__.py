"""torch.utils: the hook handle type and activation checkpointing."""

from . import checkpoint, hooks
