"""`clientela worker`: run the background work of some queues (what `clientela serve`
starts, one per queue group)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.background import supervisor_watch, sweeps_run


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Run the background work (webhook deliveries, imports, analyses) until stopped. "
            "First gives up the runs whose worker vanished (marked failed, their uploads "
            "removed). `clientela serve` starts one per queue."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default="*",
            help=_(
                "The queues to take, separated by commas: webhooks, imports, analyses, "
                "default (default: all)."
            ),
        )

    def handle(self, *args, queues: str, **options) -> None:
        supervisor_watch()
        given_up = sweeps_run()
        if given_up:
            self.stderr.write(
                ngettext(
                    "Gave up %(count)d run whose worker had vanished.",
                    "Gave up %(count)d runs whose worker had vanished.",
                    given_up,
                )
                % {"count": given_up}
            )
        call_command("db_worker", queue_name=queues, verbosity=options["verbosity"])
