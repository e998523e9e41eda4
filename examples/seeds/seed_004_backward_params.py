"""Seed 004, "pytorch中backward的参数含义是什么": ``backward()``'s ``gradient`` and
``retain_graph``, a training step with ``nn.Linear``/``nn.MSELoss``/``optim.SGD``, a custom loss,
and gradient clipping with ``clip_grad_norm_``.

The document's programs one after another, with ``torch`` from ``_module`` (so its
``import torch.nn as nn`` / ``import torch.optim as optim`` become attribute look-ups). Run:
``python -m examples.seeds.seed_004_backward_params [--module reference_impl]``.

The document publishes no output, and its training sections print nothing: the prints marked
``# added`` show their numbers (worked out by hand, and what torch 2.13 prints).

Fixed inputs: ``nn.Linear(3, 1)`` starts from random weights; right after ``model =
SimpleNet()`` they are set to ``weight = [[0.1, -0.2, 0.3]]``, ``bias = [0.05]``. With
``x = [1, 2, 3]`` the output is 0.65, the MSE loss against 1 is 0.1225, d loss/d output = -0.7,
so ``weight.grad = [[-0.7, -1.4, -2.1]]`` and ``bias.grad = [-0.7]``. SGD (lr 0.01) gives
``[[0.107, -0.186, 0.321]]``, ``[0.057]``. Clipping: the grad norm is 0.7 * sqrt(15) = 2.7111,
scaled to 1 (grads ``[[-0.2582, -0.5164, -0.7746]]``, ``[-0.2582]``) before the step.
"""

from examples.seeds._module import torch

# 1. backward() 函数的基本用法
# 创建一个张量并设置 requires_grad=True 以跟踪计算
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)

# 定义一个简单的计算图
y = x * 2
z = y.mean()

# 执行反向传播
z.backward()

# 查看 x 的梯度
print(x.grad)

# 2.1 gradient 参数
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2

# 执行反向传播,指定初始梯度
y.backward(gradient=torch.tensor([0.1, 0.2, 0.3]))

print(x.grad)

# 2.2 retain_graph 参数
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
z = y.mean()

# 第一次反向传播
z.backward(retain_graph=True)

print(x.grad)

# 第二次反向传播
z.backward()

print(x.grad)

# 3.1 训练神经网络
nn = torch.nn  # import torch.nn as nn
optim = torch.optim  # import torch.optim as optim


# 定义一个简单的神经网络
class SimpleNet(nn.Module):
    def __init__(self):
        super(SimpleNet, self).__init__()  # noqa: UP008 (the document's spelling)
        self.fc = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc(x)


# 创建模型、损失函数和优化器
model = SimpleNet()
with torch.no_grad():  # fixed instead of nn.Linear's random initialisation
    model.fc.weight.copy_(torch.tensor([[0.1, -0.2, 0.3]]))
    model.fc.bias.copy_(torch.tensor([0.05]))
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)

# 创建一个输入张量
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)

# 前向传播
output = model(x)

# 计算损失
loss = criterion(output, torch.tensor([1.0]))
print(output)  # added
print(loss)  # added

# 反向传播
loss.backward()
print(model.fc.weight.grad)  # added
print(model.fc.bias.grad)  # added
print(x.grad)  # added

# 更新模型参数
optimizer.step()
print(model.fc.weight)  # added
print(model.fc.bias)  # added

# 3.2 自定义损失函数
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)


# 自定义损失函数
def custom_loss(y):
    return torch.sum(y**2)


# 前向传播
y = x * 2
loss = custom_loss(y)

# 反向传播
loss.backward()

# 查看 x 的梯度
print(x.grad)


# 3.3 梯度裁剪
# 定义一个简单的神经网络
class SimpleNet(nn.Module):
    def __init__(self):
        super(SimpleNet, self).__init__()  # noqa: UP008 (the document's spelling)
        self.fc = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc(x)


# 创建模型、损失函数和优化器
model = SimpleNet()
with torch.no_grad():  # fixed instead of nn.Linear's random initialisation
    model.fc.weight.copy_(torch.tensor([[0.1, -0.2, 0.3]]))
    model.fc.bias.copy_(torch.tensor([0.05]))
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)

# 创建一个输入张量
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)

# 前向传播
output = model(x)

# 计算损失
loss = criterion(output, torch.tensor([1.0]))

# 反向传播
loss.backward()

# 梯度裁剪
total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
print(total_norm)  # added
print(model.fc.weight.grad)  # added
print(model.fc.bias.grad)  # added

# 更新模型参数
optimizer.step()
print(model.fc.weight)  # added
print(model.fc.bias)  # added
