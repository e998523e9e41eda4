"""Minimal pytrees (torch.utils._pytree): nested tuples, lists and dicts of leaves.

torch.func flattens its inputs and outputs to lists of tensors and rebuilds them afterwards;
this does the same for the three container types programs use, and prints a structure the way
torch's ``TreeSpec`` repr does (it appears in torch.func's error messages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TreeSpec:
    """A container type (None for a leaf), its context (dict keys) and its children's specs."""

    type: type | None = None
    context: Any = None
    children: tuple[TreeSpec, ...] = field(default_factory=tuple)

    @property
    def is_leaf(self) -> bool:
        return self.type is None

    @property
    def num_leaves(self) -> int:
        return 1 if self.is_leaf else sum(c.num_leaves for c in self.children)

    def __repr__(self) -> str:
        return self._repr(0)

    def _repr(self, indent: int) -> str:
        if self.type is None:
            return "*"
        text = ""
        if self.children:
            indent += 2
            text += self.children[0]._repr(indent)
            text += "," if len(self.children) > 1 else ""
            text += ",".join("\n" + " " * indent + c._repr(indent) for c in self.children[1:])
        return f"TreeSpec({self.type.__name__}, {self.context}, [{text}])"


LEAF = TreeSpec()


def tree_flatten(tree: Any) -> tuple[list[Any], TreeSpec]:
    """The leaves in order (dicts in insertion order) and the structure to rebuild them."""
    if isinstance(tree, (tuple, list)):
        leaves: list[Any] = []
        specs = []
        for item in tree:
            sub, spec = tree_flatten(item)
            leaves += sub
            specs.append(spec)
        return leaves, TreeSpec(type(tree), None, tuple(specs))
    if isinstance(tree, dict):
        leaves, specs = [], []
        for key in tree:
            sub, spec = tree_flatten(tree[key])
            leaves += sub
            specs.append(spec)
        return leaves, TreeSpec(dict, list(tree), tuple(specs))
    return [tree], LEAF


def tree_unflatten(leaves: list[Any], spec: TreeSpec) -> Any:
    """Inverse of ``tree_flatten``."""
    it = iter(leaves)

    def build(s: TreeSpec) -> Any:
        if s.type is None:
            return next(it)
        items = [build(c) for c in s.children]
        if s.type is dict:
            return dict(zip(s.context, items, strict=True))
        return s.type(items)

    return build(spec)


def broadcast_prefix(prefix: Any, spec: TreeSpec) -> list[Any] | None:
    """One value per leaf of ``spec``: a leaf of ``prefix`` covers its whole subtree. None when
    ``prefix`` is not a prefix of the structure (torch's in_dims / out_dims rule)."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * spec.num_leaves
    if spec.type is not type(prefix) or len(prefix) != len(spec.children):
        return None
    if isinstance(prefix, dict):
        if list(prefix) != spec.context:
            return None
        prefix = list(prefix.values())
    out: list[Any] = []
    for item, child in zip(prefix, spec.children, strict=True):
        sub = broadcast_prefix(item, child)
        if sub is None:
            return None
        out += sub
    return out
