import numpy as np
import pandas as pd
import pytest
from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

from clientela.analytics.stats import summary as summary_module
from clientela.analytics.stats.summary import (
    by_customer_and_period,
    calibration_holdout_summary,
    transaction_summary,
)


def _frame(transactions) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": transactions.customer_ids,
            "date": pd.to_datetime(transactions.dates),
            "amount": transactions.amounts,
        }
    )


def test_purchases_on_the_same_day_collapse_and_the_first_is_not_repeat_spend():
    # given two customers, one buying twice on the first day and once a week later
    customers = np.array(["b", "a", "a", "a"])
    dates = np.array(["2024-01-03", "2024-01-01", "2024-01-01", "2024-01-08"], "datetime64[D]")
    amounts = np.array([5.0, 10.0, 20.0, 7.0])

    # when summarised in days up to 2024-01-10
    summary = transaction_summary(
        customers, dates, amounts, observation_end="2024-01-10", time_unit="day"
    )

    # then the same-day purchases are one period whose amount is their sum
    assert summary.customer_ids.tolist() == ["a", "b"]
    assert summary.frequency.tolist() == [1, 0]
    assert summary.recency.tolist() == [7.0, 0.0]
    assert summary.T.tolist() == [9.0, 7.0]
    assert summary.monetary_value.tolist() == [7.0, 0.0]
    assert summary.total_amount.tolist() == [37.0, 5.0]


@pytest.mark.parametrize("halves_from", [10**9, 2], ids=["one piece", "two halves"])
def test_rows_repeating_an_earlier_one_exactly_are_counted(monkeypatch, halves_from):
    # given a customer buying 10, 20 and 10 on one day, another buying 5 twice on one day
    # and 5 again the next, and a repeat after the observation end
    monkeypatch.setattr(summary_module, "_HALVES_ROWS", halves_from)
    customers = np.array(["a", "b", "a", "b", "a", "b", "b", "b"])
    days = ["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-02", "2024-01-01", "2024-01-03"]
    dates = np.array([*days, "2024-02-09", "2024-02-09"], "datetime64[D]")
    amounts = np.array([10.0, 5.0, 20.0, 5.0, 10.0, 5.0, 1.0, 1.0])

    # when summarised up to the end of January, with and without the amounts
    with_amounts = transaction_summary(customers, dates, amounts, observation_end="2024-01-31")
    without = transaction_summary(customers, dates, observation_end="2024-01-31")

    # then the second 10 and the second 5 of the day repeat an earlier row; without
    # amounts every row after a day's first does
    assert with_amounts.repeated_rows == 2
    assert without.repeated_rows == 3


def test_weeks_run_monday_to_sunday_and_multiplier_divides_time():
    # given purchases on Sunday 2024-01-07 and Monday 2024-01-08
    dates = np.array(["2024-01-07", "2024-01-08", "2024-01-14"], "datetime64[D]")
    customers = np.array([1, 1, 1])

    # when summarised in weeks, and in days divided by 7
    weeks = transaction_summary(customers, dates, time_unit="week")
    days_in_weeks = transaction_summary(customers, dates, time_unit="day", unit_multiplier=7)

    # then Sunday and Monday are different weeks, but the 8th and 14th are the same week
    assert weeks.frequency.tolist() == [1]
    assert weeks.recency.tolist() == [1.0]
    assert weeks.monetary_value is None
    assert days_in_weeks.frequency.tolist() == [2]
    assert days_in_weeks.recency.tolist() == [1.0]


def test_transactions_after_the_observation_end_are_ignored():
    customers = np.array([1, 1, 2])
    dates = np.array(["2024-01-01", "2024-03-01", "2024-03-01"], "datetime64[D]")

    summary = transaction_summary(customers, dates, observation_end="2024-02-01")

    assert summary.customer_ids.tolist() == [1]
    assert summary.frequency.tolist() == [0]
    assert summary.T.tolist() == [31.0]


