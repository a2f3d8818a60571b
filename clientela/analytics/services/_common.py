"""What the stages set by hand and the shares of wallet share: a customer merged into
another one is refused."""

from django.utils.translation import gettext as _

from clientela.customers.models import Customer


def _live_check(customer: Customer, errors: dict) -> None:
    if customer.merged_into_id is not None:
        errors.setdefault("customer", []).append(_("This customer was merged into another one."))
