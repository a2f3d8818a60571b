"""Creating and changing customers: validation, roles, versions, contacts and addresses."""

import pytest
from django.core.exceptions import ValidationError

from clientela.core.access import AccessDenied
from clientela.core.errors import ConflictError
from clientela.customers.models import Address, Contact, Customer, CustomerEmail, Tag
from clientela.customers.services import (
    address_create,
    address_delete,
    address_update,
    contact_create,
    contact_update,
    customer_create,
    customer_update,
)
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ESPIGA = {
    "name": "Panadería La Espiga, S.A. de C.V.",
    "tax_id": "ple-990101-ab7",
    "country": "mx",
    "emails": ["Ventas@Espiga.MX", "ventas@espiga.mx", ""],
    "phones": ["55 1234 5678"],
    "tags": ["Cafetería", "cafetería ", "VIP"],
    "addresses": [
        {"street": "Av. Insurgentes Sur 123", "city": "Ciudad de México", "postal_code": "03100"}
    ],
    "contacts": [{"name": "María López", "phone": "(55) 8765-4321", "is_primary": True}],
}


def test_create_normalises_every_field_and_records_who(owner):
    customer = customer_create(actor=owner, **ESPIGA)

    assert customer.tax_id == "PLE990101AB7"
    assert customer.tax_id_type == "mx.rfc"
    assert customer.country == "MX"
    assert list(customer.emails.values_list("email", flat=True)) == ["ventas@espiga.mx"]
    assert list(customer.phones.values_list("number", flat=True)) == ["+525512345678"]
    assert sorted(customer.customer_tags.values_list("tag__name", flat=True)) == [
        "Cafetería",
        "VIP",
    ]
    assert customer.contacts.get().phone == "+525587654321"
    assert customer.addresses.get().is_default
    assert customer.history.get().history_user == owner


def test_create_with_bad_values_names_each_field_and_writes_nothing(owner):
    with pytest.raises(ValidationError) as error:
        customer_create(
            actor=owner,
            name="x" * 201,
            tax_id="GODE561231GR9",
            emails=["ventas@"],
            phones=["12"],
            source="carrier pigeon",
        )

    assert set(error.value.message_dict) == {"name", "tax_id", "emails", "phones", "source"}
    assert "RFC" in error.value.message_dict["tax_id"][0]
    assert Customer.objects.count() == 0
    assert CustomerEmail.objects.count() == 0
    assert Tag.objects.count() == 0


def test_bad_contact_on_create_writes_no_customer(owner):
    with pytest.raises(ValidationError):
        customer_create(actor=owner, name="Café Olé", contacts=[{"name": "Ana", "email": "ana@"}])

    assert Customer.objects.count() == 0


def test_unknown_country_is_refused(owner):
    with pytest.raises(ValidationError) as error:
        customer_create(actor=owner, name="Café Olé", country="XX", tax_id="123")

    assert "country" in error.value.message_dict


@pytest.mark.parametrize("role_fixture", ["readonly", "support"])
def test_roles_without_edit_rights_cannot_create_or_change(request, role_fixture, owner):
    user = request.getfixturevalue(role_fixture)
    customer = CustomerFactory(actor=owner)

    with pytest.raises(AccessDenied):
        customer_create(actor=user, name="Café Olé")
    with pytest.raises(AccessDenied):
        customer_update(actor=user, customer=customer, version=customer.version, name="Café Olé")


def test_salesperson_limited_to_own_customers(settings, sales, owner):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    theirs = CustomerFactory(actor=owner, owner=owner)

    mine = customer_create(actor=sales, name="Café Olé", owner=owner)

    assert mine.owner == sales
    with pytest.raises(AccessDenied):
        customer_update(actor=sales, customer=theirs, version=theirs.version, name="Mine now")


def test_stale_update_is_refused_and_changes_nothing(owner, sales):
    customer = CustomerFactory(actor=owner, name="Café Olé")
    first = Customer.objects.get(pk=customer.pk)
    second = Customer.objects.get(pk=customer.pk)

    customer_update(actor=owner, customer=first, version=first.version, name="Café Olé Roma")
    with pytest.raises(ConflictError) as error:
        customer_update(
            actor=sales, customer=second, version=second.version, name="Café Olé Condesa"
        )

    assert error.value.current_version == 2
    assert Customer.objects.get(pk=customer.pk).name == "Café Olé Roma"


