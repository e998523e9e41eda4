"""Errors that mean the input to the harness is wrong, not that a backend differs.

They end a command with one clear line and exit status 2, unlike differences between backends,
which are recorded as data.
"""


class ConformanceInputError(Exception):
    """Bad input to the harness: a malformed case, an unknown backend, an unwritable path."""


class CaseDefinitionError(ConformanceInputError):
    """A case is declared or uses ``make`` wrongly; the case is broken, not the backend."""
