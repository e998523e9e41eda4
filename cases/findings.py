"""The project's own findings (``docs/findings.md``) that no other catalogue case pins, one case
each, so the catalogue is their regression suite.

A finding's script (``findings/NN_*.py``) shows it on plain torch; its case lets a
``conformance run`` show it on whatever backend pair is judged, and the known-differences lists
(``known/``) say which pairs still differ on torch 2.13.0. A list is strict: the run that meets
a listed case passing reports "no longer differs", which is how an upgrade of torch tells that a
finding was fixed. Each docstring's first line names the finding; the body says what the right
answer is and how torch 2.13.0 (CPU) behaves under the harness's backends.

Findings met by generated programs split their steps into separate compiled graphs (each op of
a program is its own frame under ``torch-compile``). A case function is compiled whole, so where
a finding needs a step in a graph of its own, the case reads a value back to Python between the
steps (``_read``), which Dynamo cannot trace: a graph break, and nothing else, on either side.
"""

from conformance import Inputs, capture, case

AREA = "findings"


def _read(tensor):
    """The values of ``tensor`` as Python numbers: under ``torch.compile`` a graph break here."""
    return tensor.detach().tolist()


def _scaled(x, w):
    """Findings 16 and 21's forward, a function of its own: Dynamo cannot enter ``save_on_cpu``
    and runs the frame around it eagerly, but it compiles the frames called in it."""
    return x / (w.abs() + 0.5)


@case(area=AREA, tags=("compile", "hooks"), expect={"grad": 9.28}, expect_atol=1e-5)
def hook_registered_on_an_intermediate_after_a_graph_break(torch, make: Inputs):
    """findings/08: a hook on an intermediate, registered after a graph break, sees its grad.

    ``y = x * x``, ``z = y * x ** 3``, a graph break, then a hook on ``y`` scaling its gradient
    by 3.14 and ``autograd.grad(z, x)`` at ``x = 1``: 2 * 3.14 + 3 = 9.28, the hook seeing 1.
    2.13.0 aot_eager calls the hook with None and returns the unhooked 5.
    """
    x = make.tensor(1.0, requires_grad=True)
    y = x * x
    z = y * x * x * x
    _read(z)
    seen = []
    y.register_hook(lambda g: seen.append(g) or (g if g is None else 3.14 * g))
    (grad,) = torch.autograd.grad(z, x)
    return {"grad": grad, "seen": tuple(seen)}


def _matmul_sum(x, w):
    """Finding 09's forward, a frame of its own, as the finding compiles it."""
    return (x @ w).sum()


@case(area=AREA, tags=("compile", "inplace", "version", "errors", "views"))
def saved_view_of_an_input_written_before_backward(torch, make: Inputs):
    """findings/09: backward refuses when a saved view of an input was written in place.

    ``y = (x @ w).sum()`` with a 3-D ``x`` saves a reshaped view of ``x``; ``x.add_(1)`` before
    ``y.backward()`` makes eager raise the in-place version error. 2.13.0 inductor raises
    nothing and computes ``w.grad`` from the written ``x``.
    """
    x = make.randn(2, 3, 4)
    w = make.randn(4, 2, requires_grad=True)
    y = _matmul_sum(x, w)
    _read(y)
    x.add_(1.0)
    return {"backward": capture(lambda: y.backward()), "w.grad": w.grad}


@case(
    area=AREA,
    tags=("compile", "inplace", "version", "errors"),
    expect={"backward": None, "x.grad": [0.727774] * 3},
    expect_atol=1e-6,
)
def input_only_the_compiled_graph_saves_written_after_forward(torch, make: Inputs):
    """findings/16: an input eager never saved, written after the forward, fails compiled backward.

    ``y = x / (w.abs() + 0.5)`` with ``w`` taking no gradient: eager saves the new tensor
    ``w.abs() + 0.5``, so ``w.mul_(2)`` after the forward is harmless and backward gives
    ``x.grad = 1 / (|w| + 0.5)``. 2.13.0 aot_eager and inductor save ``w`` itself and recompute,
    so backward raises the in-place version error.
    """
    x = make.tensor([-0.66, -1.36, 1.28], requires_grad=True)
    w = make.tensor([[1.35]]).tanh()
    y = _scaled(x, w)
    _read(y)
    w.mul_(2)
    return {"backward": capture(lambda: y.sum().backward()), "x.grad": x.grad}


