"""A customer's derived fields: its search text and name key, recomputed from its names,
tax id, e-mails, phones and contact people whenever one of them changes (a customer
written, a contact added or changed, a bulk import, a merge, an anonymisation)."""

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
