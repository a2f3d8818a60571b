from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "clientela.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from clientela.core.access import Capability
        from clientela.customers.models import CustomerEvent
        from clientela.sheets.registry import sheet_kind_register, sheet_reader_register
        from clientela.web.dashboard import dashboard_register
        from clientela.web.navigation import navigation_register
        from clientela.webhooks.registry import event_names_register

        navigation_register(
            _("Customers"), "customers:list", Capability.CUSTOMER_VIEW, icon="people", order=10
        )
        dashboard_register("customers", "clientela.customers.dashboard.customer_cards")
        event_names_register(CustomerEvent)
        sheet_kind_register("customers", "clientela.customers.sheet.CUSTOMERS")
        sheet_reader_register("vcard", "clientela.customers.vcard.vcard_sheet")
        _register_personal_data()


def _register_personal_data() -> None:
    """What the catalog's records keep about a customer (see ``customers.personal``)."""
    from clientela.customers.models import (
        Address,
        Contact,
        CustomerEmail,
        CustomerPhone,
        CustomerTag,
        DuplicateCandidate,
    )
    from clientela.customers.personal import personal_data_register

    personal_data_register(
        CustomerEmail, delete=True, erase={"email": "—"}, export_as="emails", export=("email",)
    )
    personal_data_register(
        CustomerPhone, delete=True, erase={"number": "—"}, export_as="phones", export=("number",)
    )
    personal_data_register(CustomerTag, export_as="tags", export=("tag__name",))
    contact = {"name": "—", "role": "", "email": "", "phone": "", "notes": ""}
    personal_data_register(
        Contact, delete=True, erase=contact, export_as="contacts", export=tuple(contact)
    )
    # A delivery address keeps where the sales went (city, region, country).
    address = {
        "street": "—",
        "neighborhood": "",
        "postal_code": "",
        "delivery_notes": "",
        "label": "",
    }
    kept = ("city", "region", "country")
    personal_data_register(
        Address, erase=address, keep=kept, export_as="addresses", export=(*address, *kept)
    )
    # Why two customers look alike: codes of the matching rules.
    personal_data_register(DuplicateCandidate, keep=("reasons",))
