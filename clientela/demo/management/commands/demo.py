"""`clientela demo`: create the demo bakery with its staff and customers."""

import argparse
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from clientela.core.management.database import require_migrated_database
from clientela.core.management.ports import default_port, port_in_use, port_number
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
DEMO_HOST = "127.0.0.1"


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
            "--port",
            type=port_number,
            help=_(
                "The port it will be served on (`clientela serve --port`): the address "
                "printed uses it, and the demo stops first if another program holds it "
                "(default CLIENTELA_PORT or 8000, not checked)."
            ),
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help=_("If the demo business is already there, keep it and only print the logins."),
        )

    def handle(
        self,
        *args,
        customers: int,
        seed: int,
        reset: bool,
        keep: bool,
        port: int | None,
        **options,
    ) -> None:
        require_migrated_database()
        if port is not None and port_in_use(DEMO_HOST, port):
            raise CommandError(
                _(
                    "Port %(port)s is already in use by another program, so the demo could "
                    "not be served on it. Pick another: `make demo PORT=%(other)s`, or "
                    "`clientela serve --port %(other)s`."
                )
                % {"port": port, "other": port + 1 if port < 65535 else 8001}
            )
        self.port = port or int(default_port())
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
            business = build_demo(customers=customers, seed=seed, progress=self._progress)
        except DemoExistsError as error:
            raise CommandError(str(error)) from error
        self._progress(None)
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

    _step_started: float | None = None

    def _progress(self, label: str | None) -> None:
        """End the line of the step that ran with its time; start the line of ``label``."""
        now = time.monotonic()
        if self._step_started is not None:
            self.stdout.write(_(" %(seconds).1f s") % {"seconds": now - self._step_started})
        self._step_started = None
        if label is not None:
            self.stdout.write(_("%(step)s…") % {"step": label}, ending="")
            self.stdout.flush()
            self._step_started = now

    def _print_logins(self) -> None:
        command = "clientela serve" if self.port == 8000 else f"clientela serve --port {self.port}"
        self.stdout.write("")
        self.stdout.write(
            _("Start it with `%(command)s` and sign in at %(url)s as:")
            % {"command": command, "url": f"http://{DEMO_HOST}:{self.port}"}
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
