from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationsConfig(AppConfig):
    name = "clientela.relations"
    label = "relations"
    verbose_name = _("Relationship work")

    def ready(self) -> None:
        from clientela.core.access import Capability
        from clientela.core.background import clock_register
        from clientela.core.log import secret_path_register
        from clientela.customers.panels import CustomerPanel, customer_panel_register
        from clientela.customers.personal import personal_data_register
        from clientela.customers.timeline import timeline_register
        from clientela.relations import timeline
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
        from clientela.web.dashboard import dashboard_register
        from clientela.web.navigation import navigation_register
        from clientela.webhooks.registry import event_names_register

        timeline_register("interaction", timeline.interaction_items, label=_("Contacts"))
        timeline_register("activity", timeline.activity_items, label=_("Activities"))
        timeline_register("opportunity", timeline.opportunity_items, label=_("Opportunities"))
        timeline_register("note", timeline.note_items, label=_("Notes"))
        dashboard_register("relations", "clientela.relations.dashboard.relation_cards")
        clock_register(activities_due_tick)
        clock_register(agenda_digests_tick)
        event_names_register(OpportunityEvent)
        event_names_register(ActivityEvent)
        navigation_register(
            _("Agenda"),
            "relations:agenda",
            Capability.CUSTOMER_VIEW,
            icon="calendar-check",
            order=25,
            badge="clientela.relations.views.agenda.overdue_badge_lazy",
        )
        customer_panel_register(
            "relations",
            CustomerPanel(
                "relations/_customer_panel.html",
                "clientela.relations.panels.customer_relations_panel",
                order=5,
            ),
        )
        # The calendar feed's address is its password: the request log never shows it.
        secret_path_register(r"/calendar/(?P<secret>[^/?#\s]+)\.ics")
        navigation_register(
            _("Pipeline"), "relations:pipeline", Capability.CUSTOMER_VIEW, icon="kanban", order=45
        )
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