def test_results_are_read_only():
    summary = transaction_summary(np.array([1]), np.array(["2024-01-01"], "datetime64[D]"))
    with pytest.raises(ValueError):
        summary.frequency[0] = 3


@pytest.mark.parametrize(("time_unit", "freq"), [("day", "D"), ("week", "W")])
@pytest.mark.parametrize("end", ["1997-09-30", "1997-06-15", "1998-06-30"])
def test_summary_matches_lifetimes_on_cdnow(cdnow_transactions, time_unit, freq, end):
    # given the CDNOW transactions
    frame = _frame(cdnow_transactions)

    # when summarised by us and by lifetimes
    ours = transaction_summary(
        cdnow_transactions.customer_ids,
        cdnow_transactions.dates,
        cdnow_transactions.amounts,
        observation_end=end,
        time_unit=time_unit,
    )
    theirs = summary_data_from_transaction_data(
        frame, "customer", "date", "amount", observation_period_end=end, freq=freq
    ).sort_index()

    # then every column agrees
    np.testing.assert_array_equal(ours.customer_ids, theirs.index.to_numpy())
    np.testing.assert_array_equal(ours.frequency, theirs["frequency"])
    np.testing.assert_array_equal(ours.recency, theirs["recency"])
    np.testing.assert_array_equal(ours.T, theirs["T"])
    np.testing.assert_allclose(ours.monetary_value, theirs["monetary_value"], rtol=1e-12)


@pytest.mark.parametrize("halves_from", [10**9, 1000], ids=["one piece", "two halves"])
def test_summary_matches_lifetimes_with_a_multiplier_on_random_transactions(
    monkeypatch, halves_from
):
    # given random transactions with many same-day purchases, summarised in one piece or,
    # from a smaller size than usual, in two halves of the customers
    monkeypatch.setattr(summary_module, "_HALVES_ROWS", halves_from)
    rng = np.random.default_rng(7)
    n = 5000
    customers = rng.integers(0, 600, n)
    dates = np.datetime64("2023-01-01") + rng.integers(0, 400, n).astype("timedelta64[D]")
    amounts = rng.gamma(2.0, 20.0, n).round(2)
    frame = pd.DataFrame({"customer": customers, "date": pd.to_datetime(dates), "amount": amounts})

    # when summarised in weeks measured in days (lifetimes' freq_multiplier)
    ours = transaction_summary(customers, dates, amounts, time_unit="day", unit_multiplier=7)
    theirs = summary_data_from_transaction_data(
        frame, "customer", "date", "amount", freq="D", freq_multiplier=7
    ).sort_index()

    coded = transaction_summary(
        customers, dates, amounts, time_unit="day", unit_multiplier=7, coded=True
    )

    # then they agree, and with the customers already numbered as well
    for summary in (ours, coded):
        np.testing.assert_array_equal(summary.customer_ids, theirs.index.to_numpy())
        np.testing.assert_array_equal(summary.frequency, theirs["frequency"])
        np.testing.assert_allclose(summary.recency, theirs["recency"], rtol=1e-15)
        np.testing.assert_allclose(summary.T, theirs["T"], rtol=1e-15)
        np.testing.assert_allclose(summary.monetary_value, theirs["monetary_value"], rtol=1e-12)
        np.testing.assert_allclose(
            summary.total_amount, frame.groupby("customer")["amount"].sum(), rtol=1e-12
        )


