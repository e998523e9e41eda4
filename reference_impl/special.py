"""torch.special: the Bessel, normal-distribution and entropy functions, and the aliases of
torch functions that torch.special repeats."""

from __future__ import annotations

import math
from typing import Any

from ._functions import (
    digamma,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    i0,
    lgamma,
    log1p,
    log_softmax,
    logit,
    logsumexp,
    polygamma,
    round,  # noqa: A004
    sigmoid,
    sinc,
    softmax,
    xlogy,
)
from ._functions import mvlgamma as multigammaln
from ._ops import binary_math as bm
from ._ops import pointwise as pw
from ._ops import special as sp
from ._ops.base import as_tensor_arg
from ._tensor import Tensor

psi = digamma
gammaln = lgamma
expit = sigmoid


def _unary(cls: Any) -> Any:
    def fn(input: Tensor) -> Tensor:  # noqa: A002
        return cls.invoke(input)

    fn.__name__ = cls.__name__
    return fn


entr = _unary(sp.SpecialEntrBackward0)
erfcx = _unary(sp.SpecialErfcxBackward0)
i0e = _unary(sp.SpecialI0EBackward0)
i1 = _unary(sp.SpecialI1Backward0)
i1e = _unary(sp.SpecialI1EBackward0)
log_ndtr = _unary(sp.SpecialLogNdtrBackward0)
ndtri = _unary(sp.SpecialNdtriBackward0)


def ndtr(input: Tensor) -> Tensor:  # noqa: A002
    """The standard normal CDF as ATen composes it: (1 + erf(x / sqrt 2)) * 0.5."""
    return pw.mul_scalar(erf(pw.mul_scalar(input, math.sqrt(0.5))) + 1.0, 0.5)


def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002
    return bm.SpecialXlog1PyBackward0.invoke(as_tensor_arg(input), as_tensor_arg(other))


__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]
