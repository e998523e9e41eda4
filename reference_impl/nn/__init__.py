"""torch.nn: functional ops (modules, parameters and utils are added alongside)."""

from . import functional
