"""The relationship section of a customer's page: the last contact, the next planned
activity, pinned notes and open opportunities, with buttons to record a contact, plan
an activity and write a note."""

from typing import Any

from clientela.core.access import Capability, user_can
from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.relations.selectors import customer_notes_recent, customer_relations


def customer_relations_panel(customer: Customer, user: User) -> dict[str, Any] | None:
    """What the customer page shows of relationship work, and what the user may add."""
    if not user_can(user, Capability.CUSTOMER_VIEW):
        return None
    live = customer.merged_into_id is None and customer.anonymized_at is None
    may_record = live and user_can(user, Capability.INTERACTION_RECORD)
    return {
        "customer": customer,
        "relations": customer_relations(customer=customer),
        "recent_notes": customer_notes_recent(customer=customer) if may_record else [],
        "can_record": may_record,
        "can_plan": live and user_can(user, Capability.ACTIVITY_EDIT),
    }
