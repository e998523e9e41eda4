"""The seed documents' worked examples, one program per document (see ``_module``)."""
