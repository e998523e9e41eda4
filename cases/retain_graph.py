"""retain_graph: when saved tensors are freed, and what a later backward through them does.

Only saved tensors are freed (the nodes and their edges survive); a graph that saved nothing can be
backwarded again; the error is raised lazily, when a node whose saved tensors were freed runs, so
a second root sharing such a node fails too; retain_graph defaults to create_graph; autograd.grad
frees like backward.
"""

from conformance import Inputs, capture, capture_warnings, case

AREA = "retain_graph"


def _names(node):
    """Class names of a node's next functions (None for a missing edge)."""
    return tuple(None if n is None else type(n).__name__ for n, _ in node.next_functions)


@case(area=AREA, tags=("errors",))
def second_backward_after_free_raises(torch, make: Inputs):
    """A second backward through x*x (saves x) raises; the first grad is kept."""
    x = make.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    return {"second": capture(lambda: y.backward()), "x.grad": x.grad}


@case(area=AREA, tags=("errors",))
def second_backward_saved_output_raises(torch, make: Inputs):
    """exp saves its result; backwarding it twice raises the same error."""
    x = make.randn(3, requires_grad=True)
    y = x.exp().sum()
    y.backward()
    return {"second": capture(lambda: y.backward()), "x.grad": x.grad}


@case(area=AREA, tags=("errors",))
def mul_by_python_scalar_saves_the_scalar(torch, make: Inputs):
    """x*2 saves the scalar operand, so even it cannot be backwarded twice."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    return {"second": capture(lambda: y.backward()), "x.grad": x.grad}


@case(area=AREA, tags=("retain",))
def retain_graph_allows_second_backward(torch, make: Inputs):
    """retain_graph=True keeps saved tensors; the second backward accumulates."""
    x = make.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward()
    return {"first": first, "x.grad": x.grad}


@case(area=AREA, tags=("retain",), expect={"x.grad": [3.0, 3.0]})
def graph_saving_nothing_backwards_repeatedly(torch, make: Inputs):
    """(x+1).sum() saves nothing: three plain backwards work and give [3, 3]."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    for _ in range(3):
        y.backward()
    return {"x.grad": x.grad}


@case(area=AREA, tags=("retain",))
def view_and_add_graph_saves_nothing(torch, make: Inputs):
    """A chain of view, add, sub and sum saves no tensors: backward twice works."""
    x = make.randn(2, 3, requires_grad=True)
    c = make.randn(6)
    y = (x.reshape(6) + c - 1.0).sum()
    y.backward()
    again = capture(lambda: y.backward())
    return {"again": again, "x.grad": x.grad}


@case(area=AREA, tags=("retain", "sequence"))
def retain_true_then_false_then_error(torch, make: Inputs):
    """retain_graph=True, then a freeing backward, then a third that raises."""
    x = make.randn(3, requires_grad=True)
    y = (x.sigmoid() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward(retain_graph=False)
    second = x.grad.clone()
    third = capture(lambda: y.backward())
    return {"first": first, "second": second, "third": third, "x.grad": x.grad}


@case(area=AREA, tags=("create_graph",))
def create_graph_implies_retain(torch, make: Inputs):
    """backward(create_graph=True) keeps the graph: a plain second backward works."""
    x = make.randn(3, requires_grad=True)
    y = (x**3).sum()
    capture_warnings(lambda: y.backward(create_graph=True))
    first = x.grad.detach().clone()
    second = capture(lambda: y.backward())
    return {"first": first, "second": second, "x.grad": x.grad}


@case(area=AREA, tags=("create_graph", "autograd.grad"))
def autograd_grad_create_graph_implies_retain(torch, make: Inputs):
    """autograd.grad(create_graph=True) keeps the graph for another autograd.grad."""
    x = make.randn(3, requires_grad=True)
    y = (x * x.exp()).sum()
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(y, x)
    return {"g1": g1, "g2": g2}


@case(area=AREA, tags=("create_graph", "autograd.grad", "errors"))
def create_graph_with_explicit_retain_false_frees(torch, make: Inputs):
    """create_graph=True with retain_graph=False given explicitly still frees the graph."""
    x = make.randn(3, requires_grad=True)
    y = (x * x).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True, retain_graph=False)
    return {"g": g, "again": capture(lambda: torch.autograd.grad(y, x))}


@case(area=AREA, tags=("autograd.grad", "errors"))
def autograd_grad_frees_graph(torch, make: Inputs):
    """A second autograd.grad through a freed graph raises."""
    x = make.randn(3, requires_grad=True)
    y = (x * x).sum()
    (g,) = torch.autograd.grad(y, x)
    return {"g": g, "again": capture(lambda: torch.autograd.grad(y, x))}


