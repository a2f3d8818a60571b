"""Segments: conditions on customer fields, the latest scores and purchases find the
customers an owner means; a wrong condition is refused naming it; a salesperson limited
to their customers finds only theirs; who may change a segment."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientela.analytics.models import AnalysisRun, CustomerScore, RunStatus
from clientela.campaigns.conditions import conditions_clean
from clientela.campaigns.models import Segment
from clientela.campaigns.selectors import segment_count, segment_list, segment_members
from clientela.campaigns.services import segment_create, segment_delete, segment_update
from clientela.core.access import AccessDenied
from clientela.core.errors import ConflictError
from clientela.customers.models import Customer
from clientela.customers.services import customer_update, customers_contacted
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.orders.models import OrderStatus
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _names(user, conditions) -> list[str]:
    cleaned = conditions_clean(conditions)
    return sorted(customer.name for customer in segment_members(user=user, conditions=cleaned))


def _score(customer, as_of, **fields):
    fields = {"ladder_stage": "regular"} | fields
    return CustomerScore.objects.create(customer=customer, as_of=as_of, **fields)


@pytest.fixture
def book(owner, sales):
    """A bakery's customers: two champions (one in Puebla, agreeing to e-mail), a lost
    café, a customer never scored; last week's analysis and an older one."""
    today = timezone.localdate()
    AnalysisRun.objects.create(as_of=today - timedelta(days=30), status=RunStatus.DONE)
    AnalysisRun.objects.create(as_of=today, status=RunStatus.DONE)
    luna = CustomerFactory(
        name="Café Luna",
        owner=sales,
        consent_email=True,
        addresses=[{"street": "5 de Mayo 3", "city": "Puebla"}],
    )
    sol = CustomerFactory(
        name="Hotel Sol", owner=owner, addresses=[{"street": "Reforma 1", "city": "CDMX"}]
    )
    nube = CustomerFactory(name="Cafetería Nube", owner=sales, tags=["cafés"])
    nuevo = CustomerFactory(name="Nuevo", owner=owner)
    _score(
        luna,
        today,
        rfm_segment="champions",
        pareto_class="A",
        clv=Decimal("9000"),
        probability_alive=0.95,
        last_purchase_on=today - timedelta(days=3),
    )
    _score(
        sol,
        today,
        rfm_segment="champions",
        pareto_class="A",
        clv=Decimal("20000"),
        probability_alive=0.80,
        last_purchase_on=today - timedelta(days=10),
    )
    _score(
        nube,
        today,
        rfm_segment="lost",
        pareto_class="C",
        clv=Decimal("300"),
        probability_alive=0.05,
        lost_by_model=True,
        last_purchase_on=date(2025, 1, 5),
    )
    # a month ago Nube was a champion: the latest analysis counts, not an older one
    _score(nube, today - timedelta(days=30), rfm_segment="champions", pareto_class="A")
    return {"luna": luna, "sol": sol, "nube": nube, "nuevo": nuevo}


def test_conditions_on_scores_fields_and_consents_find_whom_they_say(owner, book):
    champions = [{"field": "rfm_segment", "op": "in", "value": ["champions"]}]
    assert _names(owner, champions) == ["Café Luna", "Hotel Sol"]
    in_puebla = [*champions, {"field": "city", "op": "in", "value": ["puebla"]}]
    assert _names(owner, in_puebla) == ["Café Luna"]
    mailable = [*champions, {"field": "consent_email", "op": "is", "value": True}]
    assert _names(owner, mailable) == ["Café Luna"]
    assert _names(owner, [{"field": "churn", "op": "in", "value": ["lost"]}]) == ["Cafetería Nube"]
    not_champions = [{"field": "rfm_segment", "op": "not_in", "value": ["champions"]}]
    assert _names(owner, not_champions) == ["Cafetería Nube"]  # "Nuevo" has no score
    worth = [{"field": "clv", "op": "between", "value": {"min": "5000", "max": "10000"}}]
    assert _names(owner, worth) == ["Café Luna"]
    alive = [{"field": "probability_alive", "op": "between", "value": {"min": "90"}}]
    assert _names(owner, alive) == ["Café Luna"]
    tagged = [{"field": "tag", "op": "in", "value": ["cafés"]}]
    assert _names(owner, tagged) == ["Cafetería Nube"]
    theirs = [{"field": "owner", "op": "in", "value": [str(owner.pk)]}]
    assert _names(owner, theirs) == ["Hotel Sol", "Nuevo"]
    assert segment_count(user=owner, conditions=conditions_clean(in_puebla)) == 1


