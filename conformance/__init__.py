"""autograd-conformance: run autograd cases side by side on two torch-like backends.

Case authors need ``case``, ``Inputs``, ``capture`` and ``capture_warnings``; analysts need
``load_results``.
"""

from conformance.capture import Raised, capture, capture_warnings
from conformance.case import REGISTRY, Case, case
from conformance.inputs import Inputs
from conformance.results import load_results

__all__ = [
    "REGISTRY",
    "Case",
    "Inputs",
    "Raised",
    "capture",
    "capture_warnings",
    "case",
    "load_results",
]
