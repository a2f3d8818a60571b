"""``clientela export customers FILE.xlsx|FILE.csv``: the catalog out, streamed."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.customers.models import LIVE, Customer
from clientela.imports.exporting import customer_rows, export_write


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Export the live customers to .xlsx or .csv (by the file's suffix), in a form "
            "`clientela import` reads back unchanged."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["customers"], help=_("What to export."))
        parser.add_argument("file", metavar=_("FILE"), help=_("The .xlsx or .csv file."))
        parser.add_argument("--tag", help=_("Only the customers with this tag."))

    def handle(self, *args, **options) -> None:
        if not options["file"].lower().endswith((".xlsx", ".csv")):
            raise CommandError(_("The file must end in .xlsx or .csv."))
        customers = Customer.objects.filter(LIVE)
        if options["tag"]:
            customers = customers.filter(customer_tags__tag__name__iexact=options["tag"])
        count = export_write(customer_rows(customers), options["file"])
        self.stdout.write(
            ngettext(
                "%(count)d customer written to %(file)s.",
                "%(count)d customers written to %(file)s.",
                count,
            )
            % {"count": count, "file": options["file"]}
        )
