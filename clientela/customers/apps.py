from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "clientela.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from clientela.core.access import Capability
        from clientela.web.dashboard import dashboard_register
        from clientela.web.navigation import NavItem, navigation_register

        navigation_register(
            NavItem(
                _("Customers"),
                "customers:list",
                capability=Capability.CUSTOMER_VIEW,
                icon="people",
                order=10,
            )
        )
        dashboard_register("customers", "clientela.customers.dashboard.customer_cards")
