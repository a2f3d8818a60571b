"""A customer's personal data can be exported and erased, keeping the business figures."""

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from clientela.core.access import AccessDenied
from clientela.customers.models import Address, Contact, Customer, CustomerEmail, CustomerPhone
from clientela.customers.selectors import customer_history, customer_personal_data
from clientela.customers.services import customer_anonymize, customer_update
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lupita(owner):
    customer = CustomerFactory(
        actor=owner,
        kind="person",
        name="Guadalupe Ramírez",
        tax_id="GODE561231GR8",
        emails=["lupita@correo.mx"],
        phones=["55 1234 5678"],
        tags=["evento"],
        notes="Prefiere conchas de vainilla",
        contacts=[{"name": "Pedro Ramírez", "phone": "55 8765 4321"}],
        addresses=[
            {"street": "Calle Orizaba 101", "city": "Ciudad de México", "postal_code": "06700"}
        ],
    )
    return customer_update(actor=owner, customer=customer, version=1, name="Lupita Ramírez")


def test_personal_data_export_holds_everything_personal(lupita):
    data = json.loads(json.dumps(customer_personal_data(customer=lupita), cls=DjangoJSONEncoder))

    assert data["name"] == "Lupita Ramírez"
    assert data["tax_id"] == "GODE561231GR8"
    assert data["emails"] == ["lupita@correo.mx"]
    assert data["phones"] == ["+525512345678"]
    assert data["contacts"][0]["name"] == "Pedro Ramírez"
    assert data["addresses"][0]["street"] == "Calle Orizaba 101"


def test_anonymise_erases_personal_data_everywhere_including_history(owner, lupita):
    customer_anonymize(actor=owner, customer=lupita)

    lupita.refresh_from_db()
    assert lupita.name == f"Anonymised customer #{lupita.pk}"
    assert lupita.tax_id == "" and lupita.notes == ""
    assert lupita.anonymized_at is not None
    assert not CustomerEmail.objects.exists() and not CustomerPhone.objects.exists()
    assert not Contact.objects.exists()
    address = Address.objects.get()
    assert (address.street, address.postal_code, address.city) == ("—", "", "Ciudad de México")
    names = set(Customer.history.values_list("name", flat=True))
    assert names == {f"Anonymised customer #{lupita.pk}"}
    assert not Customer.history.exclude(tax_id="").exists()
    assert set(CustomerEmail.history.values_list("email", flat=True)) == {"—"}
    assert set(Contact.history.values_list("name", flat=True)) == {"—"}
    everything = json.dumps([e.__dict__ for e in customer_history(customer=lupita)], default=str)
    for personal in ["Guadalupe", "Lupita", "lupita@", "5512345678", "Pedro", "Orizaba", "GODE"]:
        assert personal not in everything
    assert Customer.objects.filter(pk=lupita.pk).exists()  # the record and its figures stay


def test_only_owners_anonymise(sales, lupita):
    with pytest.raises(AccessDenied):
        customer_anonymize(actor=sales, customer=lupita)
