"""Batch, layer and group normalization, each one node as in torch (``NativeBatchNormBackward0``,
``NativeLayerNormBackward0``, ``NativeGroupNormBackward0``).

Forwards are NumPy. Backwards recompute the normalized input from the *saved input* with Tensor
ops, so the gradient is itself differentiable in the input, weight and incoming gradient: double
backward works (the second-order graph shows reference op names, not torch's fused
``Native*BackwardBackward0``). Optional weight and bias are absent inputs, named by ``affine``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _forward_ad as fw
from .._grad_mode import enable_grad, is_grad_enabled, no_grad
from .._tensor import Tensor
from .base import Op, tangent_sum
from .pointwise import _errstate


def _normalize(x: Tensor, dims: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor]:
    """(x - mean) * rstd and rstd over ``dims`` (biased variance), in Tensor ops."""
    centered = x - x.mean(dims, keepdim=True)
    rstd = ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
    return centered * rstd, rstd


def _normalized_grad(gxhat: Tensor, xhat: Tensor, rstd: Tensor, dims: tuple[int, ...]) -> Tensor:
    """The input gradient of ``xhat = normalize(x)`` given the gradient at xhat."""
    mean_g = gxhat.mean(dims, keepdim=True)
    mean_gx = (gxhat * xhat).mean(dims, keepdim=True)
    return (gxhat - mean_g - xhat * mean_gx) * rstd


def _normalized_tangent(t: Tensor, xhat: Tensor, rstd: Tensor, dims: tuple[int, ...]) -> Tensor:
    """The tangent of ``xhat = normalize(x)`` along ``t``: rstd (tc - xhat mean(xhat tc)),
    tc = t - mean(t) (the JVP twin of ``_normalized_grad``; its Jacobian is symmetric)."""
    centered = t - t.mean(dims, keepdim=True)
    return (centered - xhat * (xhat * centered).mean(dims, keepdim=True)) * rstd


def _np_normalize(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[np.ndarray, ...]:
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    with _errstate():
        rstd = 1.0 / np.sqrt(var + eps)
    return (x - mean) * rstd, mean, var


def _sum_to(t: Tensor, dims: tuple[int, ...], shape: tuple[int, ...]) -> Tensor:
    """Sum over ``dims`` (none: nothing to sum, unlike ``sum(())``) and view as ``shape``."""
    return (t.sum(dims) if dims else t).reshape(*shape)


def _param_grads(
    grad: Tensor,
    xhat: Tensor,
    gx: Tensor,
    affine: tuple[bool, bool],
    param_shape: tuple[int, ...],
    param_dims: tuple[int, ...],
) -> tuple[Tensor, ...]:
    """(gx, weight grad if there is a weight, bias grad if there is a bias)."""
    out = [gx]
    if affine[0]:
        out.append(_sum_to(grad * xhat, param_dims, param_shape))
    if affine[1]:
        out.append(_sum_to(grad, param_dims, param_shape))
    return tuple(out)


class _AffineNorm(Op):
    """Shared plumbing: inputs are (x, weight?, bias?) with ``affine`` = (has_weight, has_bias)."""

    affine: tuple[bool, bool]

    def _grads(
        self,
        grad: Tensor,
        xhat: Tensor,
        gx: Tensor | None,
        param_shape: tuple[int, ...],
        param_dims: tuple[int, ...],
    ) -> tuple[Tensor | None, ...]:
        out: list[Tensor | None] = [gx]
        i = 1
        if self.affine[0]:
            need = self.needs_input_grad[i]
            out.append(_sum_to(grad * xhat, param_dims, param_shape) if need else None)
            i += 1
        if self.affine[1]:
            need = self.needs_input_grad[i]
            out.append(_sum_to(grad, param_dims, param_shape) if need else None)
        return tuple(out)

    def _weight(self) -> Tensor | None:
        return self.saved("weight") if self.affine[0] else None

    def _affine_tangent(
        self,
        xhat: Tensor,
        dxhat: Tensor | None,
        tparams: tuple[Tensor | None, ...],
        shape: tuple[int, ...],
    ) -> Tensor | None:
        """out = xhat * w + b, so d out = dxhat * w + xhat * dw + db (w, b viewed as
        ``shape``); ``tparams`` are the tangents of the present weight/bias inputs."""
        tw = tparams[0] if self.affine[0] else None
        tb = tparams[-1] if self.affine[1] else None
        if dxhat is not None and self.affine[0]:
            dxhat = dxhat * self.fw_input(1).reshape(*shape)
        return tangent_sum(
            dxhat,
            None if tw is None else xhat * tw.reshape(*shape),
            None if tb is None else tb.reshape(*shape),
        )


class NativeLayerNormBackward0(_AffineNorm):
    """Normalizes over the trailing ``len(normalized_shape)`` dims; weight/bias of that shape."""

    def forward(self, x: np.ndarray, *params: np.ndarray, **kw: Any) -> np.ndarray:
        affine: tuple[bool, bool] = kw["affine"]
        self.affine, self.eps, self.k = affine, float(kw["eps"]), int(kw["k"])
        axes = tuple(range(x.ndim - self.k, x.ndim))
        self.save_input("input", 0)
        if affine[0]:
            self.save_input("weight", 1)
        xhat, _, _ = _np_normalize(x, axes, self.eps)
        out = xhat
        if affine[0]:
            out = out * params[0]
        if affine[1]:
            out = out + params[-1]
        return np.asarray(out, dtype=x.dtype)

    def jvp(self, tx: Tensor | None, *tparams: Tensor | None) -> Tensor | None:
        x = self.fw_input(0)
        dims = tuple(range(x.ndim - self.k, x.ndim))
        xhat, rstd = _normalize(x, dims, self.eps)
        dxhat = None if tx is None else _normalized_tangent(tx, xhat, rstd, dims)
        return self._affine_tangent(xhat, dxhat, tparams, tuple(x.shape[x.ndim - self.k :]))

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        x = self.saved("input")
        weight = (self.saved("weight"),) if self.affine[0] else ()
        grads = NativeLayerNormBackwardBackward0.invoke(
            grad, x, *weight, affine=self.affine, eps=self.eps, k=self.k
        )
        return _masked(grads, self.needs_input_grad)


def _layer_norm_grads(
    grad: Tensor, x: Tensor, *weight: Tensor, affine: tuple[bool, bool], eps: float, k: int
) -> tuple[Tensor, ...]:
    """(input, weight?, bias?) gradients of layer_norm, in Tensor ops."""
    w = weight[0] if weight else None
    dims = tuple(range(x.ndim - k, x.ndim))
    xhat, rstd = _normalize(x, dims, eps)
    gxhat = grad if w is None else grad * w
    gx = _normalized_grad(gxhat, xhat, rstd, dims)
    lead = tuple(range(x.ndim - k))
    return _param_grads(grad, xhat, gx, affine, tuple(x.shape[x.ndim - k :]), lead)


class NativeGroupNormBackward0(_AffineNorm):
    """(N, C, *) split into ``groups`` groups of channels, each normalized over its channels and
    spatial positions; weight/bias are per channel."""

    def forward(self, x: np.ndarray, *params: np.ndarray, **kw: Any) -> np.ndarray:
        affine: tuple[bool, bool] = kw["affine"]
        self.affine, self.eps, self.groups = affine, float(kw["eps"]), int(kw["groups"])
        self.save_input("input", 0)
        if affine[0]:
            self.save_input("weight", 1)
        n = x.shape[0]
        xhat, _, _ = _np_normalize(x.reshape(n, self.groups, -1), (2,), self.eps)
        out = xhat.reshape(x.shape)
        channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if affine[0]:
            out = out * params[0].reshape(channel)
        if affine[1]:
            out = out + params[-1].reshape(channel)
        return np.asarray(out, dtype=x.dtype)

    def jvp(self, tx: Tensor | None, *tparams: Tensor | None) -> Tensor | None:
        x = self.fw_input(0)
        shape = tuple(x.shape)
        n = shape[0]
        xhat_g, rstd = _normalize(x.reshape(n, self.groups, -1), (2,), self.eps)
        dxhat = None
        if tx is not None:
            grouped = tx.reshape(n, self.groups, -1)
            dxhat = _normalized_tangent(grouped, xhat_g, rstd, (2,)).reshape(*shape)
        channel = (1, shape[1]) + (1,) * (x.ndim - 2)
        return self._affine_tangent(xhat_g.reshape(*shape), dxhat, tparams, channel)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        x = self.saved("input")
        w = self._weight()
        # torch's backward without create_graph is the fused native_group_norm_backward, which
        # has no forward formula (under create_graph it is differentiable ops).
        if (
            not is_grad_enabled()
            and fw.active()
            and any(t is not None and fw.tangent_of(t) is not None for t in (grad, x, w))
        ):
            raise NotImplementedError(
                "Trying to use forward AD with aten::native_group_norm_backward that does not "
                "support it."
            )
        shape = tuple(x.shape)
        n, c = shape[0], shape[1]
        channel = (1, c) + (1,) * (x.ndim - 2)
        grouped = x.reshape(n, self.groups, -1)
        xhat_g, rstd = _normalize(grouped, (2,), self.eps)
        xhat = xhat_g.reshape(*shape)
        gx = None
        if self.needs_input_grad[0]:
            gxhat = grad if w is None else grad * w.reshape(*channel)
            gx = _normalized_grad(gxhat.reshape(n, self.groups, -1), xhat_g, rstd, (2,))
            gx = gx.reshape(*shape)
        dims = (0, *range(2, x.ndim))
        return self._grads(grad, xhat, gx, (c,), dims)


class NativeBatchNormBackward0(_AffineNorm):
    """Per-channel (dim 1) normalization. Training: batch statistics, and the running stats
    (``tensor_params``) updated in place, without a version bump, as torch's kernel does: the
    running variance takes the unbiased batch variance. Eval: the running stats normalize.
    Both running stats are saved, so writing into them before backward fails the version check.
    """

    tensor_params = ("running_mean", "running_var")

    def forward(self, x: np.ndarray, *params: np.ndarray, **kw: Any) -> np.ndarray:
        affine: tuple[bool, bool] = kw["affine"]
        rm, rv = kw.get("running_mean"), kw.get("running_var")
        self.affine, self.eps = affine, float(kw["eps"])
        self.training = bool(kw["training"])
        self.save_input("input", 0)
        if affine[0]:
            self.save_input("weight", 1)
        for name, value in (("running_mean", rm), ("running_var", rv)):
            if value is not None:
                self.save_param(name, value)
        axes = (0, *range(2, x.ndim))
        channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if self.training:
            xhat, mean, var = _np_normalize(x, axes, self.eps)
            m = float(kw["momentum"])
            count = x.size // x.shape[1]
            if rm is not None:
                rm[...] = (1 - m) * rm + m * mean.reshape(-1)
            if rv is not None:
                rv[...] = (1 - m) * rv + m * var.reshape(-1) * count / max(count - 1, 1)
        else:
            assert rm is not None and rv is not None
            with _errstate():
                xhat = (x - rm.reshape(channel)) / np.sqrt(rv.reshape(channel) + self.eps)
        out = xhat
        if affine[0]:
            out = out * params[0].reshape(channel)
        if affine[1]:
            out = out + params[-1].reshape(channel)
        return np.asarray(out, dtype=x.dtype)

    def jvp(self, tx: Tensor | None, *tparams: Tensor | None) -> Tensor | None:
        """Training: the batch statistics move with the input; eval: the running statistics
        are constants, so the input's tangent is only scaled."""
        x = self.fw_input(0)
        channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        dims = (0, *range(2, x.ndim))
        if self.training:
            xhat, rstd = _normalize(x, dims, self.eps)
            dxhat = None if tx is None else _normalized_tangent(tx, xhat, rstd, dims)
        else:
            dtype = x._data.dtype
            mean, var = (
                Tensor._from_array(np.asarray(self.fw_param(n)).reshape(channel).astype(dtype))
                for n in ("running_mean", "running_var")
            )
            rstd = (var + self.eps).rsqrt()
            xhat = (x - mean) * rstd
            dxhat = None if tx is None else tx * rstd
        return self._affine_tangent(xhat, dxhat, tparams, channel)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        x = self.saved("input")
        weight = (self.saved("weight"),) if self.affine[0] else ()
        stats = [self.saved(n) for n in ("running_mean", "running_var") if n in self._saved]
        grads = NativeBatchNormBackwardBackward0.invoke(
            grad,
            x,
            *weight,
            affine=self.affine,
            eps=self.eps,
            training=self.training,
            stats=None if self.training else tuple(s._data.copy() for s in stats),
        )
        return _masked(grads, self.needs_input_grad)


