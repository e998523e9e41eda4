"""Seed 000, "lesson5. 自动求导机制": the simplest one-layer net, grad_fn, no_grad/detach, and
Jacobian products with gradient accumulation.

The document's code, unchanged except for where ``torch`` comes from (``_module``) and its random
inputs (below). Run: ``python -m examples.seeds.seed_000_lesson5 [--module reference_impl]``.

Fixed inputs: the document draws ``w = torch.randn(5,3)`` and ``b = torch.randn(3)``. With
``x = ones(5)`` and target ``y = zeros(3)``, ``d loss / d z = sigmoid(z) / 3`` (mean over 3
elements) and every row of ``w.grad`` equals ``b.grad``. So ``w = 0`` (hence ``z = b``) and
``b = logit(3 * [0.2915, 0.1360, 0.1072]) = [1.9413, -0.3722, -0.7464]`` (4 decimals) reproduce
the published gradients ``[0.2915, 0.1360, 0.1072]``.
"""

from examples.seeds._module import torch

# 定义最简单的单层神经网络
## input tensor
x = torch.ones(5)
## expected output
y = torch.zeros(3)
w = torch.zeros(5, 3, requires_grad=True)  # document: torch.randn(5,3,requires_grad=True)
b = torch.tensor([1.9413, -0.3722, -0.7464], requires_grad=True)  # document: torch.randn(3,...)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

# 反向传播函数的引用存储在张量的grad_fn属性中
print("z = " + str(z.grad_fn))
print("loss = " + str(loss.grad_fn))

# 计算梯度
loss.backward()
print(w.grad)
print(b.grad)

# 禁用梯度跟踪
z = torch.matmul(x, w) + b
print(z.requires_grad)

with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

# 张量梯度和Jacobian Products
inp = torch.eye(5, requires_grad=True)
out = (inp + 1).pow(2)
out.backward(torch.ones_like(inp), retain_graph=True)
print("First Call\n" + str(inp.grad))
out.backward(torch.ones_like(inp), retain_graph=True)
print("\nSecond Call\n" + str(inp.grad))
inp.grad.zero_()
out.backward(torch.ones_like(inp), retain_graph=True)
print("\nCall after zeroing gradients\n" + str(inp.grad))
