"""Observations: what a case returns becomes flat, typed, named records."""

from __future__ import annotations

import numpy as np
import torch

from conformance import Raised, capture, capture_warnings
from conformance.observe import (
    RaisedObservation,
    TensorObservation,
    UnobservableObservation,
    ValueObservation,
    observe,
)


def by_name(observations):
    return {o.name: o for o in observations}


def test_tensors_are_recorded_with_values_dtype_shape_and_autograd_flags(torch_backend):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    found = by_name(observe({"x": x, "y": y}, torch_backend))
    assert found["y"] == TensorObservation(
        "y", "float32", (2,), True, False, "MulBackward0", values=np.array([2.0, 4.0])
    )
    assert found["x"].grad_fn is None and found["x"].is_leaf is True
    assert found["y"].values.tolist() == [2.0, 4.0]


def test_nested_containers_flatten_to_dotted_names(torch_backend):
    returned = {"grads": (torch.ones(1), None), "info": {"n": 3, "ok": True}, "empty": []}
    names = [o.name for o in observe(returned, torch_backend)]
    assert names == ["grads.0", "grads.1", "info.n", "info.ok", "empty"]


def test_plain_values_keep_their_python_type(torch_backend):
    found = by_name(
        observe(
            {
                "i": 3,
                "f": 0.5,
                "s": "x",
                "b": False,
                "n": None,
                "d": torch.float64,
                "np": np.float32(2.5),
            },
            torch_backend,
        )
    )
    assert {k: (v.type_name, v.value) for k, v in found.items()} == {
        "i": ("int", 3),
        "f": ("float", 0.5),
        "s": ("str", "x"),
        "b": ("bool", False),
        "n": ("none", None),
        "d": ("dtype", "float64"),
        "np": ("float", 2.5),
    }


def test_captured_exceptions_become_raised_records(torch_backend):
    def fail():
        raise RuntimeError("boom")

    result = capture(fail)
    assert result == Raised("RuntimeError", "boom")
    assert observe({"e": result}, torch_backend) == [RaisedObservation("e", "RuntimeError", "boom")]


def test_capture_returns_the_value_when_nothing_is_raised():
    assert capture(lambda: 42) == 42


def test_capture_warnings_records_category_and_normalised_message():
    x = torch.tensor([1.0], requires_grad=True)
    y = x * 2
    value, caught = capture_warnings(lambda: y.grad)
    assert value is None
    assert caught[0][0] == "UserWarning"
    assert caught[0][1].startswith("The .grad attribute of a Tensor that is not a leaf Tensor")
    assert caught[0][1].endswith("for more information.")


def test_capture_warnings_sees_a_warning_every_time_not_only_once():
    x = torch.tensor([1.0], requires_grad=True)
    y = x * 2
    first = capture_warnings(lambda: y.grad)[1]
    second = capture_warnings(lambda: y.grad)[1]
    assert len(first) == len(second) == 1


def test_numpy_arrays_are_observed_as_tensors_without_flags(torch_backend):
    (found,) = observe({"a": np.arange(3)}, torch_backend)
    assert isinstance(found, TensorObservation)
    assert (found.container, found.dtype, found.requires_grad) == ("ndarray", "int64", None)


def test_unknown_objects_are_recorded_by_class_name(torch_backend):
    x = torch.tensor([1.0], requires_grad=True)
    (found,) = observe({"node": (x * 2).grad_fn}, torch_backend)
    assert found == ValueObservation("node", "object", "MulBackward0")


def test_a_tensor_that_cannot_be_read_is_data_not_a_crash(torch_backend):
    class Exploding(torch.Tensor):
        @property
        def grad_fn(self):
            raise RuntimeError("no grad_fn today")

    weird = torch.ones(1).as_subclass(Exploding)
    (found,) = observe({"w": weird}, torch_backend)
    assert isinstance(found, UnobservableObservation) and "no grad_fn today" in found.error


def test_subclasses_of_the_common_shapes_are_observed_as_the_shapes_they_are():
    """The walk takes exact dicts, None, Raised and tensors first; a subclass of each (and a
    backend tensor that is a tuple) still becomes what it is, not an opaque object."""
    import collections
    from dataclasses import dataclass

    from conformance.backends import Backend

    @dataclass(frozen=True)
    class LoudRaised(Raised):
        pass

    class TupleTensor(tuple):
        """A library whose tensors are tuples: (values,)."""

        dtype, shape, requires_grad, is_leaf, grad_fn = "float32", (2,), False, True, None

    library = Backend(
        "tuples",
        np,
        to_numpy=lambda t: np.asarray(t[0], dtype=np.float32),
        is_tensor=lambda v: isinstance(v, TupleTensor),
    )
    returned = {
        "ordered": collections.OrderedDict(a=1),
        "error": LoudRaised("RuntimeError", "boom"),
        "t": TupleTensor(([1.0, 2.0],)),
        "items": (1, None),
    }
    found = by_name(observe(returned, library))
    assert found["ordered.a"] == ValueObservation("ordered.a", "int", 1)
    assert found["error"] == RaisedObservation("error", "RuntimeError", "boom")
    assert isinstance(found["t"], TensorObservation)
    assert found["t"].values.tolist() == [1.0, 2.0]
    assert found["items.1"] == ValueObservation("items.1", "none", None)
