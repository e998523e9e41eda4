"""Views torch refuses to rebase: outputs of multi-view ops and of custom Functions.

Writing in place into such a view (or reading its history after its base was written) would
need the view+inplace machinery to replace the node that made the view, which torch forbids
with the errors below. A guarded view carries ``ViewGuard`` naming its producer.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._saved import node_short_name

_MULTI = (
    "This view is the output of a function that returns multiple views. Such functions do not "
    "allow the output views to be modified inplace. You should replace the inplace operation by "
    "an out-of-place one."
)
_CUSTOM = (
    "This view was created inside a custom Function (or because an input was returned as-is) and "
    "the autograd logic to handle view+inplace would override the custom backward associated "
    "with the custom Function, leading to incorrect gradients. This behavior is forbidden. You "
    "can fix this by cloning the output of the custom Function."
)


@dataclass(frozen=True)
class ViewGuard:
    producer: str  # the node class name, e.g. "SplitBackward0" or "IdentBackward"
    output_nr: int
    custom_function: bool

    def _message(self, what: str) -> str:
        reason = _CUSTOM if self.custom_function else _MULTI
        return (
            f"Output {self.output_nr} of {node_short_name(self.producer)} is a view and {what}. "
            + reason
        )

    def modified_inplace(self) -> RuntimeError:
        return RuntimeError(self._message("is being modified inplace"))

    def base_modified(self) -> RuntimeError:
        return RuntimeError(
            self._message("its base or another view of its base has been modified inplace")
        )
