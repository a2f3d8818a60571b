"""CDNOW data for the statistics tests (read with numpy, no database)."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Transactions:
    customer_ids: np.ndarray
    dates: np.ndarray
    amounts: np.ndarray


@dataclass(frozen=True)
class PublishedSummary:
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray


@pytest.fixture(scope="session")
def cdnow_transactions() -> Transactions:
    """The 6,919 transactions of CDNOW's 2,357-customer sample."""
    raw = np.loadtxt(DATA / "CDNOW_sample.txt", dtype=str)
    dates = np.array(
        [f"{day[:4]}-{day[4:6]}-{day[6:]}" for day in raw[:, 2]], dtype="datetime64[D]"
    )
    return Transactions(raw[:, 1].astype(np.int64), dates, raw[:, 4].astype(float))


@pytest.fixture(scope="session")
def cdnow_summary() -> PublishedSummary:
    """The published 39-week calibration summary (weeks, 2 decimals)."""
    table = np.loadtxt(
        DATA / "cdnow_customers_summary_with_transactions.csv", delimiter=",", skiprows=1
    )
    return PublishedSummary(table[:, 1], table[:, 2], table[:, 3], table[:, 4])
