"""Test factories of relationship work, built through the services as users do."""

from datetime import timedelta

from django.utils import timezone

from clientela.customers.models import Customer
from clientela.customers.services import customer_update
from clientela.relations.models import Stage


def stage(name: str) -> Stage:
    """A stage of the default pipeline by its English name."""
    return Stage.objects.get(name=name)


def consenting(customer: Customer, **consents: bool) -> Customer:
    """``customer`` agreeing to every channel, but those given as False."""
    fields = {
        "consent_email": True,
        "consent_phone": True,
        "consent_sms": True,
        "consent_mail": True,
    } | consents
    return customer_update(actor=None, customer=customer, version=customer.version, **fields)


def days_ago(days: float):
    """That many days before now."""
    return timezone.now() - timedelta(days=days)


def days_ahead(days: float):
    """That many days after now."""
    return timezone.now() + timedelta(days=days)
