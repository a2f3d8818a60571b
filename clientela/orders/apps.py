from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "clientela.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from clientela.core.access import Capability
        from clientela.customers.panels import CustomerPanel, customer_panel_register
        from clientela.customers.personal import personal_data_register
        from clientela.customers.timeline import timeline_register
        from clientela.orders.models import Order, OrderEvent
        from clientela.orders.timeline import order_items
        from clientela.sheets.registry import sheet_kind_register
        from clientela.web.dashboard import dashboard_register
        from clientela.web.navigation import navigation_register
        from clientela.webhooks.registry import event_names_register

        navigation_register(
            _("Orders"), "orders:list", Capability.ORDER_VIEW, icon="receipt", order=20
        )
        customer_panel_register(
            "orders",
            CustomerPanel(
                "orders/_customer_panel.html",
                "clientela.orders.panels.customer_orders_panel",
                order=10,
            ),
        )
        dashboard_register("orders", "clientela.orders.dashboard.order_cards")
        timeline_register("order", order_items, label=_("Orders"))
        event_names_register(OrderEvent)
        sheet_kind_register("products", "clientela.orders.sheet.products.PRODUCTS")
        sheet_kind_register("orders", "clientela.orders.sheet.orders.ORDERS")
        sheet_kind_register("payments", "clientela.orders.sheet.payments.PAYMENTS")
        # Notes and cancel reasons are free text about the customer; the reference is the
        # order's number, kept with its figures.
        personal_data_register(
            Order,
            erase={"notes": "", "cancel_reason": ""},
            keep=("reference", "currency"),
            export_as="orders",
            export=(
                "reference",
                "order_date",
                "status",
                "total",
                "currency",
                "notes",
                "cancel_reason",
            ),
        )
