"""The one way reference_impl says "I don't have this": ``UnsupportedOp``.

It is a NotImplementedError (the harness records the case as *unsupported*, not failed) and an
AttributeError (so ``hasattr(torch, "fft")`` stays False), and it names the missing op.
"""

from __future__ import annotations


class UnsupportedOp(NotImplementedError, AttributeError):
    def __init__(self, op: str) -> None:
        super().__init__(f"reference_impl does not implement {op}")
        self.op = op
