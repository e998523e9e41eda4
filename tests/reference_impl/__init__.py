"""Tests of reference_impl; torch is unimportable here (see conftest.py)."""