@pytest.mark.parametrize(("time_unit", "freq"), [("day", "D"), ("week", "W")])
def test_calibration_and_holdout_match_lifetimes_on_cdnow(cdnow_transactions, time_unit, freq):
    # given the CDNOW transactions split at the published 39-week calibration end
    frame = _frame(cdnow_transactions)

    # when split by us and by lifetimes
    ours = calibration_holdout_summary(
        cdnow_transactions.customer_ids,
        cdnow_transactions.dates,
        cdnow_transactions.amounts,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit=time_unit,
    )
    theirs = calibration_and_holdout_data(
        frame,
        "customer",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq=freq,
        monetary_value_col="amount",
    ).sort_index()

    # then calibration and holdout columns agree
    calibration = ours.calibration
    np.testing.assert_array_equal(calibration.customer_ids, theirs.index.to_numpy())
    np.testing.assert_array_equal(calibration.frequency, theirs["frequency_cal"])
    np.testing.assert_array_equal(calibration.recency, theirs["recency_cal"])
    np.testing.assert_array_equal(calibration.T, theirs["T_cal"])
    np.testing.assert_allclose(calibration.monetary_value, theirs["monetary_value_cal"], rtol=1e-12)
    np.testing.assert_array_equal(ours.frequency_holdout, theirs["frequency_holdout"])
    np.testing.assert_allclose(
        ours.monetary_value_holdout, theirs["monetary_value_holdout"], rtol=1e-12
    )
    assert ours.duration_holdout == theirs["duration_holdout"].iloc[0]


def test_cdnow_summary_in_days_over_seven_is_the_published_summary(
    cdnow_transactions, cdnow_summary
):
    # when the CDNOW calibration period is summarised in days divided by 7
    summary = transaction_summary(
        cdnow_transactions.customer_ids,
        cdnow_transactions.dates,
        cdnow_transactions.amounts,
        observation_end="1997-09-30",
        time_unit="day",
        unit_multiplier=7,
    )

    # then it is the published summary up to its rounding
    assert summary.customer_ids.size == 2357
    np.testing.assert_array_equal(summary.frequency, cdnow_summary.frequency)
    np.testing.assert_allclose(summary.recency, cdnow_summary.recency, atol=0.005)
    np.testing.assert_allclose(summary.T, cdnow_summary.T, atol=0.005)
    np.testing.assert_allclose(summary.monetary_value, cdnow_summary.monetary_value, atol=0.005)


@pytest.mark.parametrize(
    ("codes", "periods"),
    [
        # packed into one key: small whole numbers, negative ones and ties included
        (np.array([3, 1, 3, 1, 2, 1, 3]), np.array([5, 9, 5, -2, 0, 9, 4])),
        # too wide to pack with the row number: sorted by lexsort instead
        (np.array([2**40, 7, 2**40, 7]), np.array([2**30, 1, -(2**30), 1])),
        # not whole numbers
        (np.array([1.5, 0.5, 1.5]), np.array([2.0, 1.0, 0.0])),
    ],
)
def test_rows_sort_by_customer_then_period_then_position(codes, periods):
    order, sorted_codes, sorted_periods = by_customer_and_period(codes, periods)

    expected = np.lexsort((periods, codes))
    assert order.tolist() == expected.tolist()
    assert sorted_codes.tolist() == codes[expected].tolist()
    assert sorted_periods.tolist() == periods[expected].tolist()


def test_sorting_no_rows_gives_no_order():
    order, codes, periods = by_customer_and_period(np.zeros(0, int), np.zeros(0, int))
    assert order.size == codes.size == periods.size == 0


@pytest.mark.parametrize("far", [False, True], ids=["packed with the rows", "too far apart"])
def test_customers_periods_and_repeats_come_out_the_same_however_far_apart_the_days(far):
    # given day numbers close together, or so far apart that a customer, day and row
    # number no longer fit in one 64-bit number together
    spread = 2**59 if far else 1
    customers = np.array(["b", "a", "b", "a", "b"])
    days = np.array([0, -spread, 0, spread, spread])
    amounts = np.array([4.0, 1.0, 4.0, 2.0, 6.0])

    summary = transaction_summary(customers, days, amounts)

    # then each customer's periods, spend and the one repeated row are found all the same
    assert summary.customer_ids.tolist() == ["a", "b"]
    assert summary.frequency.tolist() == [1, 1]
    assert summary.recency.tolist() == [2.0 * spread, float(spread)]
    assert summary.monetary_value.tolist() == [2.0, 6.0]
    assert summary.total_amount.tolist() == [3.0, 14.0]
    assert summary.repeated_rows == 1
