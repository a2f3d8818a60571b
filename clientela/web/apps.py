from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "clientela.web"
    label = "web"
    verbose_name = _("Web interface")

    def ready(self) -> None:
        from clientela.web.navigation import navigation_register

        navigation_register(_("Home"), "dashboard", icon="house", order=0)
