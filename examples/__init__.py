"""Runnable autograd programs (seed documents, tutorial) that run on torch or reference_impl."""
