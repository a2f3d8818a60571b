"""The purchase summary computed in SQL, and reading the stored scores."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from clientela.analytics.models import CustomerScore
from clientela.analytics.selectors import (
    customer_score_history,
    customer_score_latest,
    customer_summary_sql,
    score_latest_date,
    score_list,
    score_overview,
    transaction_rows,
)
from clientela.analytics.services import analysis_run
from clientela.analytics.stats import ladder
from clientela.analytics.stats.summary import transaction_summary
from clientela.analytics.tests.factories import (
    BoughtOrderFactory,
    customers_bulk_create,
    purchases_create,
    random_book,
)
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import BOUGHT, Order
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 6, 30)


def _bought_rows(as_of):
    rows = list(
        Order.objects.filter(BOUGHT, order_date__lte=as_of).values_list(
            "customer_id", "order_date", "total"
        )
    )
    ids = np.array([row[0] for row in rows])
    dates = np.array([row[1] for row in rows], dtype="datetime64[D]")
    amounts = np.array([float(row[2]) for row in rows])
    return ids, dates, amounts


def test_the_sql_summary_equals_the_numpy_one():
    # given a messy book: every status, two orders on a day, orders after the date
    customers = customers_bulk_create(40)
    random_book(customers, seed=7, until=AS_OF)
    ids, dates, amounts = _bought_rows(AS_OF)

    # when summarised by the database and by numpy from the bought orders
    sql = customer_summary_sql(as_of=AS_OF).as_transaction_summary()
    expected = transaction_summary(ids, dates, amounts, observation_end=AS_OF)

    # then both agree on every customer and figure
    assert sql.customer_ids.size > 20
    assert sql.customer_ids.tolist() == expected.customer_ids.tolist()
    assert sql.frequency.tolist() == expected.frequency.tolist()
    assert sql.recency.tolist() == expected.recency.tolist()
    assert sql.T.tolist() == expected.T.tolist()
    np.testing.assert_allclose(sql.monetary_value, expected.monetary_value, rtol=1e-12)
    np.testing.assert_allclose(sql.total_amount, expected.total_amount, rtol=1e-12)
    assert (expected.frequency > 0).sum() > 10


def test_the_sql_window_figures_equal_the_numpy_ones():
    # given the same kind of book
    customers = customers_bulk_create(30)
    random_book(customers, seed=11, until=AS_OF)
    ids, dates, amounts = _bought_rows(AS_OF)
    window_start = AS_OF - timedelta(days=364)
    period_start = date(2023, 7, 1)

    # when the database gives the ladder's and the Pareto period's figures
    summary = customer_summary_sql(
        as_of=AS_OF, period_start=period_start, window_start=window_start
    )
    regularity = ladder.purchase_regularity(ids, dates, observation_end=AS_OF, window_days=365)

    # then they equal numpy's
    assert summary.customer_ids.tolist() == regularity.customer_ids.tolist()
    assert summary.purchases.tolist() == regularity.purchases.tolist()
    assert summary.recent_purchases.tolist() == regularity.recent_purchases.tolist()
    assert summary.gap_count.tolist() == regularity.gap_count.tolist()
    assert summary.gap_sum.tolist() == regularity.gap_sum.tolist()
    assert summary.gap_square_sum.tolist() == regularity.gap_square_sum.tolist()
    assert summary.days_since_last.tolist() == regularity.days_since_last.tolist()
    in_period = dates >= np.datetime64(period_start)
    expected_revenue = [
        amounts[(ids == customer) & in_period].sum() for customer in summary.customer_ids
    ]
    np.testing.assert_allclose(summary.period_revenue, expected_revenue, rtol=1e-12)


def test_transaction_rows_sum_each_customer_day():
    # given two orders on one day, a draft and a cancelled one
    customer = CustomerFactory()
    purchases_create(customer, [("2024-03-01", "10.50"), ("2024-03-01", "4.25")])
    purchases_create(customer, [("2024-03-02", "99")], status="draft")
    purchases_create(customer, [("2024-03-03", "99")], status="cancelled")
    BoughtOrderFactory(customer=customer, order_date=date(2024, 3, 9), total=Decimal("7"))

    rows = transaction_rows(as_of=AS_OF)

    assert rows.customer_ids.tolist() == [customer.pk, customer.pk]
    assert rows.dates.astype(str).tolist() == ["2024-03-01", "2024-03-09"]
    assert rows.amounts.tolist() == [14.75, 7.0]


def test_orders_made_through_the_services_are_read():
    # given an order confirmed through the order services, and a draft
    customer = CustomerFactory()
    product = ProductFactory(unit_price=Decimal("12.50"))
    OrderFactory(customer=customer, lines=[{"product": product, "quantity": 2}], status="confirmed")
    OrderFactory(customer=customer, lines=[{"product": product, "quantity": 5}])

    summary = customer_summary_sql(as_of=AS_OF)

    assert summary.customer_ids.tolist() == [customer.pk]
    assert summary.total_amount.tolist() == [25.0]


def test_an_empty_book_gives_an_empty_summary():
    summary = customer_summary_sql(as_of=AS_OF)

    assert summary.customer_ids.size == 0
    assert summary.as_transaction_summary().frequency.size == 0


def _scored_book(owner):
    big, small, lapsed = CustomerFactory(name="Grande"), CustomerFactory(name="Chica"), None
    lapsed = CustomerFactory(name="Dormida", owner=owner)
    purchases_create(big, [(f"2024-06-{day:02d}", 1000) for day in range(1, 29, 7)])
    purchases_create(small, [("2024-06-20", 10)])
    purchases_create(lapsed, [("2024-01-05", 300), ("2024-01-20", 300), ("2024-02-04", 300)])
    return big, small, lapsed


def test_score_list_filters_and_orders(owner):
    # given a scored book
    big, small, lapsed = _scored_book(owner)
    analysis_run(actor=owner, as_of=AS_OF)

    # then the latest date is found and the lists filter and sort by value
    assert score_latest_date() == AS_OF
    everyone = list(score_list(user=owner))
    assert {score.customer for score in everyone} == {big, small, lapsed}
    assert [s.customer for s in score_list(user=owner, pareto_class="A")] == [big]
    assert [s.customer for s in score_list(user=owner, stage="buyer")] == [small]
    lost = list(score_list(user=owner, churn="lost"))
    assert [s.customer for s in lost] == [lapsed]
    assert lost[0].lost_by_rule
    assert list(score_list(user=owner, churn="at_risk")) == []
    by_stake = [s.value_at_stake for s in score_list(user=owner, order="value_at_stake")]
    assert by_stake == sorted(by_stake, reverse=True)
    with pytest.raises(ValueError):
        score_list(user=owner, churn="gone")


def test_score_list_is_empty_before_any_run(owner):
    assert list(score_list(user=owner)) == []
    assert score_latest_date() is None


def test_a_limited_salesperson_lists_only_own_customers(owner, sales, settings):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    mine = CustomerFactory(actor=sales)
    purchases_create(mine, [("2024-05-01", 100)])
    purchases_create(CustomerFactory(), [("2024-05-01", 100)])
    analysis_run(actor=None, as_of=AS_OF)

    assert [score.customer for score in score_list(user=sales)] == [mine]


def test_score_list_reads_customers_in_one_query(owner, django_assert_num_queries):
    _scored_book(owner)
    analysis_run(actor=owner, as_of=AS_OF)

    with django_assert_num_queries(2):  # the latest date, then the page with customers
        names = [score.customer.name for score in score_list(user=owner)[:10]]
    assert len(names) == 3


def test_a_customers_history_holds_every_date(owner):
    # given a customer scored on two dates
    big, _, _ = _scored_book(owner)
    analysis_run(actor=owner, as_of=date(2024, 6, 10))
    analysis_run(actor=owner, as_of=AS_OF)

    history = list(customer_score_history(customer=big))

    assert [score.as_of for score in history] == [date(2024, 6, 10), AS_OF]
    assert [score.purchases for score in history] == [2, 4]
    assert customer_score_latest(customer=big) == history[-1]
    assert CustomerScore.objects.filter(as_of=AS_OF).count() == 3


def test_new_customers_are_those_who_started_in_the_period_not_old_ones_first_recorded(db):
    # given three customers whose first recorded purchase is in the last 30 days: one
    # who was a customer for years before (their older orders were never recorded), one
    # without a "customer since" day and one who started in the period
    old = CustomerFactory(name="Old", customer_since=date(2019, 3, 15))
    plain = CustomerFactory(name="Plain")
    fresh = CustomerFactory(name="Fresh", customer_since=date(2024, 12, 10))
    for customer in (old, plain, fresh):
        purchases_create(customer, [("2024-12-12", 100), ("2024-12-20", 100)])
    analysis_run(actor=None, as_of=date(2024, 12, 31))

    overview = score_overview(user=None, as_of=date(2024, 12, 31), new_since=date(2024, 12, 2))

    assert (overview.buyers, overview.new) == (3, 2)
