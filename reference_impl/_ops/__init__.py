"""Op classes: each is a graph node type holding its forward and its vector-Jacobian product."""
