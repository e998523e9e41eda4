"""torch.optim: the Optimizer base class and SGD."""

from . import optimizer, sgd
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Optimizer", "optimizer", "sgd"]
