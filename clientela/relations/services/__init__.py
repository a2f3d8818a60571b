"""Writes of relationship work (see each module); callers import from here."""

from clientela.relations.services.activities import (
    activities_plan_calls,
    activity_cancel,
    activity_complete,
    activity_plan,
    activity_update,
)
from clientela.relations.services.agenda import (
    activities_due_emit,
    agenda_digest_set,
    agenda_digests_send,
    agenda_feed_issue,
    agenda_feed_revoke,
)
from clientela.relations.services.bulk import (
    InteractionRow,
    InteractionRowInvalid,
    interactions_bulk_record,
)
from clientela.relations.services.contacts import (
    contact_check,
    contact_limits,
    contact_refusal,
    contact_refusals,
    interaction_delete,
    interaction_record,
    note_add,
    note_delete,
    note_update,
)
from clientela.relations.services.opportunities import (
    opportunity_create,
    opportunity_data,
    opportunity_move,
    opportunity_reopen,
    opportunity_update,
)
from clientela.relations.services.setup import (
    contact_limit_remove,
    contact_limit_set,
    lost_reason_create,
    lost_reason_update,
    stage_create,
    stage_delete,
    stage_update,
)

__all__ = [
    "InteractionRow",
    "InteractionRowInvalid",
    "activities_due_emit",
    "activities_plan_calls",
    "activity_cancel",
    "activity_complete",
    "activity_plan",
    "activity_update",
    "agenda_digest_set",
    "agenda_digests_send",
    "agenda_feed_issue",
    "agenda_feed_revoke",
    "contact_check",
    "contact_limit_remove",
    "contact_limit_set",
    "contact_limits",
    "contact_refusal",
    "contact_refusals",
    "interaction_delete",
    "interaction_record",
    "interactions_bulk_record",
    "lost_reason_create",
    "lost_reason_update",
    "note_add",
    "note_delete",
    "note_update",
    "opportunity_create",
    "opportunity_data",
    "opportunity_move",
    "opportunity_reopen",
    "opportunity_update",
    "stage_create",
    "stage_delete",
    "stage_update",
]
