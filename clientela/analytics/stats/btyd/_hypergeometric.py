"""Gauss's hypergeometric function 2F1, guarded against scipy's failures.

``scipy.special.hyp2f1`` (1.17) returns NaN or infinity, or loses accuracy, in two places
that the BTYD likelihoods reach:

- c - a - b within about 1e-12 of an integer, e.g. 2F1(1, 2; 1003; 10/11);
- b large and z near 1, e.g. 2F1(1, 1001; 1003; 0.997) is NaN, and errors of 1e-7 start
  around b > 10, z > 0.99.

``hyp2f1`` evaluates the first kind as the mean of 2F1 at b ± δ (exact to O(δ²)).
``hyp2f1_one`` (a = 1, the Pareto/NBD case) evaluates both kinds with Gauss's continued
fraction, which converges for every z < 1 (checked against mpmath: relative error below
2e-10 for z up to 1 - 1e-7, slower the nearer z is to 1). Near z = 1 it uses the
connection formula to 1 - z instead, which for a = 1 has a closed-form second term (see
``_near_one``): scipy takes ~5 µs an element there, and a Pareto/NBD book whose customers
hardly ever stop buying (β → ∞) puts every element there.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, gammasgn
from scipy.special import hyp2f1 as _scipy_hyp2f1

_INTEGER_GAP = 1e-9
_NUDGE = 1e-6
_CONTINUED_FRACTION_TERMS = 200_000
_TINY = 1e-300


def _flat(*values) -> tuple[tuple[np.ndarray, ...], tuple[int, ...]]:
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))
    return tuple(array.ravel() for array in arrays), arrays[0].shape


def _near_integer(values: np.ndarray) -> np.ndarray:
    return np.abs(values - np.round(values)) < _INTEGER_GAP


def hyp2f1(a, b, c, z) -> np.ndarray:
    """2F1(a, b; c; z) for real arguments and z < 1, broadcast like a ufunc."""
    (a, b, c, z), shape = _flat(a, b, c, z)
    with np.errstate(all="ignore"):
        value = np.array(_scipy_hyp2f1(a, b, c, z), dtype=float, ndmin=1)
    suspect = ~np.isfinite(value) | _near_integer(c - a - b)
    if suspect.any():
        a, b, c, z = a[suspect], b[suspect], c[suspect], z[suspect]
        with np.errstate(all="ignore"):
            up = _scipy_hyp2f1(a, b + _NUDGE, c, z)
            down = _scipy_hyp2f1(a, b - _NUDGE, c, z)
        value[suspect] = (up + down) / 2
    return value.reshape(shape)


def _continued_fraction(b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """2F1(1, b; c; z) = 2F1(b, 1; c; z) = 1 / (1 - k1 z / (1 - k2 z / (1 - ...))) with
    Gauss's coefficients for 2F1(a, β+1; γ+1; z) / 2F1(a, β; γ; z) at a = b, β = 0,
    γ = c - 1: k(2m+1) = (b+m)(γ+m) / ((γ+2m)(γ+2m+1)), k(2m) = m(γ-b+m) / ((γ+2m-1)(γ+2m)).
    Evaluated by the modified Lentz method, all elements at once."""
    gamma = c - 1.0
    result = np.ones_like(z)
    numerator_ratio = np.ones_like(z)
    denominator_ratio = np.zeros_like(z)
    active = np.arange(z.size)
    for term in range(1, _CONTINUED_FRACTION_TERMS):
        half = term // 2
        g, bb, zz = gamma[active], b[active], z[active]
        if term % 2:
            k = (bb + half) * (g + half) / ((g + 2 * half) * (g + 2 * half + 1))
        else:
            k = half * (g - bb + half) / ((g + 2 * half - 1) * (g + 2 * half))
        partial = -k * zz
        d = 1.0 + partial * denominator_ratio[active]
        d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
        n = 1.0 + partial / numerator_ratio[active]
        n = np.where(np.abs(n) < _TINY, _TINY, n)
        denominator_ratio[active] = d
        numerator_ratio[active] = n
        delta = n * d
        result[active] *= delta
        active = active[np.abs(delta - 1.0) > 1e-16]
        if active.size == 0:
            break
    return 1.0 / result


# The connection formula serves where 1 - z is below _NEAR_ONE, b (1 - z) below
# _NEAR_ONE_GROWTH (so that its series does not first grow) and c - 1 - b is at least
# _NEAR_ONE_INTEGER_GAP from an integer (its two terms then cancel by a few digits at most).
_NEAR_ONE = 0.05
_NEAR_ONE_GROWTH = 0.5
_NEAR_ONE_INTEGER_GAP = 1e-4
_NEAR_ONE_TERMS = 10_000


def _near_one(b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """2F1(1, b; c; z) by the connection formula to w = 1 - z (DLMF 15.8.4) with
    m = c - 1 - b not an integer:

        (c-1)/m · 2F1(1, b; 1-m; w) + w^m Γ(c) Γ(-m) / Γ(b) · 2F1(c-1, m+1; m+1; w),

    where the last 2F1 is (1-w)^(1-c) = z^(1-c). The first series, Σ (b)_n/(1-m)_n w^n,
    converges fast for small w; it is summed until its terms are negligible and past
    n = m (where 1-m+n is smallest). The second term is computed in logarithms."""
    m = c - 1.0 - b
    w = 1.0 - z
    total = np.ones_like(z)
    term = np.ones_like(z)
    active = np.arange(z.size)
    for n in range(_NEAR_ONE_TERMS):
        bb, mm, ww = b[active], m[active], w[active]
        term[active] *= (bb + n) / (1.0 - mm + n) * ww
        total[active] += term[active]
        small = np.abs(term[active]) <= 1e-17 * np.abs(total[active])
        done = small & ((n + 1 >= mm) | (np.abs(term[active]) < 1e-280))
        active = active[~done]
        if active.size == 0:
            break
    with np.errstate(all="ignore"):
        log_second = m * np.log(w) + gammaln(c) + gammaln(-m) - gammaln(b) + (1.0 - c) * np.log(z)
        second = gammasgn(-m) * np.exp(log_second)
    return (c - 1.0) / m * total + second


def hyp2f1_one(b, c, z) -> np.ndarray:
    """2F1(1, b; c; z) for 0 < b < c and 0 <= z < 1: the connection formula near z = 1,
    scipy elsewhere where it is reliable, Gauss's continued fraction where it is not
    (see the module docstring)."""
    (b, c, z), shape = _flat(b, c, z)
    m = c - 1.0 - b
    near_one = (
        (z > 1.0 - _NEAR_ONE)
        & (b * (1.0 - z) < _NEAR_ONE_GROWTH)
        & (np.abs(m - np.round(m)) > _NEAR_ONE_INTEGER_GAP)
    )
    value = np.empty_like(z)
    if near_one.any():
        value[near_one] = _near_one(b[near_one], c[near_one], z[near_one])
    rest = ~near_one
    with np.errstate(all="ignore"):
        value[rest] = _scipy_hyp2f1(1.0, b[rest], c[rest], z[rest])
    suspect = rest & (~np.isfinite(value) | _near_integer(m) | ((b > 5.0) & (z > 0.9)))
    if suspect.any():
        value[suspect] = _continued_fraction(b[suspect], c[suspect], z[suspect])
    return value.reshape(shape)
