"""The `clientela` command line: Django's, with Clientela's own commands listed first."""

from django.core.management import ManagementUtility
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Clientela's own commands, in the order a newcomer meets them, with one line each.
PRODUCT_COMMANDS = {
    "demo": gettext_lazy("Create the demo bakery: staff, customers, orders and events."),
    "serve": gettext_lazy("Run Clientela's web server, its background workers and schedule."),
    "user": gettext_lazy("Create and list the people who sign in; unlock one."),
    "token": gettext_lazy("Issue, list and revoke API tokens."),
    "import": gettext_lazy("Import customers, products, orders, payments or events."),
    "export": gettext_lazy("Export customers, products, orders, payments or events."),
    "analyze": gettext_lazy("Score every customer now, or analyse a CSV of transactions."),
    "worker": gettext_lazy(
        "Run the background work: webhooks, imports, analyses (`serve` starts it)."
    ),
    "schedule": gettext_lazy(
        "Run the customer analysis and back up once a day (`serve` starts it)."
    ),
    "backup": gettext_lazy("Back up the database into one file, while it runs."),
    "restore": gettext_lazy("Restore a backup into an empty database, verified."),
}


class ClientelaUtility(ManagementUtility):
    """Django's command-line utility whose main help lists Clientela's commands first."""

    def main_help_text(self, commands_only: bool = False) -> str:
        """Clientela's commands with one line each, then Django's help as usual."""
        django_help = super().main_help_text(commands_only=commands_only)
        if commands_only:
            return django_help
        width = max(map(len, PRODUCT_COMMANDS))
        return "\n".join(
            [
                _("Clientela's commands (`clientela <command> --help` tells more):"),
                *(f"  {name.ljust(width)}  {text}" for name, text in PRODUCT_COMMANDS.items()),
                "",
                _("Django's commands, for maintenance:"),
                django_help,
            ]
        )
