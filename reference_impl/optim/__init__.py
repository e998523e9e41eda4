"""torch.optim: the Optimizer base class, SGD, Adam, AdamW, RMSprop, Adagrad and lr_scheduler."""

from . import adagrad, adam, lr_scheduler, optimizer, rmsprop, sgd
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "adagrad",
    "adam",
    "lr_scheduler",
    "optimizer",
    "rmsprop",
    "sgd",
]
