"""Neural-network ops with their own nodes in torch: softmax, log_softmax, addmm (linear),
mse_loss, binary_cross_entropy_with_logits, nll_loss. Their backwards are primitives too
(``SoftmaxBackwardDataBackward0``...), so double backward shows torch's node names."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from .._layout import CONTIGUOUS
from .._tensor import Tensor, _wrap_dim
from .base import Op, tangent_sum, unbroadcast
from .pointwise import _const, _errstate, div_scalar, mul_scalar

_REDUCTIONS = ("none", "mean", "sum")


def _check_floating(a: np.ndarray, kernel: str) -> None:
    if a.dtype.kind != "f":
        name = dt.from_numpy_dtype(a.dtype).scalar_name
        raise NotImplementedError(f"\"{kernel}_lastdim_kernel_impl\" not implemented for '{name}'")


class SoftmaxBackward0(Op):
    layout = CONTIGUOUS
    jvp_self_adjoint = True  # Jacobian diag(y) - y y^T

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        _check_floating(a, "softmax")
        self.dim = _wrap_dim(dim, a.ndim)
        with _errstate():
            e = np.exp(a - np.max(a, axis=self.dim, keepdims=True)) if a.size else a
            out = e / np.sum(e, axis=self.dim, keepdims=True) if a.size else a.copy()
        self.save_result("result")
        return np.asarray(out, dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (SoftmaxBackwardDataBackward0.invoke(grad, self.saved("result"), dim=self.dim),)


class SoftmaxBackwardDataBackward0(Op):
    """y * (g - sum(g * y)): softmax's vjp as one node."""

    def forward(self, g: np.ndarray, y: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        self.save_input("grad", 0)
        self.save_input("y", 1)
        return y * (g - np.sum(g * y, axis=dim, keepdims=True))

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g, y = self.saved("grad"), self.saved("y")
        d = self.dim
        ggy = (gg * y).sum(d, keepdim=True)
        grad_g = y * (gg - ggy) if self.needs_input_grad[0] else None
        grad_y = None
        if self.needs_input_grad[1]:
            grad_y = gg * (g - (g * y).sum(d, keepdim=True)) - g * ggy
        return grad_g, grad_y

    def jvp(self, tg: Tensor | None, ty: Tensor | None) -> Tensor | None:
        # d(y (g - sum(g y))) = dy (g - sum(g y)) + y (dg - sum(dg y + g dy))
        g, y, d = self.fw_input(0), self.fw_input(1), self.dim
        terms = []
        if ty is not None:
            gy, gty = (g * y).sum(d, keepdim=True), (g * ty).sum(d, keepdim=True)
            terms.append(ty * (g - gy) - y * gty)
        if tg is not None:
            terms.append(y * (tg - (tg * y).sum(d, keepdim=True)))
        return tangent_sum(*terms)


class LogSoftmaxBackward0(Op):
    layout = CONTIGUOUS

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        _check_floating(a, "log_softmax")
        self.dim = _wrap_dim(dim, a.ndim)
        with _errstate():
            # As torch's kernel: shift by the max in the input dtype, take the log-sum-exp
            # accurately (float64 here) rounded to that dtype, then subtract in that dtype. An
            # infinite max shifts too (unlike logsumexp's): a row holding +inf is all NaN.
            m = np.max(a, axis=self.dim, keepdims=True) if a.size else a
            shifted = a - m
            lse = np.log(np.sum(np.exp(shifted.astype(np.float64)), axis=self.dim, keepdims=True))
            out = shifted - lse.astype(a.dtype)
        self.save_result("result")
        return np.asarray(out, dtype=a.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        return (LogSoftmaxBackwardDataBackward0.invoke(grad, self.saved("result"), dim=self.dim),)

    def jvp(self, t: Tensor) -> Tensor:
        # d log_softmax(x) = dx - sum(softmax(x) dx)
        p = self.fw_output().exp()
        return t - (p * t).sum(self.dim, keepdim=True)


class LogSoftmaxBackwardDataBackward0(Op):
    """g - exp(y) * sum(g): log_softmax's vjp as one node."""

    def forward(self, g: np.ndarray, y: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        self.save_input("grad", 0)
        self.save_input("y", 1)
        with _errstate():
            return g - np.exp(y) * np.sum(g, axis=dim, keepdims=True)

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g, y = self.saved("grad"), self.saved("y")
        p = y.exp()
        grad_g = gg - (gg * p).sum(self.dim, keepdim=True) if self.needs_input_grad[0] else None
        grad_y = -gg * p * g.sum(self.dim, keepdim=True) if self.needs_input_grad[1] else None
        return grad_g, grad_y

    def jvp(self, tg: Tensor | None, ty: Tensor | None) -> Tensor | None:
        # d(g - exp(y) sum(g)) = dg - exp(y) dy sum(g) - exp(y) sum(dg)
        g, p, d = self.fw_input(0), self.fw_input(1).exp(), self.dim
        return tangent_sum(
            None if tg is None else tg - p * tg.sum(d, keepdim=True),
            None if ty is None else -(p * ty) * g.sum(d, keepdim=True),
        )


class AddmmBackward0(Op):
    """bias + mat1 @ mat2: what F.linear records for batched 2-D input with a bias."""

    def forward(
        self, bias: np.ndarray, m1: np.ndarray, m2: np.ndarray, beta: Any = 1, alpha: Any = 1
    ) -> np.ndarray:
        if m1.ndim != 2 or m2.ndim != 2:
            raise RuntimeError(
                f"mat1 must be a matrix, got {m1.ndim}-D tensor"
                if m1.ndim != 2
                else f"mat2 must be a matrix, got {m2.ndim}-D tensor"
            )
        if m1.shape[1] != m2.shape[0]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({m1.shape[0]}x{m1.shape[1]} and "
                f"{m2.shape[0]}x{m2.shape[1]})"
            )
        self.bias_shape = bias.shape
        self.beta, self.alpha = beta, alpha
        if self.needs_input_grad[1]:
            self.save_input("mat2", 2)
        if self.needs_input_grad[2]:
            self.save_input("mat1", 1)
        product = m1 @ m2
        if alpha != 1:
            product = product * np.asarray(alpha, dtype=product.dtype)
        out_shape = np.broadcast_shapes(bias.shape, product.shape)
        if beta == 0:  # torch ignores the input's values then (nan included)
            return np.broadcast_to(product, out_shape).copy()
        scaled = bias * np.asarray(beta, dtype=bias.dtype) if beta != 1 else bias
        return np.asarray(scaled + product, dtype=np.result_type(bias, product))

    def _scaled(self, t: Tensor, factor: Any) -> Tensor:
        return t * factor if factor != 1 else t

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        gb = None
        if self.needs_input_grad[0]:
            gb = unbroadcast(self._scaled(grad, self.beta), self.bias_shape)
        g = self._scaled(grad, self.alpha)
        g1 = g.mm(self.saved("mat2").t()) if self.needs_input_grad[1] else None
        g2 = self.saved("mat1").t().mm(g) if self.needs_input_grad[2] else None
        return gb, g1, g2

    def jvp(self, tb: Tensor | None, t1: Tensor | None, t2: Tensor | None) -> Tensor | None:
        m1, m2 = self.fw_input(1), self.fw_input(2)
        return tangent_sum(
            None if tb is None else self._scaled(tb, self.beta),
            None if t1 is None else self._scaled(t1.mm(m2), self.alpha),
            None if t2 is None else self._scaled(m1.mm(t2), self.alpha),
        )


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(loss.mean() if loss.size else np.nan, dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _scale(grad: Tensor, shape: tuple[int, ...], reduction: str) -> Tensor:
    """The incoming loss gradient spread over the elements (and divided for 'mean')."""
    if reduction == "none":
        return grad
    g = grad.expand(shape)
    return div_scalar(g, int(np.prod(shape))) if reduction == "mean" else g


def _reduce_tangent(per_element: Tensor | None, reduction: str) -> Tensor | None:
    """A loss's output tangent from its per-element tangent: reduced as the loss is."""
    if per_element is None or reduction == "none":
        return per_element
    return per_element.mean() if reduction == "mean" else per_element.sum()


class MseLossBackward0(Op):
    def forward(self, x: np.ndarray, t: np.ndarray, reduction: str = "mean") -> np.ndarray:
        self.reduction = reduction
        self.save_input("self", 0)
        self.save_input("target", 1)
        d = x - t
        return _reduce(d * d, reduction)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, t = self.saved("self"), self.saved("target")
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = MseLossBackwardBackward0.invoke(grad, x, t, reduction=self.reduction)
            gx = unbroadcast(gx, tuple(x.shape))
        if self.needs_input_grad[1]:  # torch: mse_loss_backward(grad, target, self)
            gt = MseLossBackwardBackward0.invoke(grad, t, x, reduction=self.reduction)
            gt = unbroadcast(gt, tuple(t.shape))
        return gx, gt

    def jvp(self, tx: Tensor | None, tt: Tensor | None) -> Tensor | None:
        # d sum (x - t)^2 = sum 2 (x - t) (dx - dt), reduced as the loss is
        diff = tangent_sum(tx, None if tt is None else -tt)
        if diff is None:
            return None
        per = mul_scalar((self.fw_input(0) - self.fw_input(1)) * diff, 2.0)
        return _reduce_tangent(per, self.reduction)


class MseLossBackwardBackward0(Op):
    """2 (x - t) g / n: mse_loss's vjp w.r.t. its input, as one node."""

    def forward(self, g: np.ndarray, x: np.ndarray, t: np.ndarray, reduction: str) -> np.ndarray:
        self.reduction = reduction
        shape = np.broadcast_shapes(x.shape, t.shape)
        self.shape = shape
        n = int(np.prod(shape)) if reduction == "mean" else 1
        self.n = n
        self.save_input("grad", 0)
        self.save_input("self", 1)
        self.save_input("target", 2)
        return np.asarray(2 * (x - t) * g / n, dtype=np.result_type(x, t))

    def backward(self, gg: Tensor) -> tuple[Tensor | None, ...]:
        g, x, t = self.saved("grad"), self.saved("self"), self.saved("target")
        g_full = g if self.reduction == "none" else g.expand(self.shape)
        common = mul_scalar(gg * g_full, 2.0 / self.n)
        grad_g = None
        if self.needs_input_grad[0]:
            prod = mul_scalar(gg * (x - t), 2.0 / self.n)
            grad_g = prod if self.reduction == "none" else prod.sum()
        gx = unbroadcast(common, tuple(x.shape)) if self.needs_input_grad[1] else None
        gt = unbroadcast(-common, tuple(t.shape)) if self.needs_input_grad[2] else None
        return grad_g, gx, gt


class BinaryCrossEntropyWithLogitsBackward0(Op):
    """Numerically stable BCE on logits, with optional weight and pos_weight."""

    tensor_params = ("weight", "pos_weight")

    def forward(
        self,
        x: np.ndarray,
        t: np.ndarray,
        weight: Any = None,
        pos_weight: Any = None,
        reduction: str = "mean",
    ) -> np.ndarray:
        if x.shape != t.shape:
            raise ValueError(
                f"Target size (torch.Size([{', '.join(map(str, t.shape))}])) must be the same as "
                f"input size (torch.Size([{', '.join(map(str, x.shape))}]))"
            )
        self.reduction = reduction
        self.save_input("self", 0)
        self.save_input("target", 1)
        for name, value in (("weight", weight), ("pos_weight", pos_weight)):
            if value is not None:
                self.save_param(name, value)
        with _errstate():
            log_sig_neg = np.minimum(-x, 0) - np.log1p(np.exp(-np.abs(x)))  # log(sigmoid(-x))
            if pos_weight is None:
                loss = (1 - t) * x - log_sig_neg - x
                loss = (1 - t) * x + np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
            else:
                lw = 1 + (pos_weight - 1) * t
                loss = (1 - t) * x + lw * (np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0))
            if weight is not None:
                loss = loss * weight
        return _reduce(np.asarray(loss, dtype=x.dtype), reduction)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        x, t = self.saved("self"), self.saved("target")
        weight = self.saved("weight")._data if "weight" in self._saved else None
        pos_weight = self.saved("pos_weight")._data if "pos_weight" in self._saved else None
        g = _scale(grad, tuple(x.shape), "none" if self.reduction == "none" else "sum")
        if pos_weight is None:
            dx = x.sigmoid() - t
        else:
            pw = _const(np.asarray(pos_weight), x)
            dx = (pw * t + 1 - t) * x.sigmoid() - pw * t
        # torch: -x, or log_sigmoid(-x) - pos_weight * log_sigmoid(x) with a pos_weight.
        dt_ = -x if pos_weight is None else _log_sigmoid(-x) - pw * _log_sigmoid(x)
        if weight is not None:
            w = _const(np.asarray(weight), x)
            dx, dt_ = dx * w, dt_ * w
        gx = dx * g if self.needs_input_grad[0] else None
        gt = dt_ * g if self.needs_input_grad[1] else None
        if self.reduction == "mean":
            n = x.numel()
            gx = None if gx is None else div_scalar(gx, n)
            gt = None if gt is None else div_scalar(gt, n)
        return gx, gt

    def jvp(self, tx: Tensor | None, tt: Tensor | None) -> Tensor | None:
        # each element's loss moves by its partials (the VJP's, per element) times the tangents
        x, t = self.fw_input(0), self.fw_input(1)
        weight, pos_weight = self.fw_param("weight"), self.fw_param("pos_weight")
        if pos_weight is None:
            dx, dt_ = x.sigmoid() - t, -x
        else:
            pw = _const(np.asarray(pos_weight), x)
            dx = (pw * t + 1 - t) * x.sigmoid() - pw * t
            dt_ = _log_sigmoid(-x) - pw * _log_sigmoid(x)
        if weight is not None:
            w = _const(np.asarray(weight), x)
            dx, dt_ = dx * w, dt_ * w
        per = tangent_sum(None if tx is None else dx * tx, None if tt is None else dt_ * tt)
        return _reduce_tangent(per, self.reduction)


def _log_sigmoid(x: Tensor) -> Tensor:
    """log(sigmoid(x)) with Tensor ops, stable and differentiable everywhere (also at 0).

    Each branch only sees the non-positive part of x, so no exp overflows (no NaN through where).
    """
    from .pointwise import where_const

    pos = x._data >= 0
    xp, xn = where_const(pos, x, 0.0), where_const(pos, 0.0, x)
    one = _const(np.ones(()), x)
    return xn - ((-xp).exp() + one).log() - (xn.exp() + one).log() + float(np.log(2.0))


class NllLossBackward0(Op):
    """Negative log-likelihood of class indices; ``target`` and ``weight`` are parameters.
    Linear in its input (the mean's denominator is the targets' weights), so its JVP is the op
    applied to the tangent."""

    tensor_params = ("target", "weight")
    jvp_linear = True

    def forward(
        self,
        lp: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
    ) -> np.ndarray:
        if target.dtype.kind not in "iu":
            name = dt.from_numpy_dtype(target.dtype).scalar_name
            raise RuntimeError(f"expected target dtype to be Long or Byte, but got {name}")
        squeeze = lp.ndim == 1
        lp2 = lp[None] if squeeze else np.moveaxis(lp, 1, -1).reshape(-1, lp.shape[1])
        tg = target.reshape(-1)
        if lp2.shape[0] != tg.shape[0]:
            raise ValueError(
                f"Expected input batch_size ({lp2.shape[0]}) to match target batch_size "
                f"({tg.shape[0]})."
            )
        n_classes = lp2.shape[1]
        valid = tg != ignore_index
        bad = tg[valid & ((tg < 0) | (tg >= n_classes))]
        if bad.size:
            raise IndexError(f"Target {int(bad[0])} is out of bounds.")
        safe = np.where(valid, tg, 0)
        w = np.ones(n_classes, lp.dtype) if weight is None else weight.astype(lp.dtype)
        wt = np.where(valid, w[safe], 0).astype(lp.dtype)
        picked = lp2[np.arange(tg.size), safe]
        losses = -picked * wt
        self.meta = (lp.shape, target.shape, safe, wt, squeeze, valid)
        self.ignore_index = ignore_index
        self.reduction = reduction
        self.save_input("self", 0)
        self.save_param("target", target)
        if weight is not None:
            self.save_param("weight", weight)
        # torch's node also keeps its second output, the total weight (saved-tensor hooks see it)
        self.save_param("total_weight", np.asarray(wt.sum(), dtype=lp.dtype))
        with _errstate():
            if reduction == "none":
                out = losses.reshape(target.shape)
                self.denominator = 1.0
            elif reduction == "sum":
                out = losses.sum()
                self.denominator = 1.0
            else:
                self.denominator = float(wt.sum())
                out = losses.sum() / wt.sum()
        return np.asarray(out, dtype=lp.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        # torch's nll_loss_backward takes self too: the result is connected to it (zero
        # derivative), which is what create_graph shows. Target and weight are unpacked after
        # self, as torch does, for their version checks (meta holds what was read from them).
        lp = self.saved("self")
        target = self.saved("target")._data.reshape(-1)
        weight = self.saved("weight")._data if "weight" in self._saved else None
        # What was unpacked is what torch reads: a saved-tensor hook may hand back a target
        # written in place since (no version check then). total_weight stays the forward's.
        lp_shape, target_shape, _, _, squeeze, _ = self.meta
        valid = target != self.ignore_index
        safe = np.where(valid, target, 0)
        w = np.ones(lp_shape[0] if squeeze else lp_shape[1]) if weight is None else weight
        wt = np.where(valid, w[safe], 0).astype(lp._data.dtype)
        return (
            NllLossBackwardBackward0.invoke(
                grad,
                lp,
                meta=(lp_shape, target_shape, safe, wt, squeeze, valid),
                reduction=self.reduction,
                denominator=self.denominator,
            ),
        )


class NllLoss2DBackward0(NllLossBackward0):
    """nll_loss of a 4-D (N, C, H, W) input: torch's nll_loss2d."""


class NllLossBackwardBackward0(Op):
    """Scatter -weight * g / denominator at the target classes (linear in g)."""

    def forward(
        self, g: np.ndarray, lp: np.ndarray, meta: Any, reduction: str, denominator: float
    ) -> np.ndarray:
        lp_shape, target_shape, safe, wt, squeeze, valid = meta
        self.args = (meta, reduction, denominator)
        n_classes = lp_shape[0] if squeeze else lp_shape[1]
        gflat = g.reshape(-1) if reduction == "none" else np.full(safe.size, g.reshape(()))
        out2 = np.zeros((safe.size, n_classes), dtype=g.dtype)
        with _errstate():  # ignored targets stay exactly 0 (even when the mean is 0/0)
            out2[np.arange(safe.size), safe] = np.where(valid, -wt * (gflat / denominator), 0)
        if squeeze:
            return out2[0]
        moved = out2.reshape(*(s for i, s in enumerate(lp_shape) if i != 1), n_classes)
        return np.moveaxis(moved, -1, 1)

    def backward(self, gg: Tensor) -> tuple[Tensor, Tensor | None]:
        meta, reduction, denominator = self.args
        lp_shape, target_shape, safe, wt, squeeze, valid = meta
        ggd = gg._data if squeeze else np.moveaxis(gg._data, 1, -1).reshape(-1, lp_shape[1])
        ggd = ggd.reshape(-1, lp_shape[0] if squeeze else lp_shape[1])
        with _errstate():
            picked = np.where(valid, ggd[np.arange(safe.size), safe] * -wt / denominator, 0)
        out = picked.reshape(target_shape) if reduction == "none" else picked.sum()
        grad_g = Tensor._from_array(np.asarray(out, dtype=gg._data.dtype))
        return grad_g, (gg * 0 if self.needs_input_grad[1] else None)


# -- softplus and binary cross entropy (issue 13's API surface) -----------------------------------


def _softplus_slope(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    """d softplus / dx as torch computes it: z / (z + 1) with z = exp(beta * x), or exactly 1
    above the threshold."""
    with _errstate():
        z = np.exp(x * beta)
        return np.where(x * beta > threshold, np.ones((), x.dtype), z / (z + 1)).astype(x.dtype)


class SoftplusBackward0(Op):
    """log(1 + exp(beta * x)) / beta, linear (x itself) where beta * x > threshold."""

    jvp_self_adjoint = True

    def forward(self, x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
        self.beta, self.threshold = beta, threshold
        self.save_input("self", 0)
        with _errstate():
            smooth = np.log1p(np.exp(x * beta)) / beta
        return np.where(x * beta > threshold, x, smooth).astype(x.dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor]:
        x = self.saved("self")
        return (
            SoftplusBackwardBackward0.invoke(grad, x, beta=self.beta, threshold=self.threshold),
        )


class SoftplusBackwardBackward0(Op):
    """g * slope(x): softplus's vjp as one node (torch's softplus_backward)."""

    def forward(self, g: np.ndarray, x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        self.beta, self.threshold = beta, threshold
        self.save_input("grad_output", 0)
        self.save_input("self", 1)
        return np.asarray(g * _softplus_slope(x, beta, threshold), dtype=g.dtype)

    def backward(self, gg: Tensor) -> tuple[Tensor | None, Tensor | None]:
        g, x = self.saved("grad_output"), self.saved("self")
        grad_g = SoftplusBackwardBackward0.invoke(gg, x, beta=self.beta, threshold=self.threshold)
        slope = _const(_softplus_slope(x._data, self.beta, self.threshold), x)
        above = x._data * self.beta > self.threshold
        curvature = mul_scalar(slope * (1 - slope), self.beta)
        curvature = curvature.masked_fill(Tensor._from_array(above), 0.0)
        return grad_g, (gg * g * curvature if self.needs_input_grad[1] else None)


#: torch clamps the denominator of binary_cross_entropy's gradient to at least this.
_BCE_EPSILON = 1e-12


def _bce_weight(node: Op) -> Tensor | None:
    return node.saved("weight") if "weight" in node._saved else None


class BinaryCrossEntropyBackward0(Op):
    """-w * (t * log(p) + (1 - t) * log(1 - p)), each log clamped to at least -100."""

    tensor_params = ("weight",)

    def forward(
        self,
        p: np.ndarray,
        t: np.ndarray,
        weight: np.ndarray | None = None,
        reduction: str = "mean",
    ) -> np.ndarray:
        if np.any((p < 0) | (p > 1)):
            raise RuntimeError("all elements of input should be between 0 and 1")
        self.reduction = reduction
        self.save_input("self", 0)
        self.save_input("target", 1)
        if weight is not None:
            self.save_param("weight", weight)
        with _errstate():
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log1p(-p), -100)
            loss = -(t * log_p + (1 - t) * log_1mp)
            if weight is not None:
                loss = loss * weight
        return _reduce(np.asarray(loss, dtype=p.dtype), reduction)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        p, t = self.saved("self"), self.saved("target")
        weight = _bce_weight(self)
        gp = gt = None
        if self.needs_input_grad[0]:
            gp = BinaryCrossEntropyBackwardBackward0.invoke(
                grad, p, t, weight=weight, reduction=self.reduction
            )
        if self.needs_input_grad[1]:  # torch divides by the element count last
            g = _scale(grad, tuple(p.shape), "sum" if self.reduction == "mean" else self.reduction)
            gt = g * ((1 - p).log() - p.log())
            if weight is not None:
                gt = gt * weight
            if self.reduction == "mean":
                gt = div_scalar(gt, int(np.prod(p.shape)))
        return gp, gt

    def jvp(self, tp: Tensor | None, tt: Tensor | None) -> Tensor | None:
        # partials per element: w (p - t) / max(p (1 - p), eps) and w (log(1 - p) - log(p))
        p, t = self.fw_input(0), self.fw_input(1)
        weight = self.fw_param("weight")
        dp = (p - t) / ((1 - p) * p).clamp(min=_BCE_EPSILON)
        dt_ = (1 - p).log() - p.log()
        if weight is not None:
            w = _const(np.asarray(weight), p)
            dp, dt_ = dp * w, dt_ * w
        per = tangent_sum(None if tp is None else dp * tp, None if tt is None else dt_ * tt)
        return _reduce_tangent(per, self.reduction)


class BinaryCrossEntropyBackwardBackward0(Op):
    """g * w * (p - t) / max(p * (1 - p), 1e-12), spread over the elements for a reduction."""

    tensor_params = ("weight",)

    def forward(
        self,
        g: np.ndarray,
        p: np.ndarray,
        t: np.ndarray,
        weight: np.ndarray | None = None,
        reduction: str = "mean",
    ) -> np.ndarray:
        self.reduction = reduction
        self.save_input("grad_output", 0)
        self.save_input("self", 1)
        self.save_input("target", 2)
        if weight is not None:
            self.save_param("weight", weight)
        scale = p.size if reduction == "mean" else 1
        with _errstate():
            out = g * (p - t) / np.maximum((1 - p) * p, _BCE_EPSILON) / scale
            if weight is not None:
                out = out * weight
        return np.asarray(np.broadcast_to(out, p.shape), dtype=p.dtype)

    def backward(self, gg: Tensor) -> tuple[Tensor | None, ...]:
        g, p, t = self.saved("grad_output"), self.saved("self"), self.saved("target")
        weight = _bce_weight(self)
        ggw = gg if weight is None else gg * weight
        ggw = _scale_back(ggw, self.reduction, p)
        denom = (1 - p) * p
        grad_g = grad_p = grad_t = None
        if self.needs_input_grad[0]:
            per_element = ggw * (p - t) / denom
            grad_g = per_element if self.reduction == "none" else per_element.sum()
        gs = g if self.reduction == "none" else g.expand(tuple(p.shape))
        if self.needs_input_grad[1]:
            grad_p = ggw * gs * (denom - (p - t) * (1 - 2 * p)) / (denom * denom)
        if self.needs_input_grad[2]:
            grad_t = -(ggw * gs) / denom
        return grad_g, grad_p, grad_t


def _scale_back(gg: Tensor, reduction: str, p: Tensor) -> Tensor:
    return div_scalar(gg, int(np.prod(p.shape))) if reduction == "mean" else gg
