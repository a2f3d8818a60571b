"""Merging a duplicate into the customer that survives it: every record that points at
the duplicate moves to the survivor, the survivor's blank fields take the duplicate's
values, and the duplicate stays, marked as merged, so that both histories remain."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.services import actor_check, history_as, version_claim
from clientela.customers.models import Customer, DuplicateCandidate
from clientela.customers.services.derived import customer_refresh_derived, customers_contacted
from clientela.customers.services.duplicates import duplicates_refresh_for


def _relations_to_move() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) that points at a customer and follows it in a merge."""
    relations = []
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        assert not isinstance(model, str)  # "self" is resolved to the model once apps load
        if model is DuplicateCandidate or model._meta.label.split(".")[-1].startswith("Historical"):
            continue
        if relation.one_to_many or relation.one_to_one:
            relations.append((model, relation.field.name))
    return relations


def _unique_key(row: models.Model, fields: Sequence[str]) -> tuple:
    key = []
    for name in fields:
        field = row._meta.get_field(name)
        assert isinstance(field, models.Field)  # MERGE_UNIQUE_FIELDS names columns
        key.append(getattr(row, field.attname))
    return tuple(key)


@transaction.atomic
def customers_merge(
    *, actor: User | None, survivor: Customer, duplicate: Customer, reason: str = ""
) -> Customer:
    """Merge ``duplicate`` into ``survivor``.

    Every record that points at the duplicate (e-mails, phones, tags, contacts,
    addresses, referrals, and whatever later apps add: orders, tickets…) moves to the
    survivor; blank fields of the survivor take the duplicate's values, and the earlier
    "customer since" day of the two is kept. The duplicate
    stays, marked as merged, so that both histories remain and show on the survivor.
    """
    actor_check(actor, Capability.CUSTOMER_MERGE)
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": [_("A customer cannot be merged with itself.")]})
    for field, customer in (("survivor", survivor), ("duplicate", duplicate)):
        if customer.merged_into_id or customer.anonymized_at:
            raise ValidationError({field: [_("This customer was already merged or anonymised.")]})
    reason = reason or _("Merged “%(duplicate)s” (#%(id)s) into this customer.") % {
        "duplicate": duplicate.name,
        "id": duplicate.pk,
    }
    version_claim(instance=survivor, version=survivor.version)
    version_claim(instance=duplicate, version=duplicate.version)
    DuplicateCandidate.objects.filter(Q(customer=duplicate) | Q(other=duplicate)).delete()
    for model, field in _relations_to_move():
        unique_fields = getattr(model, "MERGE_UNIQUE_FIELDS", ())
        taken = (
            set(model._default_manager.filter(**{field: survivor}).values_list(*unique_fields))
            if unique_fields
            else set()
        )
        for row in model._default_manager.filter(**{field: duplicate}):
            history_as(row, actor, reason)
            if unique_fields and _unique_key(row, unique_fields) in taken:
                row.delete()
                continue
            setattr(row, field, survivor)
            if hasattr(row, "is_default"):
                row.is_default = (
                    row.is_default and not survivor.addresses.filter(is_default=True).exists()
                )
            if hasattr(row, "is_primary"):
                row.is_primary = (
                    row.is_primary and not survivor.contacts.filter(is_primary=True).exists()
                )
            row.save()
    for field in ("legal_name", "tax_id", "tax_id_type", "source", "preferred_channel", "notes"):
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
    for field in ("owner", "referred_by"):
        if getattr(survivor, f"{field}_id") is None and getattr(duplicate, f"{field}_id"):
            setattr(survivor, f"{field}_id", getattr(duplicate, f"{field}_id"))
    if survivor.referred_by_id == survivor.pk:
        survivor.referred_by = None
    starts = [c.customer_since for c in (survivor, duplicate) if c.customer_since is not None]
    survivor.customer_since = min(starts, default=None)  # a customer since the earlier
    history_as(survivor, actor, reason)
    survivor.save()
    duplicate.merged_into = survivor
    history_as(duplicate, actor, reason)
    duplicate.save()
    customer_refresh_derived(survivor)
    customer_refresh_derived(duplicate)
    # Its contacts moved with it (read from the table: the relations app keeps the column).
    contacted = Customer.objects.values_list("last_contacted_at", flat=True).get(pk=duplicate.pk)
    if contacted is not None:
        customers_contacted({survivor.pk: contacted})
    duplicates_refresh_for(customer=survivor)
    return survivor
