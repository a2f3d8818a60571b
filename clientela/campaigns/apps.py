from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "clientela.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from clientela.campaigns.models import CampaignEvent, CampaignMember
        from clientela.campaigns.services import campaigns_finish_due
        from clientela.campaigns.services.sending import members_sending_sweep
        from clientela.core.access import Capability
        from clientela.core.background import clock_register, sweep_register
        from clientela.customers.personal import personal_data_register
        from clientela.web.list_actions import list_action_register
        from clientela.web.navigation import navigation_register
        from clientela.webhooks.registry import event_names_register

        event_names_register(CampaignEvent)
        sweep_register(members_sending_sweep)
        clock_register(campaigns_finish_due)
        personal_data_register(
            CampaignMember,
            erase={"error": ""},  # a mail server's answer may quote the address
            keep=("pareto_class",),
            export_as="campaigns",
            export=("campaign__name", "group", "state", "contacted_at"),
        )
        navigation_register(
            _("Campaigns"),
            "campaigns:campaign_list",
            Capability.CAMPAIGN_VIEW,
            icon="megaphone",
            order=48,
        )
        # "Save as segment" on the customer lists that can say their filters as conditions.
        list_action_register(
            "save_as_segment",
            "campaigns/segments/_save_as_segment.html",
            Capability.CAMPAIGN_EDIT,
        )
