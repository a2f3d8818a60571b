"""Imports that write: the dry run's plan applied through the catalog's own services.

All or nothing: the plan is made again inside the transaction (so it is the catalog as
it is now that is compared), and any refused row, or any row a service refuses, undoes
everything — unless ``skip_invalid``, which leaves the refused rows out and applies the
others. Every change is recorded in the history as made by the importing user, with the
file's name as the reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.customers.services import customer_create, customer_update
from clientela.imports.customers import CustomerPlan, RowPlan, customers_plan
from clientela.imports.reading import Sheet

_ADDRESS_FIELDS = {
    "address_street": "street",
    "address_neighborhood": "neighborhood",
    "address_city": "city",
    "address_region": "region",
    "address_postal_code": "postal_code",
}


def _create(row: RowPlan, actor: User | None, reason: str) -> None:
    changes = dict(row.changes)
    address = {name: changes.pop(key) for key, name in _ADDRESS_FIELDS.items() if key in changes}
    contact = changes.pop("contact_name", None)
    customer_create(
        actor=actor,
        reason=reason,
        addresses=[address] if address else [],
        contacts=[{"name": contact}] if contact else [],
        **changes,
    )


def _update(row: RowPlan, actor: User | None, reason: str) -> None:
    customer = Customer.objects.get(pk=row.customer_id)
    changes = dict(row.changes)
    lists = {}
    if "emails" in changes:
        lists["emails"] = [
            *customer.emails.values_list("email", flat=True),
            *changes.pop("emails"),
        ]
    if "phones" in changes:
        lists["phones"] = [
            *customer.phones.values_list("number", flat=True),
            *changes.pop("phones"),
        ]
    if "tags" in changes:
        lists["tags"] = [
            *customer.customer_tags.values_list("tag__name", flat=True),
            *changes.pop("tags"),
        ]
    customer_update(
        actor=actor, customer=customer, version=customer.version, reason=reason, **changes, **lists
    )


class ImportRefused(ValidationError):
    """Rows were refused, so nothing was imported; ``plan`` says which and why."""

    def __init__(self, message: str, plan: CustomerPlan):
        super().__init__(message)
        self.plan = plan


@transaction.atomic
def customers_import(
    *,
    actor: User | None,
    sheet: Sheet,
    columns: Mapping[int, str],
    source: str,
    skip_invalid: bool = False,
) -> CustomerPlan:
    """Import the customers of ``sheet`` (its ``columns`` mapped to fields) from the file
    named ``source``; the plan that was applied. Raises ``ImportRefused`` (and writes
    nothing) when rows are refused and ``skip_invalid`` is not set, ``ValidationError``
    when a service refuses a row."""
    plan = customers_plan(sheet, columns)
    refused = plan.counts()["refused"]
    if refused and not skip_invalid:
        raise ImportRefused(
            ngettext(
                "%(count)d row was refused, so nothing was imported: correct it, or import "
                "the valid rows only.",
                "%(count)d rows were refused, so nothing was imported: correct them, or "
                "import the valid rows only.",
                refused,
            )
            % {"count": refused},
            plan,
        )
    reason = _("Imported from %(file)s") % {"file": source}
    for row in plan.rows:
        try:
            if row.action == "create":
                _create(row, actor, reason)
            elif row.action == "update":
                _update(row, actor, reason)
        except ValidationError as error:
            raise ValidationError(
                _("Row %(row)s: %(problem)s")
                % {"row": row.row, "problem": " ".join(error.messages)}
            ) from error
    return plan
