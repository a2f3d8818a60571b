"""What the relations services share: keyed errors and the checks of who and when."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.models import User
from clientela.core.services import actor_check
from clientela.customers.models import Contact, Customer

Errors = dict[str, list[ValidationError | str]]


def error(errors: Errors, field: str, message: str) -> None:
    """Add ``message`` to ``field``'s errors."""
    errors.setdefault(field, []).append(message)


def customer_check(actor: User | None, capability: str, customer: Customer, errors: Errors) -> None:
    """The actor may do it to this customer, and the customer is live (not merged or
    anonymised)."""
    actor_check(actor, capability, customer)
    if customer.merged_into_id:
        error(errors, "customer", _("This customer was merged into another; use that one."))
    elif customer.anonymized_at:
        error(errors, "customer", _("This customer's personal data was erased."))


def contact_person_check(
    customer: Customer | None, contact: Contact | None, errors: Errors
) -> None:
    """A contact person must be one of the customer's own."""
    if contact is not None and (customer is None or contact.customer_id != customer.pk):
        error(errors, "contact", _("This contact person belongs to another customer."))


# Contacts and plans belong to the business's recent life: a time further back or ahead
# than this is a slip of the keyboard (1900 for 2000, 9999), refused on its field.
YEARS_BACK, YEARS_AHEAD = 50, 10


def moment_check(value: datetime | None, field: str, errors: Errors) -> None:
    """A date and time must be aware and within ``YEARS_BACK`` years before this one
    and ``YEARS_AHEAD`` after it."""
    if value is None:
        return
    if timezone.is_naive(value):
        error(errors, field, _("Give the time with its time zone."))
        return
    year = timezone.localdate().year
    first, last = year - YEARS_BACK, year + YEARS_AHEAD
    if not first <= timezone.localtime(value).year <= last:
        error(
            errors,
            field,
            _("Enter a date in the years %(first)d to %(last)d.") % {"first": first, "last": last},
        )


def staff_check(user: User | None, field: str, errors: Errors) -> None:
    """Work can be given only to an active member of staff."""
    if user is not None and not user.is_active:
        error(errors, field, _("%(user)s can no longer sign in.") % {"user": user})
