"""Possible duplicates are found, can be dismissed, and merge keeps everything of both."""

import pytest
from django.core.exceptions import ValidationError

from clientela.core.access import AccessDenied
from clientela.customers.models import Contact, Customer, DuplicateCandidate
from clientela.customers.selectors import customer_history, customer_list, duplicate_list
from clientela.customers.services import (
    contact_create,
    customer_update,
    customers_merge,
    duplicate_dismiss,
    duplicates_scan,
)
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ROMA = {"street": "Calle Orizaba 101", "city": "Ciudad de México", "postal_code": "06700"}


def _pairs(user):
    return {(d.customer.name, d.other.name): d.reasons for d in duplicate_list(user=user)}


def test_same_tax_id_email_or_phone_is_a_possible_duplicate(owner):
    CustomerFactory(actor=owner, name="Café Olé", tax_id="PLE990101AB7")
    CustomerFactory(actor=owner, name="Cafe Ole Roma", tax_id="PLE990101AB7")
    CustomerFactory(actor=owner, name="Tortas Lupita", emails=["lupita@tortas.mx"])
    CustomerFactory(actor=owner, name="Lupita", emails=["LUPITA@tortas.mx"])
    CustomerFactory(actor=owner, name="Hotel Catedral", phones=["55 5518 5232"])
    CustomerFactory(actor=owner, name="Catedral Hotel y Restaurante", phones=["+52 55 5518 5232"])

    assert _pairs(owner) == {
        ("Café Olé", "Cafe Ole Roma"): ["tax_id"],
        ("Tortas Lupita", "Lupita"): ["email"],
        ("Hotel Catedral", "Catedral Hotel y Restaurante"): ["phone"],
    }


def test_customers_sharing_the_general_publics_rfc_are_not_duplicates(owner):
    # given walk-in buyers invoiced to the RFC of the general public, and two shops with
    # one real RFC
    CustomerFactory(actor=owner, name="María López", tax_id="XAXX010101000")
    CustomerFactory(actor=owner, name="Juan Pérez", tax_id="XAXX010101000")
    CustomerFactory(actor=owner, name="John Smith", tax_id="XEXX010101000")
    CustomerFactory(actor=owner, name="Café Olé", tax_id="PLE990101AB7")
    CustomerFactory(actor=owner, name="Cafe Ole Roma", tax_id="PLE990101AB7")

    # then only the shops are proposed, both when saved one by one and on a full scan
    assert _pairs(owner) == {("Café Olé", "Cafe Ole Roma"): ["tax_id"]}
    duplicates_scan()
    assert _pairs(owner) == {("Café Olé", "Cafe Ole Roma"): ["tax_id"]}


def test_similar_name_at_similar_address_is_a_possible_duplicate(owner):
    CustomerFactory(actor=owner, name="Panadería La Espiga, S.A. de C.V.", addresses=[ROMA])
    CustomerFactory(
        actor=owner,
        name="La Espiga Panaderia",
        addresses=[{**ROMA, "street": "C. Orizaba #101"}],
    )
    CustomerFactory(actor=owner, name="Tortería El Güero", addresses=[ROMA])
    CustomerFactory(
        actor=owner,
        name="Panadería La Espiga",
        addresses=[{**ROMA, "postal_code": "11560", "street": "Masaryk 5"}],
    )

    assert _pairs(owner) == {
        ("Panadería La Espiga, S.A. de C.V.", "La Espiga Panaderia"): ["name_address"]
    }


def test_dismissed_pair_is_not_proposed_again(owner):
    a = CustomerFactory(actor=owner, name="Café Olé", phones=["55 1234 5678"])
    CustomerFactory(actor=owner, name="Café Olé Condesa", phones=["55 1234 5678"])
    duplicate_dismiss(actor=owner, candidate=DuplicateCandidate.objects.get())

    customer_update(actor=owner, customer=a, version=a.version, notes="same phone, other branch")
    duplicates_scan()

    assert list(duplicate_list(user=owner)) == []


def test_changing_the_phone_removes_the_candidate(owner):
    a = CustomerFactory(actor=owner, name="Café Olé", phones=["55 1234 5678"])
    CustomerFactory(actor=owner, name="Café Olé Condesa", phones=["55 1234 5678"])

    customer_update(actor=owner, customer=a, version=a.version, phones=["55 8888 7777"])

    assert not DuplicateCandidate.objects.exists()


def test_merge_moves_every_record_and_keeps_both_histories(owner, sales):
    survivor = CustomerFactory(
        actor=owner,
        name="Panadería La Espiga",
        emails=["ventas@espiga.mx"],
        phones=["55 1234 5678"],
        tags=["VIP"],
        contacts=[{"name": "María López", "is_primary": True}],
        addresses=[ROMA],
    )
    duplicate = CustomerFactory(
        actor=sales,
        name="La Espiga Panaderia",
        tax_id="PLE990101AB7",
        emails=["ventas@espiga.mx", "compras@espiga.mx"],
        phones=["55 1234 5678", "55 8765 4321"],
        tags=["VIP", "mayorista"],
        contacts=[{"name": "Juan Pérez", "is_primary": True}],
        addresses=[{**ROMA, "street": "Durango 200"}],
    )
    referred = CustomerFactory(actor=owner, name="Café Olé", referred_by=duplicate)
    contact_create(actor=sales, customer=duplicate, name="Luisa Gómez", role="Pagos")

    customers_merge(actor=owner, survivor=survivor, duplicate=duplicate)

    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert survivor.tax_id == "PLE990101AB7"  # blank field filled from the duplicate
    assert sorted(survivor.emails.values_list("email", flat=True)) == [
        "compras@espiga.mx",
        "ventas@espiga.mx",
    ]
    assert sorted(survivor.phones.values_list("number", flat=True)) == [
        "+525512345678",
        "+525587654321",
    ]
    assert sorted(survivor.customer_tags.values_list("tag__name", flat=True)) == [
        "VIP",
        "mayorista",
    ]
    assert sorted(survivor.contacts.values_list("name", flat=True)) == [
        "Juan Pérez",
        "Luisa Gómez",
        "María López",
    ]
    assert Contact.objects.filter(customer=survivor, is_primary=True).count() == 1
    assert survivor.addresses.count() == 2
    assert survivor.addresses.filter(is_default=True).count() == 1
    assert Customer.objects.get(pk=referred.pk).referred_by == survivor
    assert not DuplicateCandidate.objects.exists()
    assert [c.name for c in customer_list(user=owner)] == ["Café Olé", "Panadería La Espiga"]

    history = customer_history(customer=survivor)
    created = [e.subject for e in history if e.action == "created"]
    assert "Customer" in created  # the survivor's own creation
    assert f"Customer #{duplicate.pk}: La Espiga Panaderia" in created  # and the duplicate's
    assert any(e.who == str(sales) and e.subject == "Contact: Luisa Gómez" for e in history)
    assert any("Merged" in e.reason for e in history)


def test_merge_is_for_owners_and_refuses_nonsense(owner, sales):
    a = CustomerFactory(actor=owner, name="Café Olé")
    b = CustomerFactory(actor=owner, name="Café Olé 2")

    with pytest.raises(AccessDenied):
        customers_merge(actor=sales, survivor=a, duplicate=b)
    with pytest.raises(ValidationError):
        customers_merge(actor=owner, survivor=a, duplicate=a)
    customers_merge(actor=owner, survivor=a, duplicate=b)
    b.refresh_from_db()
    with pytest.raises(ValidationError):
        customers_merge(actor=owner, survivor=b, duplicate=a)
