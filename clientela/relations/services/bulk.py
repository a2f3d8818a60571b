"""Many contacts at once, for imports: ``interactions_bulk_record`` checks each row as
``interaction_record`` would (the actor's right to the customer, a live customer, a
contact person of that customer, a time that has happened, the fields' own checks) and
writes them all with their history in a number of queries that does not grow with the
rows (multi-row ``INSERT`` on SQLite, ``COPY`` on PostgreSQL), then moves each
customer's last contact on once.

The rows come checked against consent and the contact limits: an import's dry run asks
``relations.pressure`` about each row with the counts it keeps per customer as it goes
(decision 0015), and the import holds its lock and refuses to write rows planned on a
customer someone else contacted meanwhile. The customers' rows are locked here, as
``contact_check`` locks them, until the import's transaction ends.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.access import AccessDenied, Capability, limited_to_own_customers
from clientela.core.bulk import records_create
from clientela.core.models import User
from clientela.core.parsing import one_line, text_block
from clientela.core.services import actor_check, full_clean_collecting
from clientela.customers.models import Contact, Customer
from clientela.customers.services import customers_contacted
from clientela.relations.models import Interaction
from clientela.relations.services._common import Errors, error, moment_check
from clientela.relations.services.contacts import FUTURE_TOLERANCE


@dataclass(frozen=True)
class InteractionRow:
    """One contact to record, by ids; ``override_reason`` only when it went over a limit
    on the strength of that reason; the source (a content type and an id) of a contact
    some work made, as a campaign's e-mail."""

    customer_id: int
    channel: str
    direction: str
    at: datetime
    contact_id: int | None = None
    staff_id: int | None = None
    subject: str = ""
    outcome: str = ""
    satisfaction: int | None = None
    notes: str = ""
    override_reason: str = ""
    source_type_id: int | None = None
    source_id: int | None = None


class InteractionRowInvalid(ValidationError):
    """Row ``index`` of ``interactions_bulk_record``'s rows is refused, with the messages
    ``interaction_record`` would give."""

    def __init__(self, index: int, error: ValidationError):
        super().__init__(error.message_dict if hasattr(error, "error_dict") else error.messages)
        self.index = index


# What a bulk row skips of ``full_clean``: the references, checked for all rows at once.
_REFERENCES = ("customer", "contact", "staff", "override_by", "source_type")


def _customers_check(
    actor: User | None, rows: Sequence[InteractionRow]
) -> dict[int, datetime | None]:
    """Lock the rows' customers; refuse a row whose customer is gone, merged, erased or
    (for a salesperson limited to their own) another's. Their last contacts."""
    wanted = {row.customer_id for row in rows}
    found = {}
    last = {}
    for pk, owner, merged, erased, contacted in (
        Customer.objects.select_for_update()
        .filter(pk__in=wanted)
        .values_list("pk", "owner_id", "merged_into_id", "anonymized_at", "last_contacted_at")
    ):
        found[pk] = (owner, merged, erased)
        last[pk] = contacted
    limited = actor is not None and limited_to_own_customers(actor)
    for index, row in enumerate(rows):
        customer = found.get(row.customer_id)
        if customer is None:
            message = _("This record was deleted meanwhile.")
            raise InteractionRowInvalid(index, ValidationError({"customer": [message]}))
        owner, merged, erased = customer
        if limited and owner != getattr(actor, "pk", None):
            raise AccessDenied(Capability.INTERACTION_RECORD)
        if merged:
            message = _("This customer was merged into another; use that one.")
            raise InteractionRowInvalid(index, ValidationError({"customer": [message]}))
        if erased:
            message = _("This customer's personal data was erased.")
            raise InteractionRowInvalid(index, ValidationError({"customer": [message]}))
    return last


def _row_checked(
    row: InteractionRow, contacts: dict[int, int], staff: set[int], now: datetime
) -> Interaction:
    """The interaction of one row, checked as ``interaction_record`` checks it (and its
    contact person and staff member still there)."""
    errors: Errors = {}
    gone = _("This record was deleted meanwhile.")
    moment_check(row.at, "at", errors)
    if "at" not in errors and row.at > now + FUTURE_TOLERANCE:
        error(
            errors,
            "at",
            _("An interaction is a contact that happened: plan an activity for a later time."),
        )
    if row.contact_id is not None and row.contact_id not in contacts:
        error(errors, "contact", gone)
    elif row.contact_id is not None and contacts[row.contact_id] != row.customer_id:
        error(errors, "contact", _("This contact person belongs to another customer."))
    if row.staff_id is not None and row.staff_id not in staff:
        error(errors, "staff", gone)
    interaction = Interaction(
        customer_id=row.customer_id,
        channel=row.channel,
        direction=row.direction,
        at=row.at,
        contact_id=row.contact_id,
        staff_id=row.staff_id,
        subject=one_line(row.subject),
        outcome=row.outcome,
        satisfaction=row.satisfaction,
        notes=text_block(row.notes),
        override_reason=text_block(row.override_reason),
        source_type_id=row.source_type_id,
        source_id=row.source_id,
    )
    full_clean_collecting(interaction, errors, exclude=_REFERENCES, constraints=False)
    return interaction


@transaction.atomic
def interactions_bulk_record(
    *, actor: User | None, rows: Sequence[InteractionRow], reason: str = ""
) -> list[Interaction]:
    """Record every contact of ``rows`` (checked against consent and the limits by the
    caller, see the module) as ``interaction_record`` would one by one — the same checks
    and messages, the history, the customers' last contact — in a number of queries
    that does not grow with the rows; the interactions recorded.

    A row ``interaction_record`` would refuse raises ``InteractionRowInvalid`` naming
    its index, and nothing is written; a customer the actor may not change raises
    ``AccessDenied``. The staff member defaults to the actor; an override reason is
    kept with the actor as the one who gave it.
    """
    actor_check(actor, Capability.INTERACTION_RECORD)
    if not rows:
        return []
    last = _customers_check(actor, rows)
    wanted = {row.contact_id for row in rows if row.contact_id is not None}
    contacts = dict(
        Contact.objects.filter(pk__in=wanted).values_list("pk", "customer_id") if wanted else []
    )
    named = {row.staff_id for row in rows if row.staff_id is not None}
    staff = set(User.objects.filter(pk__in=named).values_list("pk", flat=True)) if named else set()
    now = timezone.now()
    interactions = []
    for index, row in enumerate(rows):
        try:
            interaction = _row_checked(row, contacts, staff, now)
        except ValidationError as refusal:
            raise InteractionRowInvalid(index, refusal) from refusal
        if interaction.staff_id is None and actor is not None:
            interaction.staff_id = actor.pk
        if interaction.override_reason and actor is not None:
            interaction.override_by_id = actor.pk
        interactions.append(interaction)
    records_create(interactions, actor, reason)
    # Only the customers whose last contact moves on are written to.
    latest: dict[int, datetime] = {}
    for interaction in interactions:
        known = latest.get(interaction.customer_id) or last[interaction.customer_id]
        if known is None or interaction.at > known:
            latest[interaction.customer_id] = interaction.at
    customers_contacted(latest)
    return interactions
