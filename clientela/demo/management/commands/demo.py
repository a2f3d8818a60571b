"""`clientela demo`: create the demo bakery with its staff and customers."""

import argparse
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from clientela.core.management.database import require_migrated_database
from clientela.core.management.tables import table
from clientela.core.models import Role
from clientela.demo.generator import (
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    DEMO_STAFF,
    DemoExistsError,
    build_demo,
    demo_exists,
    demo_remove,
)
from clientela.demo.spreadsheet import sample_spreadsheet_write

MAX_CUSTOMERS = 20_000
DEMO_URL = "http://127.0.0.1:8000"


def _customer_count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_CUSTOMERS:
        raise argparse.ArgumentTypeError(
            _("give a number of customers from 1 to %(max)d") % {"max": MAX_CUSTOMERS}
        )
    return int(value)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Create a demo business, a bakery in Mexico City, with its staff and customers. "
            "The same seed always gives the same business."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=_customer_count,
            default=DEFAULT_CUSTOMERS,
            help=_("How many customers to create (default %(default)s)."),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=_("Seed of the random choices (default %(default)s)."),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("Remove everything the demo created (and nothing else), then create it again."),
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help=_("If the demo business is already there, keep it and only print the logins."),
        )

    def handle(self, *args, customers: int, seed: int, reset: bool, keep: bool, **options) -> None:
        require_migrated_database()
        if demo_exists():
            if keep and not reset:
                self.stdout.write(_("The demo business is already there; keeping it."))
                self._print_logins()
                return
            if not reset:
                raise CommandError(
                    _(
                        "The demo business is already there. Run `clientela demo --reset` to "
                        "remove it and create it again."
                    )
                )
            try:
                removed = demo_remove()
            except ProtectedError as error:
                raise CommandError(
                    _(
                        "The demo cannot be removed: records you created depend on its "
                        "customers (for example a customer merged into one of them)."
                    )
                ) from error
            self.stdout.write(
                _("Removed the previous demo (%(count)d records).") % {"count": removed}
            )
        started = time.monotonic()
        try:
            business = build_demo(customers=customers, seed=seed)
        except DemoExistsError as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        self.stdout.write(
            _(
                "%(name)s is ready: %(customers)d customers, %(duplicates)d possible "
                "duplicates to review (%(seconds).1f s)."
            )
            % {
                "name": business.name,
                "customers": len(business.customers),
                "duplicates": business.open_duplicates,
                "seconds": elapsed,
            }
        )
        self.stdout.write(
            _("Its history: %(orders)d orders and %(events)d events at fairs and markets.")
            % {"orders": business.order_count, "events": business.event_count}
        )
        sample = sample_spreadsheet_write(seed=seed)
        self.stdout.write(
            _(
                "A customer spreadsheet to try the import on is in %(path)s: "
                "`clientela import customers %(path)s --dry-run`."
            )
            % {"path": sample}
        )
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(
            _("Start it with `clientela serve` and sign in at %(url)s as:") % {"url": DEMO_URL}
        )
        rows = [(_("role"), _("user"), _("password"), _("name"))]
        rows += [
            (
                str(Role(login.role).label),
                login.username,
                login.password,
                f"{login.first_name} {login.last_name}",
            )
            for login in DEMO_STAFF
        ]
        self.stdout.write(table(rows))
        self.stdout.write("")
        self.stdout.write(
            _(
                "These passwords are public: keep the demo on your own computer, and use "
                "`clientela user create` for real accounts."
            )
        )
