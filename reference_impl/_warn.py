"""torch's warn-once policy: some warnings (TORCH_WARN_ONCE) fire once per process, unless
``set_warn_always(True)``."""

from __future__ import annotations

import warnings

_always = False
_seen: set[str] = set()


def set_warn_always(b: bool) -> None:
    global _always
    _always = bool(b)


def is_warn_always_enabled() -> bool:
    return _always


def warn_once(message: str, category: type[Warning] = UserWarning, stacklevel: int = 3) -> None:
    if _always or message not in _seen:
        _seen.add(message)
        warnings.warn(message, category, stacklevel=stacklevel + 1)