def _batch_norm_grads(
    grad: Tensor,
    x: Tensor,
    *weight: Tensor,
    affine: tuple[bool, bool],
    eps: float,
    training: bool,
    stats: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[Tensor, ...]:
    """(input, weight?, bias?) gradients of batch_norm, in Tensor ops; in eval mode the running
    stats (``stats``) are constants."""
    w = weight[0] if weight else None
    c = x.shape[1]
    channel = (1, c) + (1,) * (x.ndim - 2)
    dims = (0, *range(2, x.ndim))
    gxhat = grad if w is None else grad * w.reshape(*channel)
    if training:
        xhat, rstd = _normalize(x, dims, eps)
        gx = _normalized_grad(gxhat, xhat, rstd, dims)
    else:
        assert stats is not None
        mean, var = (Tensor._from_array(s.reshape(channel).astype(x._data.dtype)) for s in stats)
        rstd = (var + eps).rsqrt()
        xhat = (x - mean) * rstd
        gx = gxhat * rstd
    return _param_grads(grad, xhat, gx, affine, (c,), dims)


def _masked(grads: tuple[Tensor, ...], needed: tuple[bool, ...]) -> tuple[Tensor | None, ...]:
    return tuple(g if need else None for g, need in zip(grads, needed, strict=True))


class _FusedGradient(Op):
    """A first-order gradient formula (Tensor ops) recorded as one node, as torch records its
    fused double-backward kernels. Its own backward differentiates the formula again (a nested
    ``autograd.grad`` on the saved inputs), so gradients of every order stay exact."""

    formula: Any = None

    def forward(self, *arrays: np.ndarray, **params: Any) -> tuple[np.ndarray, ...]:
        self.params = params
        for i in range(len(arrays)):
            self.save_input(f"input{i}", i)
        tensors = [Tensor._from_array(a) for a in arrays]
        with no_grad():
            outs = type(self).formula(*tensors, **params)
        return tuple(o._data for o in outs)

    def jvp(self, *tangents: Tensor | None) -> tuple[Tensor | None, ...]:
        """The formula is Tensor ops with rules of their own: rerun it on the inputs, which
        carry their tangents, with propagation on, and read its outputs' tangents (an output
        none of whose operands has a tangent, the bias gradient from grad alone, gets none)."""
        assert self._fw is not None
        with fw.propagating():
            outs = type(self).formula(*self._fw[0], **self.params)
        return tuple(fw.tangent_of(o) for o in outs)

    def backward(self, *ggs: Tensor) -> tuple[Tensor | None, ...]:
        from ..autograd import grad as autograd_grad

        create_graph = is_grad_enabled()
        saved = [self.saved(f"input{i}") for i in range(len(self.needs_input_grad))]
        with enable_grad():
            # Detached leaves, unless the result must itself be differentiable (create_graph):
            # then inputs with history stay, so the result reaches it (retain_graph keeps the
            # outer graph's buffers, which the nested pass would otherwise free).
            leaves = [
                t if create_graph and t.requires_grad else t.detach().requires_grad_()
                for t in saved
            ]
            outs = type(self).formula(*leaves, **self.params)
            pairs = [(o, g) for o, g in zip(outs, ggs, strict=True) if o.requires_grad]
            if not pairs:
                return (None,) * len(saved)
            grads = autograd_grad(
                [o for o, _ in pairs],
                leaves,
                [g for _, g in pairs],
                retain_graph=True,
                create_graph=create_graph,
                allow_unused=True,
            )
        return tuple(
            None if g is None or not need else g
            for g, need in zip(grads, self.needs_input_grad, strict=True)
        )


class NativeLayerNormBackwardBackward0(_FusedGradient):
    """layer_norm's gradient (grad_out, input, weight?) -> (input, weight?, bias?)."""

    formula = staticmethod(_layer_norm_grads)


class NativeBatchNormBackwardBackward0(_FusedGradient):
    """batch_norm's gradient (grad_out, input, weight?) -> (input, weight?, bias?)."""

    formula = staticmethod(_batch_norm_grads)
