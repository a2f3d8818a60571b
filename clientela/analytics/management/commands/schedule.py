"""`clientela schedule`: enqueue the daily analysis at CLIENTELA_ANALYTICS_DAILY_AT, and
give up every minute the runs whose worker vanished (``core.background``).

django-tasks runs what is enqueued but has no clock; this small loop is the clock.
`clientela serve` starts it beside the task workers (`clientela worker`), which runs the analysis.
"""

import logging
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils.translation import gettext as _

from clientela.analytics.tasks import analysis_schedule_tick, daily_at_parse
from clientela.core.background import supervisor_watch, sweeps_run

logger = logging.getLogger(__name__)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Enqueue the customer analysis once a day at CLIENTELA_ANALYTICS_DAILY_AT (local "
            "time) unless a run already finished that day; the background worker "
            "(`clientela worker`) runs it. Every check also gives up the runs whose worker "
            "vanished. Runs until stopped; `clientela serve` starts it."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help=_("Check once whether the analysis is due, enqueue it if so, and stop."),
        )
        parser.add_argument(
            "--interval",
            type=_positive,
            default=60,
            help=_("Seconds between checks (default 60)."),
        )

    def handle(self, *args, once: bool, interval: int, **options) -> None:
        try:
            daily_at = daily_at_parse(settings.CLIENTELA_ANALYTICS_DAILY_AT)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if daily_at is None:
            self.stdout.write(
                _("CLIENTELA_ANALYTICS_DAILY_AT is empty: no daily analysis is scheduled.")
            )
        supervisor_watch()
        while True:
            try:
                sweeps_run()
                if daily_at is not None and analysis_schedule_tick():
                    self.stdout.write(_("Queued the daily customer analysis."))
                    self.stdout.flush()
            except DatabaseError:
                # The database may be busy or restarting: try again at the next check.
                logger.exception("the daily analysis schedule could not check the database")
            if once:
                return
            close_old_connections()  # a loop that runs for days keeps no stale connection
            time.sleep(interval)
