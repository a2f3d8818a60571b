"""The guarded 2F1 where scipy's fails (reference values from mpmath at 30 digits)."""

import numpy as np
import pytest
from scipy.special import hyp2f1 as scipy_hyp2f1

from clientela.analytics.stats.btyd._hypergeometric import hyp2f1, hyp2f1_one


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
