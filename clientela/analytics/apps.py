from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "clientela.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from clientela.analytics.models import CustomerWallet, LadderOverride, LadderTransition
        from clientela.analytics.services import analysis_runs_vanished_sweep
        from clientela.core.access import Capability
        from clientela.core.background import sweep_register
        from clientela.core.models import Role
        from clientela.customers.panels import CustomerPanel, customer_panel_register
        from clientela.customers.personal import personal_data_register
        from clientela.web.dashboard import dashboard_register
        from clientela.web.navigation import navigation_register

        navigation_register(
            _("Analytics"),
            "analytics:dashboard",
            Capability.ANALYTICS_VIEW,
            icon="graph-up",
            order=40,
        )
        customer_panel_register(
            "analytics",
            CustomerPanel(
                "analytics/_customer_panel.html",
                "clientela.analytics.panels.customer_analytics_panel",
                order=20,
            ),
        )
        # Winning customers back is the sellers' work, not the support team's.
        dashboard_register(
            "analytics",
            "clientela.analytics.dashboard.analytics_cards",
            roles=(Role.OWNER, Role.SALES, Role.READONLY),
        )
        sweep_register(analysis_runs_vanished_sweep)
        # What staff wrote about the customer: the note of a share of wallet, the reason
        # of a stage set by hand. Scores and stages are codes.
        personal_data_register(
            CustomerWallet,
            erase={"note": ""},
            export_as="share_of_wallet",
            export=("recorded_on", "share_percent", "note"),
        )
        personal_data_register(
            LadderOverride,
            erase={"reason": ""},
            export_as="stage_set_by_hand",
            export=("stage", "reason"),
        )
        personal_data_register(
            LadderTransition,
            erase={"reason": ""},
            export_as="stage_changes",
            export=("on", "from_stage", "to_stage", "reason"),
        )
