import numpy as np
import pytest

from clientela.analytics.stats.btyd._fitting import collapse_rows


@pytest.mark.parametrize(
    "columns",
    [
        # whole numbers in a narrow range: coded by offset and counted
        (np.array([0.0, 3, 3, 0, 3]), np.array([0.0, 5, 5, 0, 6]), np.array([9.0, 9, 9, 9, 9])),
        # fractions and a wide range: through np.unique
        (
            np.array([0.0, 1, 1, 0]),
            np.array([0.0, 0.5, 0.5, 0.0]),
            np.array([1e12, 3.5, 3.5, 1e12]),
        ),
    ],
)
def test_collapsed_rows_rebuild_the_data(columns):
    # when identical rows are collapsed
    unique, weights, inverse = collapse_rows(*columns)

    # then the unique rows, expanded by the inverse index, are the data again
    for original, collapsed in zip(columns, unique, strict=True):
        np.testing.assert_array_equal(collapsed[inverse], original)
    assert weights.sum() == columns[0].size
    rows = set(zip(*(c.tolist() for c in unique), strict=True))
    assert len(rows) == unique[0].size
    np.testing.assert_array_equal(np.bincount(inverse), weights)


def test_random_rows_collapse_like_numpy_unique():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, 5000).astype(float)
    t = np.round(rng.uniform(0, 3, 5000), 1)

    unique, weights, _ = collapse_rows(x, t)

    expected = np.unique(np.column_stack([x, t]), axis=0)
    assert unique[0].size == expected.shape[0]
    assert weights.sum() == 5000
