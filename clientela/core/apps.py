from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils import formats
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clientela.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        setting_changed.connect(_business_country_changed)


def _business_country_changed(*, setting, **kwargs):
    """Forget the formats Django cached for the business's former country when a test
    moves the business (``override_settings``); the country is fixed while serving."""
    if setting == "CLIENTELA_DEFAULT_COUNTRY":
        formats.reset_format_cache()
