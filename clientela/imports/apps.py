from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "clientela.imports"
    label = "imports"
    verbose_name = _("Imports and exports")

    def ready(self) -> None:
        from clientela.core.access import Capability
        from clientela.core.background import sweep_register
        from clientela.imports.services import import_files_sweep
        from clientela.web.navigation import navigation_register

        navigation_register(
            _("Import"), "imports:start", Capability.IMPORT_RUN, icon="upload", order=50
        )
        sweep_register(import_files_sweep)
