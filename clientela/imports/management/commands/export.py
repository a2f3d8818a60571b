"""``clientela export KIND FILE.xlsx|FILE.csv``: customers, products, orders, payments or
events out, streamed."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.customers.models import LIVE, Customer
from clientela.events.models import Event
from clientela.imports.events import event_rows
from clientela.imports.exporting import customer_rows, export_write
from clientela.imports.orders import order_rows
from clientela.imports.payments import payment_rows
from clientela.imports.products import product_rows
from clientela.imports.vcard import vcard_write
from clientela.orders.models import Order, Payment, Product

# The kinds other than customers: the rows each exports (all of its records).
EXPORTS = {
    "products": lambda: product_rows(Product.objects.all()),
    "events": lambda: event_rows(Event.objects.all()),
    "orders": lambda: order_rows(Order.objects.all()),
    "payments": lambda: payment_rows(Payment.objects.all()),
}


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
        parser.add_argument("kind", choices=["customers", *EXPORTS], help=_("What to export."))
        parser.add_argument(
            "file",
            metavar=_("FILE"),
            help=_("The .xlsx or .csv file, or a .vcf file for the customers' contacts."),
        )
        parser.add_argument("--tag", help=_("Only the customers with this tag."))

    def handle(self, *args, **options) -> None:
        if not options["file"].lower().endswith((".xlsx", ".csv", ".vcf")):
            raise CommandError(_("The file must end in .xlsx, .csv or .vcf."))
        if options["kind"] in EXPORTS:
            if options["file"].lower().endswith(".vcf"):
                raise CommandError(_("Only customers export to .vcf."))
            count = export_write(EXPORTS[options["kind"]](), options["file"])
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
        else:
            count = export_write(customer_rows(customers), options["file"])
        self.stdout.write(
            ngettext(
                "%(count)d customer written to %(file)s.",
                "%(count)d customers written to %(file)s.",
                count,
            )
            % {"count": count, "file": options["file"]}
        )
