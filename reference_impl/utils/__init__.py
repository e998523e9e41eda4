"""torch.utils: the hook handle type."""

from . import hooks