@case(
    area=AREA,
    tags=("compile", "higher_order", "errors"),
    expect={"backward": None, "x.grad": [1.0, 1.0]},
)
def create_graph_backward_through_two_compiled_graphs(torch, make: Inputs):
    """findings/17: ``backward(create_graph=True)`` across two graphs raises a leaf in-place error.

    ``y = (x - c).sum(0)`` with a graph break between the two ops: eager gives ``x.grad = [1,
    1]``. 2.13.0 aot_eager and inductor raise "a leaf Variable that requires grad is being used
    in an in-place operation" from the runtime's handling of the expanded (stride-0) tangent.
    """
    x = make.tensor([-1.14, -0.77], requires_grad=True)
    difference = x - make.tensor([-1.14])
    _read(difference)
    y = difference.sum(0)
    backward = capture(lambda: y.backward(create_graph=True))
    return {"backward": backward, "x.grad": x.grad}


@case(area=AREA, tags=("compile", "inplace", "version", "errors"))
def in_place_check_across_graph_breaks(torch, make: Inputs):
    """findings/18: an in-place write to a saved result, across graph breaks, is not refused.

    ``t = x + 1; t.tanh_(); t.add_(1)`` with a graph break before each in-place op:
    ``tanh_``'s node saved its result ``t`` and ``add_`` wrote it, so eager's
    ``autograd.grad(t, x)`` raises the in-place version error. 2.13.0 aot_eager and inductor
    return a gradient (0.980653).
    """
    x = make.tensor(-1.14, requires_grad=True)
    t = x + 1
    _read(t)
    t.tanh_()
    _read(t)
    t.add_(1)
    return {"grad": capture(lambda: torch.autograd.grad(t, [x]))}


@case(
    area=AREA,
    tags=("accumulate_grad", "stride"),
    expect={"a.grad": 11.0, "b.grad": 101.0},
)
def stacked_scalar_leaves_keep_their_own_grads(torch, make: Inputs):
    """findings/19: two 0-d leaves stacked and summed must not share one ``.grad``.

    After ``stack([a, b]).sum().backward()`` each leaf's ``.grad`` is 1; a second backward with
    weights (10, 100) gives ``a.grad = 11`` and ``b.grad = 101``. 2.13.0 eager (and aot_eager)
    hand both leaves views of one stride-0 gradient buffer, so the second backward adds into
    both: 111 and 111 - eager torch itself is wrong here; reference_impl and compiled autograd
    give 11 and 101.
    """
    a = make.tensor(1.0, requires_grad=True)
    b = make.tensor(2.0, requires_grad=True)
    torch.stack([a, b]).sum().backward()
    torch.stack([a, b]).backward(make.tensor([10.0, 100.0]))
    return {"a.grad": a.grad, "b.grad": b.grad}


@case(
    area=AREA,
    tags=("compiled_autograd", "saved_tensors_hooks", "higher_order"),
    expect={"g": [3.0, -4.0], "second": [6.0, -8.0]},
)
def unpacked_saved_tensor_keeps_its_graph_under_create_graph(torch, make: Inputs):
    """findings/20: a saved tensor restored by an unpack hook stays in the double-backward graph.

    ``y = (x * x).sum()`` with its saved tensors packed as clones; ``g = autograd.grad(y, x,
    create_graph=True) = 2x`` and ``d/dx sum(g * x) = 4x``. 2.13.0 compiled autograd drops every
    term through the unpacked tensor: ``g`` is right but the second gradient is ``2x``.
    """
    x = make.tensor([1.5, -2.0], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda p: p):
        y = (x * x).sum()
    (g,) = torch.autograd.grad(y, [x], create_graph=True)
    (second,) = torch.autograd.grad((g * x).sum(), [x])
    return {"g": g, "second": second}


@case(
    area=AREA,
    tags=("compile", "saved_tensors_hooks", "inplace"),
    expect={"backward": None, "x.grad": [0.727774] * 3},
    expect_atol=1e-6,
)
def input_only_the_compiled_graph_saves_written_under_save_on_cpu(torch, make: Inputs):
    """findings/21: under saved-tensor hooks, finding 16's refusal becomes a wrong gradient.

    Finding 16's program with its forward under ``save_on_cpu()``: eager saved ``w.abs() +
    0.5``, so writing ``w`` is harmless and ``x.grad = 0.727774`` in each element. 2.13.0
    aot_eager and inductor saved ``w`` itself; the hooks hide the write from the version check
    and backward recomputes from the written ``w``: 0.444819.
    """
    x = make.tensor([-0.66, -1.36, 1.28], requires_grad=True)
    w = make.tensor([[1.35]]).tanh()
    with torch.autograd.graph.save_on_cpu():
        y = _scaled(x, w)
    w.mul_(2)
    return {"backward": capture(lambda: y.sum().backward()), "x.grad": x.grad}


