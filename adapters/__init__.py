"""Worked adapters that make third-party torch-like libraries conformance backends.

Each subpackage is a torch-shaped module over one library plus a ``backend()`` factory (also
exposed as ``conformance_backend``, which ``module:NAME`` looks for). They map what the library
has and never fake what it lacks: a missing op raises ``AttributeError``, which the harness
reports as ``unsupported``. See docs/backends.md.
"""
