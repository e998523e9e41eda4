"""Generated autograd programs: plain-data programs, their interpreter, reproducers and oracle.

A program is data (``program.py``); ``interpreter.py`` runs it on any torch-like module,
``render.py`` prints it as a torch script, ``grammar.py`` says what programs are made of,
``draw.py`` draws program ``i`` of a seed from it (``strategies.py``: through Hypothesis, for
pytest), ``oracle.py`` adds a finite-difference opinion and ``generated.py`` turns them into cases.
"""

from conformance.programs.program import Program, from_json, to_json

__all__ = ["Program", "from_json", "to_json"]
