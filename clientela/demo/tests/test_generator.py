"""The demo bakery: the same seed gives the same business, and it looks like a real one."""

from collections import Counter

import phonenumbers
import pytest
from stdnum.mx import curp, rfc

from clientela.analytics.models import AnalysisRun
from clientela.core.models import Role, User
from clientela.core.validators import normalize_email
from clientela.customers.models import (
    Customer,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    DuplicateReason,
    Tag,
)
from clientela.customers.selectors import duplicate_list
from clientela.customers.services import customer_create
from clientela.demo import catalog
from clientela.demo.generator import (
    DEMO_STAFF,
    DemoExistsError,
    build_demo,
    demo_exists,
    demo_remove,
    plan_customers,
)

POSTAL_CODES = {colonia.postal_code: colonia for colonia in catalog.COLONIAS.values()}


def _identity(plans):
    return [(p.name, p.tax_id, tuple(p.emails), tuple(p.phones)) for p in plans]


# --- the plan, without a database ---------------------------------------------------


def test_the_same_seed_plans_the_same_customers_and_another_seed_others():
    first = plan_customers(count=300, seed=2024)
    again = plan_customers(count=300, seed=2024)
    other = plan_customers(count=300, seed=2025)

    assert _identity(first) == _identity(again)
    assert [p.fields for p in first] == [p.fields for p in again]
    assert [p.addresses for p in first] == [p.addresses for p in again]
    same_places = sum(a.name == b.name for a, b in zip(first, other, strict=True))
    assert same_places < 10
    assert {p.tax_id for p in first if p.tax_id}.isdisjoint(p.tax_id for p in other if p.tax_id)


@pytest.mark.parametrize("seed", [1, 2024, 99991])
def test_every_planned_tax_id_phone_and_email_is_valid(seed):
    plans = plan_customers(count=300, seed=seed)

    tax_ids = [p.tax_id for p in plans if p.tax_id]
    for plan in plans:
        tax_id = plan.tax_id
        if not tax_id:
            continue
        if len(tax_id) == 18:
            assert curp.is_valid(tax_id), tax_id
            assert plan.fields["kind"] == CustomerKind.PERSON
        else:
            assert rfc.is_valid(tax_id, validate_check_digits=True), tax_id
            company = " S.A." in plan.fields.get("legal_name", "") or "R.L." in plan.fields.get(
                "legal_name", ""
            )
            assert len(tax_id) == (12 if company else 13), (plan.name, tax_id)
    assert len(tax_ids) == len(set(tax_ids)), "no two customers share a tax id"
    assert any(len(t) == 12 for t in tax_ids)
    assert any(len(t) == 13 for t in tax_ids)
    assert any(len(t) == 18 for t in tax_ids), "some people gave their CURP"

    phones = [
        *(n for p in plans for n in p.phones),
        *(c["phone"] for p in plans for c in p.contacts),
    ]
    for typed in phones:
        number = phonenumbers.parse(typed, "MX")
        assert phonenumbers.is_valid_number(number), typed
        assert str(number.national_number)[:2] in {"55", "56"}, typed

    emails = [
        *(e for p in plans for e in p.emails),
        *(c["email"] for p in plans for c in p.contacts),
    ]
    for email in filter(None, emails):
        assert normalize_email(email).endswith(".example"), email


def test_the_plan_looks_like_a_bakerys_customers():
    plans = plan_customers(count=300, seed=2024)
    base = [p for p in plans if p.duplicate_of is None]

    segments = Counter(p.segment for p in base)
    assert set(segments) == {s.key for s in catalog.SEGMENTS}
    assert segments["shop"] > segments["hotel"]

    referred = [i for i, p in enumerate(plans) if p.referred_by is not None]
    assert 15 <= len(referred) <= 45  # about 10%
    assert all(
        plans[i].referred_by < i and plans[i].fields["source"] == "referral" for i in referred
    )

    duplicates = [p for p in plans if p.duplicate_of is not None]
    assert len(duplicates) == 9  # 3%
    assert {p.duplicate_reason for p in duplicates} == {"name_address", "phone", "email"}

    languages = Counter(p.fields["language"] for p in plans)
    assert languages["es"] / len(plans) > 0.9

    owners = Counter(p.owner for p in plans)
    assert owners["diego"] > 50 and owners["sofia"] > 50 and owners["lucia"] > 0

    legal_names = [p.fields.get("legal_name", "") for p in plans]
    assert any(name.endswith("S.A. de C.V.") for name in legal_names)
    assert all(p.contacts for p in base if p.segment == "distributor")

    for address in (a for p in plans for a in p.addresses):
        colonia = POSTAL_CODES[address["postal_code"]]
        assert address["neighborhood"] == colonia.name
        assert address["city"] == colonia.city


# --- the business in the database ---------------------------------------------------


