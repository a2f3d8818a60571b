from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "clientela.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from clientela.core.access import Capability
        from clientela.sheets.registry import sheet_kind_register
        from clientela.web.dashboard import dashboard_register
        from clientela.web.navigation import navigation_register

        navigation_register(
            _("Events"), "events:list", Capability.EVENT_VIEW, icon="shop", order=30
        )
        dashboard_register("events", "clientela.events.dashboard.event_cards")
        sheet_kind_register("events", "clientela.events.sheet.EVENTS")