@case(
    area=AREA,
    tags=("compiled_autograd", "inputs", "allow_unused"),
    expect={"grads.0": None, "grads.1": None},
)
def grad_after_a_backward_rooted_at_a_leaf(torch, make: Inputs):
    """findings/22: ``autograd.grad`` after a backward whose root is a leaf's own node.

    Leaves ``a``, ``x``, ``b``; a kept ``x * 1`` holds ``x``'s AccumulateGrad; ``x.backward(
    inputs=[a])`` reaches nothing, then ``autograd.grad(b * 2, [x, x], allow_unused=True)``
    gives ``(None, None)``. 2.13.0 compiled autograd fails an internal assert
    (``outputs.size() == output_edges.size()``) instead.
    """
    a = make.tensor(1.0, requires_grad=True)
    x = make.tensor(2.0, requires_grad=True)
    b = make.tensor(3.0, requires_grad=True)
    kept = x * 1
    first = capture(lambda: x.backward(inputs=[a]))
    grads = capture(lambda: torch.autograd.grad(b * 2, [x, x], allow_unused=True))
    return {"first": first, "grads": grads, "kept": kept, "a.grad": a.grad}


@case(area=AREA, tags=("compiled_autograd", "hooks", "inputs"))
def hooked_input_gradient_with_and_without_its_node(torch, make: Inputs):
    """findings/23: the gradient ``autograd.grad`` returns for a hooked non-leaf input.

    ``y = 1 / (|x| + 0.5)`` with ``y.register_hook(lambda g: g * 2)``, then ``autograd.grad(y *
    1, inputs)``: eager returns the hook's result (2.0) for ``inputs=[y]`` and what arrived
    before the hook (1.0) for ``inputs=[y, x]``, where ``y``'s node runs too. 2.13.0 compiled
    autograd returns 2.0 in both.
    """

    def grads(names):
        x = make.tensor(-1.14, requires_grad=True)
        y = (x.abs() + 0.5).reciprocal()
        y.register_hook(lambda g: g * 2.0)
        chosen = {"x": x, "y": y}
        return torch.autograd.grad(y * 1, [chosen[name] for name in names])

    return {"inputs=[y]": grads(["y"]), "inputs=[y, x]": grads(["y", "x"])}


@case(
    area=AREA,
    tags=("compile", "inductor", "retain_graph"),
    expect={"grads.0": 0.5, "grads.1": 0.5, "grads.2": 0.5},
)
def retain_graph_grads_after_a_graph_freeing_backward(torch, make: Inputs):
    """findings/24: ``retain_graph=True`` gradients of a backward whose graph another one freed.

    ``l1_loss(a, b)`` backwarded once (freeing its graph), then a second forward with the same
    backward graph and three ``autograd.grad(out, a, retain_graph=True)``: 0.5 each time for
    ``a[0]``. 2.13.0 inductor compiles the first backward with donated buffers and its FX graph
    cache serves that kernel to the second, which keeps its graph: 0.5, 0.25, 0.125.
    """
    a = make.tensor([0.8, 0.64], requires_grad=True)
    b = make.tensor([-0.57, -0.55])
    torch.nn.functional.l1_loss(a, b).backward()
    out, _ = torch.nn.functional.l1_loss(a, b), b.sum()
    grads = [torch.autograd.grad(out, [a], retain_graph=True)[0][0].item() for _ in range(3)]
    return {"grads": grads}


@case(area=AREA, tags=("compiled_autograd", "hooks", "errors"))
def hook_returning_a_gradient_of_another_size(torch, make: Inputs):
    """findings/31: a hook whose result has another size than the gradient is refused.

    A tensor hook on the leaf ``x = [1, 2]`` returns ``g.sum()``; ``(x * 2).sum().backward()``
    raises "hook '<lambda>' has changed the size of value" and leaves ``x.grad`` None. 2.13.0
    compiled autograd broadcasts the 0-d result into place: no error, ``x.grad = [4, 4]``.
    """
    x = make.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g.sum())
    return {"backward": capture(lambda: (x * 2).sum().backward()), "x.grad": x.grad}
