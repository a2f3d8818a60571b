"""Duplicate detection: customers that look like one another (the same tax id, e-mail or
phone, or a similar name at a similar address) recorded as candidate pairs, kept up to
date as customers change, and a pair someone dismissed never proposed again."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from clientela.core.access import Capability
from clientela.core.bulk import slices
from clientela.core.models import User
from clientela.core.services import actor_check
from clientela.core.validators import tax_id_tells_apart
from clientela.customers.models import (
    LIVE,
    Address,
    Customer,
    CustomerEmail,
    CustomerPhone,
    DuplicateCandidate,
    DuplicateReason,
    DuplicateStatus,
)
from clientela.customers.selectors import customers_alike
from clientela.customers.services._common import LOOKUP_VALUES


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class Held:
    """What a customer is recognised by: its tax id, e-mails and phones."""

    tax_id: str
    emails: Sequence[str]
    phones: Sequence[str]


def duplicates_found(
    customers: dict[Customer, Held],
) -> dict[tuple[int, int], tuple[list[str], float]]:
    """The pairs of one of ``customers`` (saved, with their addresses) and any other live
    customer that look alike — the same tax id, e-mail or phone, or a similar name at a
    similar address — with the reasons and the score (1 unless only name and address
    match), in a few queries for them all."""
    reasons: dict[tuple[int, int], set[str]] = {}
    held: dict[str, dict[int, Sequence[str]]] = {
        DuplicateReason.TAX_ID: {
            customer.pk: [what.tax_id] if tax_id_tells_apart(what.tax_id) else []
            for customer, what in customers.items()
        },
        DuplicateReason.EMAIL: {customer.pk: what.emails for customer, what in customers.items()},
        DuplicateReason.PHONE: {customer.pk: what.phones for customer, what in customers.items()},
    }
    live_children = Q(customer__merged_into__isnull=True)
    lookups = {
        DuplicateReason.TAX_ID: (Customer.objects.filter(LIVE), "tax_id", "pk"),
        DuplicateReason.EMAIL: (
            CustomerEmail.objects.filter(live_children),
            "email",
            "customer_id",
        ),
        DuplicateReason.PHONE: (
            CustomerPhone.objects.filter(live_children),
            "number",
            "customer_id",
        ),
    }
    for reason, (queryset, column, holder) in lookups.items():
        holders: dict[str, set[int]] = {}
        wanted = sorted({value for values in held[reason].values() for value in values})
        for part in slices(wanted, LOOKUP_VALUES):
            for value, pk in queryset.filter(**{f"{column}__in": part}).values_list(column, holder):
                holders.setdefault(value, set()).add(pk)
        for pk, values in held[reason].items():
            for other in {other for value in values for other in holders.get(value, ())}:
                if other != pk:
                    reasons.setdefault(_pair(pk, other), set()).add(reason)
    scores = _similar_names_at_addresses(list(customers))
    for pair in scores:
        reasons.setdefault(pair, set()).add(DuplicateReason.NAME_ADDRESS)
    return {
        pair: (sorted(why), 1.0 if why - {DuplicateReason.NAME_ADDRESS} else scores[pair] / 100)
        for pair, why in reasons.items()
    }


def _similar_names_at_addresses(customers: list[Customer]) -> dict[tuple[int, int], float]:
    """Pairs of one of ``customers`` and another with a similar name at a similar address,
    with the name score."""
    keys = {customer.pk: customer.name_key for customer in customers}
    addresses = Address.objects.filter(customer__in=keys).values_list(
        "customer_id", "street", "postal_code", "city"
    )
    places = [(pk, keys[pk], street, code, city) for pk, street, code, city in addresses]
    found: dict[tuple[int, int], float] = {}
    for pk, alike in customers_alike(places).items():
        for other, (_name, score) in alike.items():
            if other != pk:
                pair = _pair(pk, other)
                found[pair] = max(found.get(pair, 0), score)
    return found


def duplicates_refresh_for(*, customer: Customer) -> list[DuplicateCandidate]:
    """Find the customers that look like ``customer`` and record them as candidates.

    Same tax id, same e-mail, same phone, or a similar name at a similar address.
    Pairs someone dismissed stay dismissed.
    """
    if customer.merged_into_id or customer.anonymized_at:
        return []
    found = duplicates_found(
        {
            customer: Held(
                customer.tax_id,
                list(customer.emails.values_list("email", flat=True)),
                list(customer.phones.values_list("number", flat=True)),
            )
        }
    )
    others = {pk for pair in found for pk in pair} - {customer.pk}
    DuplicateCandidate.objects.filter(
        Q(customer=customer) | Q(other=customer), status=DuplicateStatus.OPEN
    ).exclude(Q(customer_id__in=others) | Q(other_id__in=others)).delete()
    candidates = []
    for (low, high), (why, score) in found.items():
        candidate, created = DuplicateCandidate.objects.get_or_create(
            customer_id=low, other_id=high, defaults={"reasons": why, "score": score}
        )
        if not created and (candidate.reasons != why or candidate.score != score):
            candidate.reasons, candidate.score = why, score
            candidate.save(update_fields=["reasons", "score"])
        candidates.append(candidate)
    return candidates


def duplicates_scan() -> int:
    """Look for duplicates among all customers; returns how many pairs are open."""
    for customer in Customer.objects.filter(
        merged_into__isnull=True, anonymized_at__isnull=True
    ).iterator():
        duplicates_refresh_for(customer=customer)
    return DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).count()


@transaction.atomic
def duplicate_dismiss(*, actor: User | None, candidate: DuplicateCandidate) -> None:
    """Mark a pair as not the same customer; it is not proposed again."""
    actor_check(actor, Capability.CUSTOMER_MERGE)
    candidate.status = DuplicateStatus.DISMISSED
    candidate.save(update_fields=["status"])
