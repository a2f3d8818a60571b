"""The guarded 2F1 where scipy's fails (reference values from mpmath at 30 digits)."""

import numpy as np
import pytest
from scipy.special import hyp2f1 as scipy_hyp2f1

from clientela.analytics.stats.btyd._hypergeometric import (
    _continued_fraction,
    hyp2f1,
    hyp2f1_one,
)


@pytest.mark.parametrize(
    ("b", "c", "z", "expected"),
    [
        (1001.0, 1003.0, 337 / 338, 216.15970647865984),
        (2.0, 1003.0, 10 / 11, 1.0018176856348244),
        (2.0, 103.0, 10 / 11, 1.0181319155164235),
        (1.5, 3.5, 0.999999, 2.4999529931140305),
    ],
)
def test_hyp2f1_one_where_scipy_fails(b, c, z, expected):
    assert hyp2f1_one(b, c, z) == pytest.approx(expected, rel=1e-9)


def test_closed_forms_at_integer_excess():
    z = np.array([0.0, 0.3, 0.9, 0.999, 0.9999999])

    # 2F1(1, 1; 2; z) = -ln(1 - z) / z and 2F1(1, b; b; z) = 1 / (1 - z)
    np.testing.assert_allclose(hyp2f1_one(1.0, 2.0, z[1:]), -np.log1p(-z[1:]) / z[1:], rtol=1e-9)
    np.testing.assert_allclose(hyp2f1_one(1001.0, 1001.0, z), 1 / (1 - z), rtol=1e-9)


def test_general_hyp2f1_agrees_with_scipy_where_scipy_is_fine():
    rng = np.random.default_rng(0)
    a, b, c = rng.uniform(0.1, 5, (3, 200))
    c = c + a + b + 0.5
    z = rng.uniform(0, 0.9, 200)

    np.testing.assert_allclose(hyp2f1(a, b, c, z), scipy_hyp2f1(a, b, c, z), rtol=1e-13)


def test_near_one_the_connection_formula_matches_a_closed_form():
    # 2F1(1, 1; 3/2; z) = arcsin(√z) / √(z (1 - z)), here with c - 1 - b = -1/2
    z = 1 - np.array([0.04, 1e-3, 1e-5, 1e-7, 1e-10])

    expected = np.arcsin(np.sqrt(z)) / np.sqrt(z * (1 - z))
    np.testing.assert_allclose(hyp2f1_one(1.0, 1.5, z), expected, rtol=1e-12)


def test_near_one_agrees_with_scipy_and_the_continued_fraction():
    # the Pareto/NBD terms of customers who hardly ever stop: b = s + 1, c = r + s + x + 1
    rng = np.random.default_rng(1)
    s, r = rng.uniform(1e-6, 2.0, (2, 400))
    x = rng.integers(0, 1000, 400)
    b, c = s + 1, r + s + x + 1
    z = 1 - 10 ** rng.uniform(-7, np.log10(0.05), 400)

    value = hyp2f1_one(b, c, z)
    assert np.isfinite(value).all()
    fine = z < 0.999
    np.testing.assert_allclose(value[fine], scipy_hyp2f1(1.0, b, c, z)[fine], rtol=1e-11)
    with np.errstate(all="ignore"):
        continued = _continued_fraction(b, c, z)  # 2e-10 at worst, near z = 1
    np.testing.assert_allclose(value, continued, rtol=1e-9)