def test_a_salesperson_limited_to_their_customers_finds_only_theirs(settings, sales, book):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    champions = [{"field": "rfm_segment", "op": "in", "value": ["champions"]}]

    assert _names(sales, champions) == ["Café Luna"]


def test_products_bought_in_a_period_and_never(owner, book):
    rosca = ProductFactory(name="Rosca de Reyes")
    bolillo = ProductFactory(name="Bolillo")
    OrderFactory(
        customer=book["luna"],
        order_date=date(2026, 1, 5),
        due_date=date(2026, 1, 6),
        lines=[{"product": rosca, "quantity": 2}],
        status=OrderStatus.CONFIRMED,
    )
    OrderFactory(  # a draft is no purchase
        customer=book["sol"],
        order_date=date(2026, 1, 5),
        due_date=date(2026, 1, 6),
        lines=[{"product": rosca, "quantity": 1}],
    )
    OrderFactory(
        customer=book["nube"],
        order_date=date(2025, 1, 5),
        due_date=date(2025, 1, 6),
        lines=[{"product": rosca, "quantity": 1}, {"product": bolillo, "quantity": 3}],
        status=OrderStatus.DELIVERED,
    )
    rosca_ever = {"field": "products", "op": "bought", "value": {"products": [rosca.pk]}}
    assert _names(owner, [rosca_ever]) == sorted(["Café Luna", "Cafetería Nube"])
    rosca_2026 = {
        "field": "products",
        "op": "bought",
        "value": {"products": [rosca.pk], "from": "2026-01-01", "to": "2026-12-31"},
    }
    assert _names(owner, [rosca_2026]) == ["Café Luna"]
    never = {"field": "products", "op": "not_bought", "value": {"products": [rosca.pk]}}
    assert _names(owner, [never]) == ["Hotel Sol", "Nuevo"]


def test_not_contacted_for_days_counts_never_contacted_too(owner, book):
    customers_contacted({book["luna"].pk: timezone.now() - timedelta(days=2)})
    customers_contacted({book["sol"].pk: timezone.now() - timedelta(days=90)})

    quiet = [{"field": "not_contacted_days", "op": "at_least", "value": 60}]

    assert _names(owner, quiet) == sorted(["Cafetería Nube", "Hotel Sol", "Nuevo"])


def test_search_words_find_as_the_customer_search_does(owner, book):
    words = [{"field": "search", "op": "contains", "value": "  CAFE  "}]
    two_words = [{"field": "search", "op": "contains", "value": "café luna"}]

    assert _names(owner, words) == ["Cafetería Nube", "Café Luna"]
    assert _names(owner, two_words) == ["Café Luna"]
    assert segment_create(actor=owner, name="Cafés", conditions=words).conditions == [
        {"field": "search", "op": "contains", "value": "CAFE"}
    ]


