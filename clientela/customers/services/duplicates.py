"""Duplicate detection: customers that look like one another (the same tax id, e-mail or
phone, or a similar name at a similar address) recorded as candidate pairs, kept up to
date as customers change, and a pair someone dismissed never proposed again."""

from django.db import transaction
from django.db.models import Q

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.services import actor_check
from clientela.core.validators import tax_id_tells_apart
from clientela.customers.models import (
    Customer,
    DuplicateCandidate,
    DuplicateReason,
    DuplicateStatus,
)
from clientela.customers.selectors import customers_alike


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _similar_name_and_address(customer: Customer) -> dict[int, float]:
    """Other customers with a similar name at a similar address, with the name score."""
    places = [
        (customer.pk, customer.name_key, street, code, city)
        for street, code, city in customer.addresses.values_list("street", "postal_code", "city")
    ]
    alike = customers_alike(places).get(customer.pk, {})
    return {other: score for other, (_name, score) in alike.items() if other != customer.pk}


def duplicates_refresh_for(*, customer: Customer) -> list[DuplicateCandidate]:
    """Find the customers that look like ``customer`` and record them as candidates.

    Same tax id, same e-mail, same phone, or a similar name at a similar address.
    Pairs someone dismissed stay dismissed.
    """
    if customer.merged_into_id or customer.anonymized_at:
        return []
    reasons: dict[int, set[str]] = {}
    scores: dict[int, float] = {}
    live = Customer.objects.filter(merged_into__isnull=True).exclude(pk=customer.pk)
    if tax_id_tells_apart(customer.tax_id):
        for other in live.filter(tax_id=customer.tax_id).values_list("pk", flat=True):
            reasons.setdefault(other, set()).add(DuplicateReason.TAX_ID)
    emails = list(customer.emails.values_list("email", flat=True))
    if emails:
        for other in live.filter(emails__email__in=emails).values_list("pk", flat=True):
            reasons.setdefault(other, set()).add(DuplicateReason.EMAIL)
    phones = list(customer.phones.values_list("number", flat=True))
    if phones:
        for other in live.filter(phones__number__in=phones).values_list("pk", flat=True):
            reasons.setdefault(other, set()).add(DuplicateReason.PHONE)
    for other, score in _similar_name_and_address(customer).items():
        reasons.setdefault(other, set()).add(DuplicateReason.NAME_ADDRESS)
        scores[other] = score / 100
    DuplicateCandidate.objects.filter(
        Q(customer=customer) | Q(other=customer), status=DuplicateStatus.OPEN
    ).exclude(Q(customer_id__in=reasons) | Q(other_id__in=reasons)).delete()
    candidates = []
    for other, why in reasons.items():
        low, high = _pair(customer.pk, other)
        score = 1.0 if why - {DuplicateReason.NAME_ADDRESS} else scores[other]
        candidate, created = DuplicateCandidate.objects.get_or_create(
            customer_id=low, other_id=high, defaults={"reasons": sorted(why), "score": score}
        )
        if not created and (candidate.reasons != sorted(why) or candidate.score != score):
            candidate.reasons, candidate.score = sorted(why), score
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
