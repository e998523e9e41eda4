"""The speed-and-scale benchmark (``python bench/run.py``): every figure is a ratio of two
measurements taken side by side in one run, so the machine's noise cancels."""
