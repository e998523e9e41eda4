"""PyTorch's autograd tutorials, runnable on real torch or on reference_impl.

The code of "A Gentle Introduction to torch.autograd" (beginner/blitz/autograd_tutorial) and
"Automatic Differentiation with torch.autograd" (beginner/basics/autogradqs_tutorial), the parts
that use autograd's own names, with ``torch`` from ``examples/seeds/_module.py``. Run:
``python -m examples.tutorial_autograd [--module reference_impl]``. Both modules must print the
same text (tests/reference_impl/test_tutorial_parity.py).

Changes from the tutorials:
- random inputs (``torch.rand``/``torch.randn``) are fixed values, so the two runs can be compared;
- the frozen-model example uses a small two-layer ``nn.Module`` (a frozen ``nn.Linear`` feature
  layer and a new ``fc`` head) instead of torchvision's ``resnet18``, with fixed weights in place
  of nn.Linear's random initialisation, and runs the blitz tutorial's one training step on it;
- ``print``s are added for values the tutorials only compute (marked ``# added``).
"""

from examples.seeds._module import torch

nn = torch.nn  # from torch import nn, optim
optim = torch.optim

# --- A Gentle Introduction to torch.autograd: Differentiation in Autograd -------------------
a = torch.tensor([2.0, 3.0], requires_grad=True)
b = torch.tensor([6.0, 4.0], requires_grad=True)

Q = 3 * a**3 - b**2

external_grad = torch.tensor([1.0, 1.0])
Q.backward(gradient=external_grad)

# Check if collected gradients are correct
print(9 * a**2 == a.grad)
print(-2 * b == b.grad)
print(a.grad)  # added
print(b.grad)  # added

# --- Exclusion from the DAG ------------------------------------------------------------------
x = torch.ones(5, 5) / 2  # tutorial: torch.rand(5, 5)
y = torch.eye(5)  # tutorial: torch.rand(5, 5)
z = torch.zeros((5, 5), requires_grad=True)  # tutorial: torch.rand((5, 5), requires_grad=True)
a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")


def set_params_(linear, weight, bias):
    """Fixed weights instead of nn.Linear's random initialisation."""
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight))
        linear.bias.copy_(torch.tensor(bias))


class TinyNet(nn.Module):
    """Stands in for the tutorial's pretrained resnet18: a feature layer and an ``fc`` head."""

    def __init__(self):
        super().__init__()
        self.features = nn.Linear(4, 3)
        self.fc = nn.Linear(3, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.features(x)))


model = TinyNet()  # tutorial: resnet18(weights=ResNet18_Weights.DEFAULT)
set_params_(
    model.features,
    [[0.5, -0.25, 0.125, 0.25], [-0.5, 0.75, 0.25, -0.125], [0.25, 0.5, -0.75, 0.5]],
    [0.1, -0.2, 0.3],
)

# Freeze all the parameters in the network
for param in model.parameters():
    param.requires_grad = False

model.fc = nn.Linear(3, 2)  # tutorial: nn.Linear(512, 10)
set_params_(model.fc, [[0.5, -1.0, 0.25], [-0.75, 0.5, 1.0]], [0.05, -0.05])
print([name for name, param in model.named_parameters() if param.requires_grad])  # added

# Optimize only the classifier
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)

# The blitz tutorial's training step (tutorial: data = torch.rand(1, 3, 64, 64),
# labels = torch.rand(1, 1000)).
data = torch.tensor([[1.0, -1.0, 0.5, 2.0]])
labels = torch.tensor([[0.5, -0.25]])
prediction = model(data)  # forward pass
loss = (prediction - labels).sum()
loss.backward()  # backward pass
optimizer.step()  # gradient descent
print(prediction)  # added
print(loss)  # added
print(model.features.weight.grad, model.features.bias.grad)  # added: frozen, no grads
print(model.fc.weight.grad)  # added
print(model.fc.bias.grad)  # added
print(model.fc.weight)  # added
print(model.fc.bias)  # added

# --- Automatic Differentiation with torch.autograd -------------------------------------------
x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.tensor(  # tutorial: torch.randn(5, 3, requires_grad=True)
    [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9], [1.0, -1.1, 1.2], [0.05, 0.15, -0.25]],
    requires_grad=True,
)
b = torch.tensor([0.5, -1.5, 0.25], requires_grad=True)  # tutorial: torch.randn(3, ...)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")

# Computing Gradients
loss.backward()
print(w.grad)
print(b.grad)

# Disabling Gradient Tracking
z = torch.matmul(x, w) + b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

# Optional Reading: Tensor Gradients and Jacobian Products
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")