def test_customer_since_falls_back_on_the_day_a_customer_was_added(owner, book):
    today = timezone.localdate()
    Customer.objects.filter(pk=book["luna"].pk).update(customer_since=date(2020, 3, 1))
    Customer.objects.filter(pk=book["sol"].pk).update(customer_since=today)
    Customer.objects.filter(pk=book["nube"].pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    this_year = [
        {"field": "customer_since", "value": {"from": (today - timedelta(days=30)).isoformat()}}
    ]
    in_2020 = [{"field": "customer_since", "value": {"from": "2020-01-01", "to": "2020-12-31"}}]

    assert _names(owner, this_year) == ["Hotel Sol", "Nuevo"]
    assert _names(owner, in_2020) == ["Café Luna"]


def test_conditions_on_scores_find_no_one_before_any_analysis(owner):
    CustomerFactory(name="Café Luna")
    AnalysisRun.objects.create(as_of=timezone.localdate(), status=RunStatus.FAILED)

    champions = [{"field": "rfm_segment", "op": "in", "value": ["champions"]}]

    assert _names(owner, champions) == []
    assert _names(owner, [{"field": "kind", "op": "in", "value": ["business"]}]) == ["Café Luna"]


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ({"field": "favourite_colour", "op": "in", "value": ["red"]}, "is not a field"),
        ({"field": "rfm_segment", "op": "between", "value": ["champions"]}, "is not an operator"),
        ({"field": "rfm_segment", "op": "in", "value": ["heroes"]}, "“heroes” is not one of"),
        ({"field": "rfm_segment", "op": "in", "value": []}, "pick at least one value"),
        ({"field": "clv", "op": "between", "value": {"min": "mucho"}}, "“mucho” is not a number"),
        ({"field": "clv", "op": "between", "value": {"min": "9", "max": "1"}}, "is above"),
        ({"field": "probability_alive", "value": {"max": "150"}}, "from 0 to 100"),
        ({"field": "last_purchase", "value": {"from": "1066-10-14"}}, "Enter a date in the years"),
        ({"field": "last_purchase", "value": {"from": "ayer"}}, "“ayer” is not a date"),
        ({"field": "not_contacted_days", "op": "at_least", "value": "-5"}, "between 1 and"),
        ({"field": "consent_email", "op": "is", "value": "yes"}, "say yes or no"),
        ({"field": "products", "op": "bought", "value": {"products": [999999]}}, "catalog"),
        ({"field": "search", "op": "contains", "value": " ¿? "}, "at least one word"),
        ({"field": "search", "op": "contains", "value": "pan " * 70}, "at most 200 characters"),
    ],
)
def test_a_wrong_condition_is_refused_naming_it_and_nothing_is_saved(owner, condition, problem):
    ok = {"field": "pareto_class", "op": "in", "value": ["A"]}

    with pytest.raises(ValidationError) as refused:
        segment_create(actor=owner, name="Prueba", conditions=[ok, condition])

    message = " ".join(refused.value.message_dict["conditions"])
    assert message.startswith("Condition 2 (")
    assert problem in message
    assert not Segment.objects.exists()


def test_a_segment_is_saved_named_once_and_changed_by_its_maker_or_the_owner(
    owner, sales, readonly
):
    champions = [{"field": "rfm_segment", "value": "champions"}]
    segment = segment_create(actor=sales, name=" Campeones  de Puebla", conditions=champions)
    assert segment.name == "Campeones de Puebla"
    assert segment.conditions == [{"field": "rfm_segment", "op": "in", "value": ["champions"]}]

    with pytest.raises(ValidationError) as twice:
        segment_create(actor=owner, name="campeones de puebla", conditions=champions)
    assert "already a segment" in twice.value.message_dict["name"][0]
    with pytest.raises(AccessDenied):
        segment_create(actor=readonly, name="Otro", conditions=champions)
    other = UserFactory(username="bruno", role="sales")
    with pytest.raises(AccessDenied):
        segment_update(actor=other, segment=segment, version=segment.version, name="Mío")

    segment_update(actor=owner, segment=segment, version=segment.version, shared=False)
    assert segment not in segment_list(user=other)
    assert segment in segment_list(user=sales)
    with pytest.raises(ConflictError):
        segment_update(actor=sales, segment=segment, version=1, name="Tarde")
    segment_delete(actor=sales, segment=segment)
    assert not Segment.objects.exists()


def test_customer_fields_change_who_is_in(owner, book):
    mailable = [{"field": "consent_email", "op": "is", "value": True}]
    assert _names(owner, mailable) == ["Café Luna"]

    sol = book["sol"]
    customer_update(actor=None, customer=sol, version=sol.version, consent_email=True)

    assert _names(owner, mailable) == ["Café Luna", "Hotel Sol"]
