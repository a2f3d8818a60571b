"""``clientela export KIND FILE.xlsx|FILE.csv``: any registered kind of sheet out
(customers, products, orders, payments, events), streamed; customers also to .vcf."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.customers.models import LIVE, Customer
from clientela.customers.sheet import customer_rows
from clientela.customers.vcard import vcard_write
from clientela.sheets.exporting import export_write
from clientela.sheets.registry import sheet_kind, sheet_kind_keys


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Export the live customers (or the products, orders, payments or events) to "
            ".xlsx or .csv (by the file's suffix), in a form `clientela import` reads back "
            "unchanged."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sheet_kind_keys(), help=_("What to export."))
        parser.add_argument(
            "file",
            metavar=_("FILE"),
            help=_("The .xlsx or .csv file, or a .vcf file for the customers' contacts."),
        )
        parser.add_argument("--tag", help=_("Only the customers with this tag."))

    def handle(self, *args, **options) -> None:
        if not options["file"].lower().endswith((".xlsx", ".csv", ".vcf")):
            raise CommandError(_("The file must end in .xlsx, .csv or .vcf."))
        if options["kind"] != "customers":
            if options["file"].lower().endswith(".vcf"):
                raise CommandError(_("Only customers export to .vcf."))
            count = export_write(sheet_kind(options["kind"]).export(), options["file"])
            self.stdout.write(
                ngettext(
                    "%(count)d row written to %(file)s.",
                    "%(count)d rows written to %(file)s.",
                    count,
                )
                % {"count": count, "file": options["file"]}
            )
            return
        customers = Customer.objects.filter(LIVE)
        if options["tag"]:
            customers = customers.filter(customer_tags__tag__name__iexact=options["tag"])
        if options["file"].lower().endswith(".vcf"):
            count = vcard_write(customers, options["file"])
        elif options["tag"]:
            count = export_write(customer_rows(customers), options["file"])
        else:
            count = export_write(sheet_kind("customers").export(), options["file"])
        self.stdout.write(
            ngettext(
                "%(count)d customer written to %(file)s.",
                "%(count)d customers written to %(file)s.",
                count,
            )
            % {"count": count, "file": options["file"]}
        )