@case(area=AREA, tags=("autograd.grad", "errors"))
def autograd_grad_then_backward_raises(torch, make: Inputs):
    """autograd.grad frees the graph, so a following .backward() raises; .grad stays None."""
    x = make.randn(3, requires_grad=True)
    y = x.tanh().sum()
    torch.autograd.grad(y, x)
    return {"backward": capture(lambda: y.backward()), "x.grad": x.grad}


@case(area=AREA, tags=("autograd.grad", "retain"))
def autograd_grad_retained_then_backward(torch, make: Inputs):
    """autograd.grad(retain_graph=True) then backward: the graph is still usable."""
    x = make.randn(3, requires_grad=True)
    y = x.tanh().sum()
    (g,) = torch.autograd.grad(y, x, retain_graph=True)
    y.backward()
    return {"g": g, "x.grad": x.grad}


@case(area=AREA, tags=("partial", "errors"))
def shared_freed_node_errors_from_second_root(torch, make: Inputs):
    """A second root sharing a freed exp node fails when that node runs (lazily)."""
    x = make.randn(3, requires_grad=True)
    a = x.exp()
    b = a.sum()
    c = (a * 2).sum()
    b.backward()
    after_b = x.grad.clone()
    return {"after_b": after_b, "c": capture(lambda: c.backward()), "x.grad": x.grad}


@case(area=AREA, tags=("partial",))
def shared_node_saving_nothing_reused(torch, make: Inputs):
    """Two roots share x+1 (saves nothing); the second root backwards fine after the first."""
    x = make.randn(3, requires_grad=True)
    a = x + 1
    b = (a * a).sum()
    c = (a * 3).sum()
    b.backward()
    after_b = x.grad.clone()
    c.backward()
    return {"after_b": after_b, "x.grad": x.grad}


@case(area=AREA, tags=("partial",))
def unshared_branch_survives_free(torch, make: Inputs):
    """Freeing one root's graph leaves a separately built branch of the same leaf usable."""
    x = make.randn(3, requires_grad=True)
    p = (x * x).sum()
    q = (x.sin() * x).sum()
    p.backward()
    q.backward()
    return {"x.grad": x.grad, "p_again": capture(lambda: p.backward())}


@case(area=AREA, tags=("partial", "errors"))
def freed_node_below_fresh_node(torch, make: Inputs):
    """New ops on top of a freed intermediate: the new part runs, then the old node raises."""
    x = make.randn(3, requires_grad=True)
    h = x * x
    h.sum().backward()
    z = (h * 5).sum()
    return {"z": capture(lambda: z.backward()), "x.grad": x.grad}


@case(area=AREA, tags=("nodes",))
def grad_fn_and_edges_survive_free(torch, make: Inputs):
    """After the graph is freed, grad_fn and next_functions are still there."""
    x = make.randn(3, requires_grad=True)
    w = make.randn(3, requires_grad=True)
    h = x * w
    y = h.sum()
    y.backward()
    return {
        "y.grad_fn": type(y.grad_fn).__name__,
        "y.next": _names(y.grad_fn),
        "h.grad_fn": type(h.grad_fn).__name__,
        "h.next": _names(h.grad_fn),
        "y.requires_grad": y.requires_grad,
    }


@case(area=AREA, tags=("errors", "custom"))
def custom_function_saved_tensors_after_free(torch, make: Inputs):
    """Reading a custom Function's saved_tensors after backward freed them raises."""

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x)
    y.sum().backward()
    node = y.grad_fn
    return {"x.grad": x.grad, "saved": capture(lambda: node.saved_tensors)}


@case(area=AREA, tags=("errors", "custom"))
def custom_function_saved_tensors_retained(torch, make: Inputs):
    """With retain_graph=True a custom Function's saved_tensors are still readable."""

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x)
    y.sum().backward(retain_graph=True)
    saved = y.grad_fn.saved_tensors
    return {"x.grad": x.grad, "saved": saved, "saved_is_x": saved[0] is x}


@case(area=AREA, tags=("errors", "order"))
def shape_error_before_freed_error(torch, make: Inputs):
    """On a freed graph, a wrong-shaped gradient reports the shape mismatch first."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.backward(make.tensor([1.0, 1.0]))
    return {"error": capture(lambda: y.backward(make.tensor([1.0, 1.0, 1.0])))}


@case(area=AREA, tags=("errors", "order"))
def no_grad_root_error_before_freed_error(torch, make: Inputs):
    """A root without grad among freed ones: 'element 1 ... does not require grad' first."""
    x = make.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    c = make.tensor(1.0)
    return {"error": capture(lambda: torch.autograd.backward([y, c]))}


@case(area=AREA, tags=("higher-order",))
def second_order_graph_freed_by_its_backward(torch, make: Inputs):
    """The graph of a create_graph grad is freed by backwarding it once."""
    x = make.randn(3, requires_grad=True)
    (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    gs = (g * g).sum()
    gs.backward()
    first = x.grad.clone()
    return {"g": g, "first": first, "again": capture(lambda: gs.backward())}
