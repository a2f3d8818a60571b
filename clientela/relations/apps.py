from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationsConfig(AppConfig):
    name = "clientela.relations"
    label = "relations"
    verbose_name = _("Relationship work")

    def ready(self) -> None:
        from clientela.core.background import clock_register
        from clientela.customers.personal import personal_data_register
        from clientela.relations.models import (
            Activity,
            ActivityEvent,
            CustomerNote,
            Interaction,
            Opportunity,
            OpportunityEvent,
        )
        from clientela.relations.tasks import activities_due_tick, agenda_digests_tick
        from clientela.sheets.registry import sheet_kind_register
        from clientela.webhooks.registry import event_names_register

        clock_register(activities_due_tick)
        clock_register(agenda_digests_tick)
        event_names_register(OpportunityEvent)
        event_names_register(ActivityEvent)
        sheet_kind_register(
            "opportunities", "clientela.relations.sheet.opportunities.OPPORTUNITIES"
        )
        sheet_kind_register("activities", "clientela.relations.sheet.activities.ACTIVITIES")
        sheet_kind_register("interactions", "clientela.relations.sheet.interactions.INTERACTIONS")
        personal_data_register(
            Opportunity,
            erase={"title": "—", "next_step": "", "notes": "", "competitor": ""},
            keep=("currency",),
            export_as="opportunities",
            export=("title", "value", "currency", "expected_close", "next_step", "notes"),
        )
        personal_data_register(
            Activity,
            erase={"subject": "—", "notes": "", "override_reason": ""},
            export_as="activities",
            export=("kind", "subject", "due_at", "status", "outcome", "notes"),
        )
        personal_data_register(
            Interaction,
            erase={"subject": "", "notes": "", "override_reason": ""},
            export_as="interactions",
            export=("at", "channel", "direction", "subject", "outcome", "satisfaction", "notes"),
        )
        personal_data_register(
            CustomerNote, erase={"text": ""}, delete=True, export_as="notes", export=("text",)
        )
