"""Erasing a customer's personal data on request, keeping its sales figures: the
customer's own personal fields and whatever every app registered as personal
(``customers.personal``) erased or removed, in the live records and in every version of
their history, of the customers merged into it too."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.services import actor_check, history_as, version_claim
from clientela.customers.models import Customer, DuplicateCandidate
from clientela.customers.personal import PersonalData, personal_data_registered, personal_data_rows
from clientela.customers.services.derived import customer_refresh_derived

# The customer's own fields that anonymising erases (besides its name), and those that
# are not personal; what other records keep is registered in customers.personal.
CUSTOMER_ERASED = {"legal_name": "", "tax_id": "", "tax_id_type": "", "notes": ""}
CUSTOMER_KEPT = ("kind", "external_id", "country", "name_key", "search_document")


@transaction.atomic
def customer_anonymize(*, actor: User | None, customer: Customer, reason: str = "") -> Customer:
    """Erase a customer's personal data on request, keeping the customer's sales figures.

    The name becomes "Anonymised customer #id"; consents are withdrawn; what every app
    registered as personal (``customers.personal``) is erased or removed: e-mails, phones
    and contacts go, addresses keep only city, region and country, order and wallet notes
    are emptied. The same fields are erased from every version in the history, of the
    customers merged into this one too.
    """
    actor_check(actor, Capability.CUSTOMER_PRIVACY, customer)
    if customer.anonymized_at:
        raise ValidationError(_("This customer is already anonymised."))
    reason = reason or _("Personal data erased on request.")
    version_claim(instance=customer, version=customer.version)
    ids = [customer.pk, *customer.merged_customers.values_list("pk", flat=True)]
    for entry in personal_data_registered():
        _personal_data_erase(entry, ids, actor, reason)
    anonymous_name = _("Anonymised customer #%(id)s") % {"id": customer.pk}
    customer.name = anonymous_name
    for field, value in CUSTOMER_ERASED.items():
        setattr(customer, field, value)
    customer.consent_email = customer.consent_phone = customer.consent_sms = False
    customer.consent_mail = False
    customer.preferred_channel = ""
    customer.anonymized_at = timezone.now()
    history_as(customer, actor, reason)
    customer.save()
    Customer.objects.filter(merged_into=customer).update(name=anonymous_name, **CUSTOMER_ERASED)
    Customer.history.filter(id__in=ids).update(name=anonymous_name, **CUSTOMER_ERASED)
    DuplicateCandidate.objects.filter(Q(customer=customer) | Q(other=customer)).delete()
    customer_refresh_derived(customer)
    return customer


def _personal_data_erase(
    entry: PersonalData, customers: list[int], actor: User | None, reason: str
) -> None:
    """Erase what ``entry`` registered of ``customers``: in the rows (a version made for
    each changed row of a model with a history) and in every version before."""
    rows = personal_data_rows(entry, customers)
    history = getattr(entry.model, "history", None)
    if entry.delete:
        for row in rows:
            history_as(row, actor, reason)
            row.delete()
    elif entry.erase and history is None:
        rows.update(**entry.erase)
    elif entry.erase:
        for row in rows.exclude(**entry.erase):
            for name, value in entry.erase.items():
                setattr(row, name, value)
            if hasattr(row, "version"):
                row.version += 1
            history_as(row, actor, reason)
            row.save()
    if history is not None and entry.erase:
        history.filter(**{f"{entry.customer_field}_id__in": customers}).update(**entry.erase)
