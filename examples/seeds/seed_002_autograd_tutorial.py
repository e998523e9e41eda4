"""Seed 002, "Autograd自动求导机制": the classic 60-minute-blitz autograd tutorial (Chinese).

The document's code with ``torch`` from ``_module``; its first line, the Jupyter magic
``%matplotlib inline``, is dropped (not Python). Run:
``python -m examples.seeds.seed_002_autograd_tutorial [--module reference_impl]``.

Fixed inputs:
- ``a = torch.randn(2,2)`` -> a fixed 2x2 matrix (away from 1, the pole of ``(a*3)/(a-1)``);
  the document prints only flags and ``grad_fn`` for it, so any values do.
- ``x = torch.randn(3,requires_grad = True)`` -> ``[769.4481, 488.8492, 887.1036] / 1024``.
  ``y`` doubles from ``x * 2`` while ``y.norm() < 1000``: these ``x`` stop after 10 doublings
  (norm 1272 > 1000, while at 512x it is 636), so ``y = 1024 * x`` prints the published
  ``[769.4481, 488.8492, 887.1036]`` (scaling by a power of two is exact in float32) and
  ``x.grad = 1024 * [0.1, 1.0, 0.0001]`` prints ``[1.0240e+02, 1.0240e+03, 1.0240e-01]``.
"""

from examples.seeds._module import torch

# 创建一个张量并设置requires_grad = True 用来计算他的追踪历史:
x = torch.ones(2, 2, requires_grad=True)
print(x)

# 对张量进行操作:
y = x + 2
print(y)

# 结果y已经被计算出来了,所以grad_fn也自动生成了:
print(y.grad_fn)

# 对y进行一个操作:
z = y * y * 3
print(z)
out = z.mean()
print(out)

# .requires_grad_( … ) 可以改变现有张量的 requires_grad属性。
a = torch.tensor([[0.5, -1.25], [2.0, 0.25]])  # document: torch.randn(2,2)
a = (a * 3) / (a - 1)
print(a.requires_grad)
a.requires_grad = True
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)

# 梯度: 因为 out是一个纯量(scalar),out.backward() 等于out.backward(torch.tensor(1))。
out.backward()

# print gradients d(out)/dx
print(x.grad)

# 还可用autograd做更多操作如下:
# document: x = torch.randn(3,requires_grad = True)
x = torch.tensor([769.4481 / 1024, 488.8492 / 1024, 887.1036 / 1024], requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
grandiants = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(grandiants)
print(x.grad)

# 如果requires_grad =True ,但是你有不希望进行auto_grad计算。那么可将变量包裹在with torch.no_grad中
print(x.requires_grad)
print((x**2).requires_grad)

with torch.no_grad():
    print((x**2).requires_grad)