@pytest.mark.django_db
def test_the_demo_creates_its_staff_and_customers_through_the_services():
    business = build_demo(customers=100, seed=2024, history_days=0)

    assert Customer.objects.count() == 100 == len(business.customers)
    roles = dict(User.objects.values_list("username", "role"))
    assert roles == {login.username: login.role for login in DEMO_STAFF}
    assert sorted(roles.values()).count(Role.SALES) == 2
    lucia = User.objects.get(username="lucia")
    assert lucia.check_password("concha-de-vainilla") and lucia.get_full_name() == "Lucía Espinosa"

    owners = set(Customer.objects.exclude(owner=None).values_list("owner__role", flat=True))
    assert owners <= {Role.OWNER, Role.SALES}
    assert Customer.objects.filter(referred_by__isnull=False, source="referral").count() >= 5
    assert Customer.objects.filter(customer_tags__tag__name="cafetería").exists()
    assert Customer.objects.filter(contacts__isnull=False).exists()
    assert Customer.objects.exclude(search_document="").count() == 100


@pytest.mark.django_db
def test_every_stored_tax_id_phone_and_email_is_valid():
    build_demo(customers=100, seed=7, history_days=0)

    for kind, tax_id, tax_id_type in Customer.objects.exclude(tax_id="").values_list(
        "kind", "tax_id", "tax_id_type"
    ):
        if tax_id_type == "mx.curp":
            assert curp.is_valid(tax_id) and kind == CustomerKind.PERSON
        else:
            assert tax_id_type == "mx.rfc"
            assert rfc.is_valid(tax_id, validate_check_digits=True), tax_id
            assert len(tax_id) in (12, 13)
    for number in CustomerPhone.objects.values_list("number", flat=True):
        parsed = phonenumbers.parse(number, None)
        assert number.startswith(("+5255", "+5256")) and phonenumbers.is_valid_number(parsed)
    for email in CustomerEmail.objects.values_list("email", flat=True):
        assert normalize_email(email) == email


@pytest.mark.django_db
def test_near_duplicates_show_in_the_duplicates_list():
    business = build_demo(customers=100, seed=2024, history_days=0)
    owner = User.objects.get(username="lucia")

    listed = {
        (pair.customer_id, pair.other_id): set(pair.reasons) for pair in duplicate_list(user=owner)
    }
    assert len(business.near_duplicates) == 3
    found_reasons = set()
    for original, duplicate in business.near_duplicates:
        key = tuple(sorted((original.pk, duplicate.pk)))
        assert key in listed, (original.name, duplicate.name)
        found_reasons |= listed[key]
    assert found_reasons >= {
        DuplicateReason.NAME_ADDRESS,
        DuplicateReason.PHONE,
        DuplicateReason.EMAIL,
    }
    assert business.open_duplicates == len(listed)


@pytest.mark.django_db
def test_the_same_seed_recreates_the_same_customers_and_another_seed_others():
    def customers():
        return list(Customer.objects.order_by("id").values_list("name", "tax_id"))

    build_demo(customers=30, seed=11, history_days=0)
    first = customers()
    demo_remove()
    build_demo(customers=30, seed=11, history_days=0)
    again = customers()
    demo_remove()
    build_demo(customers=30, seed=12, history_days=0)
    other = customers()

    assert first == again
    assert first != other


@pytest.mark.django_db
def test_the_demo_is_created_once():
    build_demo(customers=20, seed=1, history_days=0)

    assert demo_exists()
    with pytest.raises(DemoExistsError):
        build_demo(customers=20, seed=1, history_days=0)
    assert Customer.objects.count() == 20


@pytest.mark.django_db
def test_a_user_with_a_demo_name_stops_the_demo_before_it_writes_anything(user_with_role):
    User.objects.filter(pk=user_with_role(Role.SALES).pk).update(username="diego")

    with pytest.raises(DemoExistsError, match="diego"):
        build_demo(customers=20, seed=1, history_days=0)

    assert not demo_exists()
    assert Customer.objects.count() == 0
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_removing_the_demo_keeps_everything_else(owner):
    mine = customer_create(actor=owner, name="Mi Cliente Real", tags=["VIP", "propio"])
    build_demo(customers=40, seed=3, history_days=400)
    demo_ids = list(Customer.objects.exclude(pk=mine.pk).values_list("pk", flat=True))
    demo_customer = Customer.objects.get(pk=demo_ids[0])
    customer_create(actor=owner, name="Referido Real", referred_by=demo_customer)

    demo_remove()

    assert not demo_exists()
    assert not AnalysisRun.objects.exists()
    assert set(Customer.objects.values_list("name", flat=True)) == {
        "Mi Cliente Real",
        "Referido Real",
    }
    assert Customer.objects.get(name="Referido Real").referred_by is None
    assert set(User.objects.values_list("username", flat=True)) == {"owner"}
    assert not Customer.history.filter(id__in=demo_ids).exists()
    assert not CustomerPhone.history.filter(customer_id__in=demo_ids).exists()
    assert {"VIP", "propio"} <= set(Tag.objects.values_list("name", flat=True))
    assert not Tag.objects.filter(name="mayorista").exists()
