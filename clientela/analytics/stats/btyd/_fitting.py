"""Shared maximum-likelihood machinery for the BTYD models (no Django).

Parameters are optimised on the log scale (so they stay positive), identical customer rows
are collapsed into weights, and standard errors come from the Hessian of the negative
log-likelihood at the optimum (delta method from the log scale). Weighted sums use
``np.einsum`` rather than ``@``: OpenBLAS's threaded dot product is slow for vectors on a
busy machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np
from scipy import optimize

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

FloatArray = np.ndarray

# A model's parameters: a dataclass of floats (``BGNBDParameters``, …).
P = TypeVar("P", bound="DataclassInstance")

# Gradient norm (of the mean negative log-likelihood, log-parameter scale) below which a
# fit is reported as converged.
CONVERGED_GRADIENT = 1e-5

# From this many distinct rows on, a fit first searches on every WARM_START_STEP-th row
# (``warm_start``).
WARM_START_ROWS = 50_000
WARM_START_STEP = 16

Objective = Callable[[FloatArray], tuple[float, FloatArray]]


@dataclass(frozen=True)
class Boundary:
    """The optimum lies at the edge of the parameter space, where some parameters grow
    without bound (or shrink to 0): the data are best described by a limiting model.

    ``kind``: ``"same_dropout"`` (every customer has the same chance of leaving: the
    dropout's mixing distribution collapses to one value) or ``"no_dropout"`` (nobody
    is seen leaving: the model reduces to the NBD). ``parameters`` and
    ``standard_errors`` are the limiting model's own (e.g. r, α and the dropout
    probability p for BG/NBD), which stay finite.
    """

    kind: str
    parameters: dict[str, float]
    standard_errors: dict[str, float]


@dataclass(frozen=True, eq=False)
class FitResult(Generic[P]):
    """A maximum-likelihood fit.

    ``standard_errors`` has the same fields as ``parameters`` (NaN where the Hessian is not
    positive definite); ``covariance`` is in the order of the parameters' fields. When
    ``boundary`` is set the optimum is a limit of the model: ``parameters`` then stand
    for it (the predictions use it) and ``boundary`` holds its finite parameters.
    """

    parameters: P
    standard_errors: P
    log_likelihood: float
    n_customers: int
    converged: bool
    iterations: int
    covariance: FloatArray
    boundary: Boundary | None = None

    @property
    def status(self) -> str:
        """``"not_converged"``, ``"boundary"`` (converged to a limit) or ``"fitted"``."""
        if not self.converged:
            return "not_converged"
        return "fitted" if self.boundary is None else "boundary"

    def reported(self) -> tuple[dict[str, float], dict[str, float]]:
        """The parameters and standard errors to show a reader: the limiting model's for a
        boundary fit (the stand-ins for the unbounded ones mean nothing to a reader)."""
        if self.boundary is not None:
            return self.boundary.parameters, self.boundary.standard_errors
        return asdict(self.parameters), asdict(self.standard_errors)


def fit_timed(
    fitter: Callable[..., FitResult], *args
) -> tuple[FitResult | None, Exception | None, float]:
    """``fitter(*args)``: its result or the error it raised, and the seconds it took.
    Plain arguments and no Django, so that it can run in another process."""
    started = time.monotonic()
    try:
        return fitter(*args), None, time.monotonic() - started
    except Exception as error:  # the caller records it
        return None, error, time.monotonic() - started


def readonly(array: np.ndarray) -> np.ndarray:
    """``array`` marked read-only (results are frozen dataclasses)."""
    array.setflags(write=False)
    return array


def customer_arrays(frequency, recency, T) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validated 1-D float arrays (x, t_x, T), broadcast to one shape."""
    x, t_x, age = np.broadcast_arrays(
        np.asarray(frequency, dtype=float),
        np.asarray(recency, dtype=float),
        np.asarray(T, dtype=float),
    )
    x, t_x, age = (np.atleast_1d(v).astype(float, copy=True).ravel() for v in (x, t_x, age))
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(age).all()):
        raise ValueError("frequency, recency and T must be finite")
    if (x < 0).any() or (x != np.floor(x)).any():
        raise ValueError("frequency must hold non-negative whole numbers")
    if (t_x < 0).any() or (t_x > age).any():
        raise ValueError("recency must lie between 0 and T")
    if (t_x[x == 0] != 0).any():
        raise ValueError("recency must be 0 for customers without repeat purchases")
    return x, t_x, age


