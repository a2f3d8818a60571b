import numpy as np

from clientela.analytics.stats import btyd, simulate
from clientela.analytics.stats.summary import transaction_summary


def test_simulated_customers_are_consistent_summaries():
    # given simulated BG/NBD and Pareto/NBD customers with their transactions
    for draw, parameters in (
        (simulate.simulate_bgnbd, btyd.BGNBDParameters(0.5, 5.0, 0.6, 2.0)),
        (simulate.simulate_paretonbd, btyd.ParetoNBDParameters(0.5, 5.0, 0.6, 8.0)),
    ):
        customers = draw(parameters, 52.0, n_customers=2000, seed=1, transactions=True)

        # then frequency, recency and T are valid and match the transaction log
        assert (customers.frequency >= 0).all()
        assert ((customers.recency >= 0) & (customers.recency <= customers.T)).all()
        assert (customers.recency[customers.frequency == 0] == 0).all()
        counts = np.bincount(customers.transaction_customer, minlength=2000)
        np.testing.assert_array_equal(counts, customers.frequency + 1)
        last = np.zeros(2000)
        np.maximum.at(last, customers.transaction_customer, customers.transaction_time)
        np.testing.assert_allclose(last, customers.recency)


def test_same_seed_same_customers():
    parameters = btyd.BGNBDParameters(0.5, 5.0, 0.6, 2.0)

    first = simulate.simulate_bgnbd(parameters, 10.0, n_customers=100, seed=3)
    second = simulate.simulate_bgnbd(parameters, 10.0, n_customers=100, seed=3)

    np.testing.assert_array_equal(first.frequency, second.frequency)
    np.testing.assert_array_equal(first.recency, second.recency)


def test_transaction_amounts_feed_the_summary():
    # given simulated transactions with Gamma-Gamma amounts, one per day
    parameters = btyd.BGNBDParameters(0.5, 5.0, 0.6, 2.0)
    customers = simulate.simulate_bgnbd(
        parameters, 300.0, n_customers=500, seed=4, transactions=True
    )
    amounts = simulate.simulate_transaction_amounts(
        btyd.GammaGammaParameters(6.0, 4.0, 15.0), customers.transaction_customer, seed=5
    )
    dates = np.datetime64("2024-01-01") + np.floor(customers.transaction_time).astype(
        "timedelta64[D]"
    )

    # when summarised
    summary = transaction_summary(customers.transaction_customer, dates, amounts)

    # then amounts are positive and every customer is there
    assert (amounts > 0).all()
    assert summary.customer_ids.size == 500
    assert (summary.monetary_value[summary.frequency > 0] > 0).all()


def test_simulated_spend_has_the_population_mean():
    spend = btyd.GammaGammaParameters(6.0, 4.0, 15.0)

    simulated = simulate.simulate_spend(spend, np.full(100_000, 3), seed=6)

    assert simulated.monetary_value.mean() == np.float64(simulated.monetary_value.mean())  # finite
    assert abs(simulated.monetary_value.mean() / spend.population_mean_spend - 1) < 0.02
