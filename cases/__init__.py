"""The case catalogue: one module per area; importing this package registers every case.

Each submodule is imported in name order. A module that fails to import stops the import with
an error naming it, since a catalogue that silently lost an area would report fewer failures.
"""

from __future__ import annotations

import importlib
import pkgutil

_loaded = [
    importlib.import_module(f"{__name__}.{info.name}")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    if not info.name.startswith("_")
]