def _factorise(column: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """Integer codes of ``column`` and their number. Whole numbers in a range not much
    wider than the data (counts, days) are coded by offset, without sorting; other
    values through ``np.unique``."""
    if column.size and column.dtype.kind in "fiu":
        low, high = column.min(), column.max()
        if high - low <= 4 * size + 1024 and np.array_equal(column, np.floor(column)):
            return (column - low).astype(np.int64), int(high - low) + 1
    values, codes = np.unique(column, return_inverse=True)
    return codes.astype(np.int64).ravel(), values.size


def collapse_rows(*columns: FloatArray) -> tuple[tuple[FloatArray, ...], FloatArray, np.ndarray]:
    """Unique rows of the given columns, their counts (weights) and the inverse index.

    Each column is factorised on its own and the codes are combined arithmetically into
    one int64 key, whose distinct values are found by counting when the key range is
    small and by ``np.unique`` otherwise: several times faster than ``np.unique(axis=0)``.
    """
    size = len(columns[0])
    key = np.zeros(size, dtype=np.int64)
    cardinality = 1
    for column in columns:
        codes, count = _factorise(np.asarray(column).ravel(), size)
        if cardinality * count >= 2**62:
            _, key = np.unique(key, return_inverse=True)
            key = key.astype(np.int64).ravel()
            cardinality = int(key.max(initial=0)) + 1
        key = key * count + codes
        cardinality *= count
    if cardinality <= 8 * size + 1024:
        counts = np.bincount(key, minlength=cardinality)
        present = counts > 0
        inverse = (np.cumsum(present) - 1)[key]
        counts = counts[present]
    else:
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
    # Any row of a group represents it: the rows of a group are identical.
    first = np.empty(counts.size, dtype=np.int64)
    first[inverse] = np.arange(inverse.size)
    unique_columns = tuple(np.asarray(column)[first] for column in columns)
    return unique_columns, counts.astype(float), inverse


def central_gradient(function: Callable[[FloatArray], float], point: FloatArray) -> FloatArray:
    """Gradient by central differences (for likelihoods without an analytic one)."""
    gradient = np.empty_like(point)
    for index in range(point.size):
        step = 1e-5 * max(1.0, abs(point[index]))
        up, down = point.copy(), point.copy()
        up[index] += step
        down[index] -= step
        gradient[index] = (function(up) - function(down)) / (2 * step)
    return gradient


def forward_gradient(
    function: Callable[[FloatArray], float], point: FloatArray, value: float
) -> FloatArray:
    """Gradient by forward differences: half the cost of central ones, good enough for
    the quasi-Newton search (the final polish uses central differences)."""
    gradient = np.empty_like(point)
    for index in range(point.size):
        step = 1e-7 * max(1.0, abs(point[index]))
        shifted = point.copy()
        shifted[index] += step
        gradient[index] = (function(shifted) - value) / step
    return gradient


def numeric_hessian(
    gradient: Callable[[FloatArray], FloatArray], point: FloatArray, at_point: FloatArray
) -> FloatArray:
    """Symmetric Hessian by forward differences of the analytic gradient (``at_point`` is
    its value at ``point``): one gradient a parameter, half the cost of central
    differences, with a relative error near the step's (1e-5), far below what standard
    errors are read to."""
    size = point.size
    hessian = np.empty((size, size))
    for index in range(size):
        step = 1e-5 * max(1.0, abs(point[index]))
        shifted = point.copy()
        shifted[index] += step
        hessian[:, index] = (gradient(shifted) - at_point) / step
    return (hessian + hessian.T) / 2


def numeric_hessian_from_values(
    function: Callable[[FloatArray], float], point: FloatArray
) -> FloatArray:
    """Hessian by central differences of function values (1 + 2k + 4·k(k-1)/2 calls),
    for likelihoods whose gradient is itself numeric."""
    size = point.size
    steps = 1e-4 * np.maximum(1.0, np.abs(point))
    centre = function(point)

    def at(*shifts: tuple[int, int]) -> float:
        shifted = point.copy()
        for index, sign in shifts:
            shifted[index] += sign * steps[index]
        return function(shifted)

    hessian = np.empty((size, size))
    for i in range(size):
        hessian[i, i] = (at((i, 1)) - 2 * centre + at((i, -1))) / steps[i] ** 2
        for j in range(i):
            hessian[i, j] = hessian[j, i] = (
                at((i, 1), (j, 1))
                - at((i, 1), (j, -1))
                - at((i, -1), (j, 1))
                + at((i, -1), (j, -1))
            ) / (4 * steps[i] * steps[j])
    return hessian


@dataclass(frozen=True)
class LogScaleOptimum:
    """The optimum of a negative log-likelihood over log-parameters."""

    parameters: FloatArray
    negative_log_likelihood: float
    covariance: FloatArray
    converged: bool
    iterations: int


def fit_result(
    fields: Callable[..., P],
    optimum: LogScaleOptimum,
    total: float,
    *,
    parameters: P | None = None,
    errors: P | None = None,
    boundary: Boundary | None = None,
) -> FitResult[P]:
    """The ``FitResult`` of ``optimum`` over ``total`` customers: its parameters and
    standard errors as ``fields``, or, for a limit, the stand-ins ``parameters`` and
    ``errors`` with ``boundary``."""
    return FitResult(
        parameters=parameters or fields(*map(float, optimum.parameters)),
        standard_errors=errors or fields(*map(float, standard_errors(optimum.covariance))),
        log_likelihood=-optimum.negative_log_likelihood,
        n_customers=round(total),
        converged=optimum.converged,
        iterations=optimum.iterations,
        covariance=optimum.covariance,
        boundary=boundary,
    )


def warm_start(
    objective_for: Callable[..., Objective],
    columns: tuple[FloatArray, ...],
    row_weights: FloatArray,
    start: FloatArray,
) -> tuple[FloatArray, FloatArray | None]:
    """Where a fit on many rows should start: the optimum on every ``WARM_START_STEP``-th
    row, with the inverse Hessian of the mean objective there, so that BFGS on all rows
    starts next to its end with the curvature known (a few steps instead of twenty).
    ``objective_for(*columns, row_weights)`` makes the objective of some rows. With fewer
    than ``WARM_START_ROWS`` rows, or no usable optimum, it is ``start`` and no Hessian."""
    if row_weights.size < WARM_START_ROWS:
        return start, None
    weights = row_weights[::WARM_START_STEP]
    total = float(weights.sum())
    optimum = minimize_negative_log_likelihood(
        objective_for(*(column[::WARM_START_STEP] for column in columns), weights), start, total
    )
    parameters = optimum.parameters
    if not (optimum.converged and np.isfinite(parameters).all()):
        return start, None
    log_covariance = optimum.covariance / np.outer(parameters, parameters)
    log_covariance = (log_covariance + log_covariance.T) / 2
    if not np.isfinite(log_covariance).all() or (np.linalg.eigvalsh(log_covariance) <= 0).any():
        return np.log(parameters), None
    return np.log(parameters), log_covariance * total


def minimize_negative_log_likelihood(
    objective: Objective,
    initial_log_parameters: FloatArray,
    total_weight: float,
    *,
    precise_objective: Objective | None = None,
    hessian_function: Callable[[FloatArray], FloatArray] | None = None,
    inverse_hessian: FloatArray | None = None,
) -> LogScaleOptimum:
    """Minimise ``objective`` (total negative log-likelihood and its gradient, both on the
    log-parameter scale) with BFGS, polish with Newton steps on a numeric Hessian (using
    ``precise_objective`` and ``hessian_function`` if given, else differences of the
    gradient), and return the parameters with their covariance (delta method from the
    log scale). ``inverse_hessian``: BFGS's first guess of the mean objective's (from
    ``warm_start``).
    """
    search_objective = objective
    objective = precise_objective or objective

    def mean_objective(log_parameters: FloatArray) -> tuple[float, FloatArray]:
        value, gradient = search_objective(log_parameters)
        if not np.isfinite(value) or not np.isfinite(gradient).all():
            return np.inf, np.zeros_like(log_parameters)
        return value / total_weight, gradient / total_weight

    def gradient_only(log_parameters: FloatArray) -> FloatArray:
        return objective(log_parameters)[1]

    result = optimize.minimize(
        mean_objective,
        initial_log_parameters,
        jac=True,
        method="BFGS",
        options=(
            {"gtol": 1e-7, "maxiter": 2000, "hess_inv0": inverse_hessian}
            if inverse_hessian is not None
            else {"gtol": 1e-7, "maxiter": 2000}
        ),
    )
    point = np.asarray(result.x, dtype=float)
    value, gradient = objective(point)
    iterations = int(result.nit)
    hessian = (
        hessian_function(point)
        if hessian_function is not None
        else numeric_hessian(gradient_only, point, gradient)
    )
    # Newton polish: BFGS stops on line-search precision well before the gradient is tiny.
    # The Hessian is kept from the first point: the steps are tiny by then.
    for _ in range(8):
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        candidate = point - step
        candidate_value, candidate_gradient = objective(candidate)
        if not np.isfinite(candidate_value) or candidate_value > value + 1e-12 * abs(value):
            break
        iterations += 1
        point, value, gradient = candidate, candidate_value, candidate_gradient
        if np.max(np.abs(step)) < 1e-10:
            break
    parameters = np.exp(point)
    try:
        log_covariance = np.linalg.inv(hessian)
        if (np.linalg.eigvalsh(hessian) <= 0).any():
            raise np.linalg.LinAlgError
        covariance = log_covariance * np.outer(parameters, parameters)
    except np.linalg.LinAlgError:
        covariance = np.full((point.size, point.size), np.nan)
    converged = bool(np.max(np.abs(gradient)) / total_weight < CONVERGED_GRADIENT)
    return LogScaleOptimum(
        parameters=parameters,
        negative_log_likelihood=float(value),
        covariance=readonly(covariance),
        converged=converged,
        iterations=iterations,
    )


def standard_errors(covariance: FloatArray) -> FloatArray:
    """Square roots of the covariance diagonal (NaN where negative)."""
    diagonal = np.diag(covariance)
    with np.errstate(invalid="ignore"):
        return np.where(diagonal >= 0, np.sqrt(np.abs(diagonal)), np.nan)
