"""A customer's derived fields: its search text and name key, recomputed from its names,
tax id, e-mails, phones and contact people whenever one of them changes (a customer
written, a contact added or changed, a bulk import, a merge, an anonymisation)."""

from collections.abc import Mapping
from datetime import datetime

from django.db.models import Case, DateTimeField, F, Value, When
from django.db.models.functions import Coalesce, Greatest

from clientela.customers import matching
from clientela.customers.models import Customer


def customer_refresh_derived(customer: Customer) -> None:
    """Recompute the customer's search text and name key from its current records.

    A merged customer has no search text: searches find the survivor, which holds its
    records, and need no other condition to leave merged customers out.
    """
    contacts = list(customer.contacts.values_list("name", "email", "phone"))
    emails = list(customer.emails.values_list("email", flat=True))
    phones = list(customer.phones.values_list("number", flat=True))
    document = matching.search_document(
        names=[customer.name, customer.legal_name, *(c[0] for c in contacts)],
        tax_id=customer.tax_id,
        emails=[*emails, *(c[1] for c in contacts if c[1])],
        phones=[*phones, *(c[2] for c in contacts if c[2])],
    )
    if customer.merged_into_id is not None:
        document = ""
    key = matching.name_key(customer.name)
    Customer.objects.filter(pk=customer.pk).update(search_document=document, name_key=key)
    customer.search_document, customer.name_key = document, key


# Customers whose last contact one statement moves on: its CASE stays short.
CONTACTED_BATCH = 500


def customers_contacted(contacts: Mapping[int, datetime]) -> None:
    """Move each customer's last contact on to the time given for it, unless it has a
    later one already (``{customer id: when}``; the relations app's only write here),
    one statement for every ``CONTACTED_BATCH`` customers, or for each time when they
    share one (a campaign's e-mails, written together)."""
    if len(set(contacts.values())) == 1:
        moment = Value(next(iter(contacts.values())), output_field=DateTimeField())
        ids = list(contacts)
        for start in range(0, len(ids), CONTACTED_BATCH):
            Customer.objects.filter(pk__in=ids[start : start + CONTACTED_BATCH]).update(
                last_contacted_at=Greatest(Coalesce(F("last_contacted_at"), moment), moment)
            )
        return
    rows = list(contacts.items())
    for start in range(0, len(rows), CONTACTED_BATCH):
        batch = rows[start : start + CONTACTED_BATCH]
        when = Case(
            *(When(pk=customer_id, then=Value(moment)) for customer_id, moment in batch),
            output_field=DateTimeField(),
        )
        Customer.objects.filter(pk__in=[customer_id for customer_id, _moment in batch]).update(
            last_contacted_at=Greatest(Coalesce(F("last_contacted_at"), when), when)
        )


def customer_contacted_reset(customer_id: int, when: datetime | None) -> None:
    """Set the customer's last contact to ``when`` (its newest interaction, recomputed
    by the relations app after one is removed or moved)."""
    Customer.objects.filter(pk=customer_id).update(last_contacted_at=when)
