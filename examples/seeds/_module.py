"""The one place the example programs get ``torch`` from: real PyTorch or ``reference_impl``.

Each program does ``from examples.seeds._module import torch`` instead of ``import torch`` and is
otherwise the document's code. The module is picked by ``--module NAME`` (or ``--module=NAME``)
on the command line, else by the ``AUTOGRAD_MODULE`` environment variable, else ``torch``::

    python -m examples.seeds.seed_000_lesson5                            # real torch
    python -m examples.seeds.seed_000_lesson5 --module reference_impl
    AUTOGRAD_MODULE=reference_impl python -m examples.tutorial_autograd

Run them from the repository root so that ``examples`` and ``reference_impl`` are importable.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

CHOICES = ("torch", "reference_impl")
ENV_VAR = "AUTOGRAD_MODULE"


def module_name(argv: list[str] | None = None) -> str:
    """The chosen module's name: ``--module`` flag, then ``$AUTOGRAD_MODULE``, then torch."""
    args = sys.argv[1:] if argv is None else argv
    name = os.environ.get(ENV_VAR, "torch")
    for i, arg in enumerate(args):
        if arg == "--module" and i + 1 < len(args):
            name = args[i + 1]
        elif arg.startswith("--module="):
            name = arg.partition("=")[2]
    if name not in CHOICES:
        raise SystemExit(f"--module / ${ENV_VAR} must be one of {CHOICES}, not {name!r}")
    return name


def load(argv: list[str] | None = None) -> ModuleType:
    return importlib.import_module(module_name(argv))


torch = load()
