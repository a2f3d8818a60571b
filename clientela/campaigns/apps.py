from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "clientela.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from clientela.campaigns.models import CampaignEvent
        from clientela.webhooks.registry import event_names_register

        event_names_register(CampaignEvent)
