"""Shares of wallet: a salesperson's estimate of how much of what a customer buys of our
kind of products they buy from us, which the ladder's *exclusive* rule reads."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clientela.analytics.models import CustomerWallet
from clientela.analytics.services._common import _live_check
from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.services import actor_check
from clientela.customers.models import Customer


@transaction.atomic
def customer_wallet_record(
    *,
    actor: User | None,
    customer: Customer,
    share_percent,
    recorded_on: date | None = None,
    note: str = "",
) -> CustomerWallet:
    """Record a salesperson's estimate of the customer's share of wallet (0–100%): how
    much of what they buy of our kind of products they buy from us. The ladder's
    *exclusive* rule reads the latest one."""
    actor_check(actor, Capability.CUSTOMER_EDIT, customer)
    errors: dict[str, list] = {}
    _live_check(customer, errors)
    wallet = CustomerWallet(
        customer=customer,
        share_percent=share_percent,
        recorded_on=recorded_on or timezone.localdate(),
        recorded_by=actor,
        note=(note or "").strip(),
    )
    try:
        wallet.full_clean()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    wallet.save()
    return wallet
