"""torch.Size: a tuple that prints as ``torch.Size([2, 3])`` (error messages quote it)."""

from __future__ import annotations

import math


class Size(tuple):
    __slots__ = ()

    def __new__(cls, dims=()):
        return super().__new__(cls, (int(d) for d in dims))

    @classmethod
    def of_shape(cls, shape: tuple[int, ...]) -> Size:
        """An array's shape is already a tuple of Python ints: wrap it without converting."""
        return tuple.__new__(cls, shape)

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(d) for d in self)}])"

    def __getitem__(self, item):
        out = super().__getitem__(item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


def shape_str(shape: tuple[int, ...]) -> str:
    """Shapes as torch prints them inside messages: ``[2, 3]``."""
    return "[" + ", ".join(str(d) for d in shape) + "]"