def test_update_replaces_emails_and_keeps_what_was_removed_in_history(owner):
    customer = CustomerFactory(actor=owner, emails=["a@espiga.mx", "b@espiga.mx"])

    customer_update(
        actor=owner, customer=customer, version=1, emails=["b@espiga.mx", "c@espiga.mx"]
    )

    assert list(customer.emails.values_list("email", flat=True)) == ["b@espiga.mx", "c@espiga.mx"]
    deleted = CustomerEmail.history.filter(customer_id=customer.pk, history_type="-")
    assert list(deleted.values_list("email", flat=True)) == ["a@espiga.mx"]


def test_update_with_bad_tax_id_keeps_the_old_one(owner):
    customer = CustomerFactory(actor=owner, tax_id="GODE561231GR8")

    with pytest.raises(ValidationError):
        customer_update(actor=owner, customer=customer, version=1, tax_id="GODE561231GR9")

    customer.refresh_from_db()
    assert customer.tax_id == "GODE561231GR8"
    assert customer.version == 1


def test_only_one_main_contact_and_one_default_address(owner):
    customer = CustomerFactory(actor=owner)
    ana = contact_create(actor=owner, customer=customer, name="Ana", is_primary=True)
    luis = contact_create(actor=owner, customer=customer, name="Luis", is_primary=True)
    first = address_create(actor=owner, customer=customer, street="Orizaba 10", city="CDMX")
    second = address_create(
        actor=owner, customer=customer, street="Durango 5", city="CDMX", is_default=True
    )

    assert list(Contact.objects.filter(is_primary=True)) == [luis]
    assert not Contact.objects.get(pk=ana.pk).is_primary
    assert list(Address.objects.filter(is_default=True)) == [second]

    address_delete(actor=owner, address=second)
    first.refresh_from_db()
    assert first.is_default


def test_contact_and_address_updates_check_their_version(owner):
    customer = CustomerFactory(actor=owner)
    contact = contact_create(actor=owner, customer=customer, name="Ana")
    address = address_create(actor=owner, customer=customer, street="Orizaba 10", city="CDMX")

    contact_update(actor=owner, contact=contact, version=1, role="Compras")
    address_update(actor=owner, address=address, version=1, postal_code="06700")

    with pytest.raises(ConflictError):
        contact_update(actor=owner, contact=contact, version=1, role="Gerente")
    with pytest.raises(ConflictError):
        address_update(actor=owner, address=address, version=1, postal_code="06140")
    assert Contact.objects.get().role == "Compras"
    assert Address.objects.get().postal_code == "06700"


def test_contact_with_bad_phone_is_refused(owner):
    customer = CustomerFactory(actor=owner)

    with pytest.raises(ValidationError) as error:
        contact_create(actor=owner, customer=customer, name="Ana", phone="123")

    assert "phone" in error.value.message_dict
    assert not customer.contacts.exists()


def test_a_customer_takes_a_bounded_number_of_contacts_and_addresses(owner, monkeypatch):
    monkeypatch.setattr("clientela.customers.services.contacts.MAX_CONTACTS", 2)
    monkeypatch.setattr("clientela.customers.services.contacts.MAX_ADDRESSES", 2)
    customer = CustomerFactory(actor=owner)
    for name in ("Ana", "Luis"):
        contact_create(actor=owner, customer=customer, name=name)
        address_create(actor=owner, customer=customer, street=f"Calle {name}", city="CDMX")

    with pytest.raises(ValidationError, match="at most 2 contact people"):
        contact_create(actor=owner, customer=customer, name="Eva")
    with pytest.raises(ValidationError, match="at most 2 addresses"):
        address_create(actor=owner, customer=customer, street="Calle Eva", city="CDMX")
    assert customer.contacts.count() == customer.addresses.count() == 2


def test_notes_longer_than_the_limit_are_refused(owner):
    customer = CustomerFactory(actor=owner)

    with pytest.raises(ValidationError) as error:
        customer_update(actor=owner, customer=customer, version=1, notes="x" * 10_001)
    with pytest.raises(ValidationError) as contact_error:
        contact_create(actor=owner, customer=customer, name="Ana", notes="x" * 10_001)

    assert "notes" in error.value.message_dict
    assert "notes" in contact_error.value.message_dict
    customer.refresh_from_db()
    assert customer.notes == "" and not customer.contacts.exists()
    customer_update(actor=owner, customer=customer, version=1, notes="x" * 10_000)
    assert Customer.objects.get().notes == "x" * 10_000


def test_customer_cannot_be_referred_by_itself(owner):
    customer = CustomerFactory(actor=owner)

    with pytest.raises(ValidationError) as error:
        customer_update(actor=owner, customer=customer, version=1, referred_by=customer)

    assert "referred_by" in error.value.message_dict
