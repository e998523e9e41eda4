"""Seed 001, "PyTorch 从tensor.grad 看 backward(权重参数) 和 gradient accumulated": gradient
accumulation over two backward calls, ``grad.zero_()``, and ``backward(gradient=...)`` weights.

The document is a sequence of small programs, each starting with ``import torch`` and a fresh
``x``; here they run one after another in one file (each section re-creates its tensors), with
``torch`` from ``_module``. No inputs needed fixing: the document uses no random numbers.
Run: ``python -m examples.seeds.seed_001_grad_accumulation [--module reference_impl]``.
"""

from examples.seeds._module import torch

# 1. 新建一个自变量 tensor x
x = torch.ones(1, requires_grad=True)
print(x)

# 2. 写一个 forward
x = torch.ones(1, requires_grad=True)
y = x**2
z = x**3

# 3. y, z 都 backward
x = torch.ones(1, requires_grad=True)
y = x**2
z = x**3

y.backward()
z.backward()

print(x.grad)

# 4. 单独 y backward
x = torch.ones(1, requires_grad=True)
y = x**2
z = x**3

y.backward()

print(x.grad)

# 5. 单独 z backward
x = torch.ones(1, requires_grad=True)
y = x**2
z = x**3

z.backward()

print(x.grad)

# 6. tensor.grad.zero_()
x = torch.ones(1, requires_grad=True)
y = x**2
y.backward()
print(x.grad)

x.grad.zero_()
z = x**3
z.backward()
print(x.grad)

# 向量形式
x = torch.tensor([[-1.5], [2.7]], requires_grad=True)
print(x)

y = torch.empty([3, 1])
y[0] = x[0] ** 2
y[1] = x[1] ** 3
y[2] = x[1] ** 4
y.backward(gradient=torch.ones(y.size()))
print(x.grad)


dy0 = 2 * x[0]
dy1 = 3 * x[1] ** 2
dy2 = 4 * x[1] ** 3

dy_dx0 = dy0
dy_dx1 = dy1 + dy2

print(dy_dx0)
print(dy_dx1)

# 权重不一样
x = torch.tensor([[-1.5], [2.7]], requires_grad=True)
print(x)

y = torch.empty([3, 1])
y[0] = x[0] ** 2
y[1] = x[1] ** 3
y[2] = x[1] ** 4
y.backward(gradient=torch.tensor([[0.5], [-2.0], [1.5]]))
print(x.grad)


dy0 = 2 * x[0]
dy1 = 3 * x[1] ** 2
dy2 = 4 * x[1] ** 3

dy_dx0 = 0.5 * dy0
dy_dx1 = -2 * dy1 + 1.5 * dy2

print(dy_dx0)
print(dy_dx1)
