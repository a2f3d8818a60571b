"""URL map: the staff web interface, the REST API under /api/v1 and the admin."""

from django.contrib import admin
from django.urls import include, path

from clientela.core.api import api

# Domain routers are named by import path, so core never imports a domain app.
api.add_router("/customers", "clientela.customers.api.router")
api.add_router("/products", "clientela.orders.api.products_router")
api.add_router("/orders", "clientela.orders.api.orders_router")
api.add_router("/events", "clientela.events.api.router")
api.add_router("/webhooks", "clientela.webhooks.api.router")
api.add_router("/analytics", "clientela.analytics.api.router")
api.add_router("/imports", "clientela.imports.api.router")
api.add_router("/opportunities", "clientela.relations.api.opportunities_router")
api.add_router("/stages", "clientela.relations.api.stages_router")
api.add_router("/lost-reasons", "clientela.relations.api.lost_reasons_router")
api.add_router("/contact-limits", "clientela.relations.api.contact_limits_router")
api.add_router("/activities", "clientela.relations.api.activities_router")
api.add_router("/interactions", "clientela.relations.api.interactions_router")
api.add_router("/notes", "clientela.relations.api.notes_router")
api.add_router("/segments", "clientela.campaigns.api.segments_router")
api.add_router("/campaigns", "clientela.campaigns.api.campaigns_router")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("clientela.customers.urls")),
    path("orders/", include("clientela.orders.urls")),
    path("events/", include("clientela.events.urls")),
    path("analytics/", include("clientela.analytics.urls")),
    path("relations/", include("clientela.relations.urls")),
    path("imports/", include("clientela.imports.urls")),
    path("campaigns/", include("clientela.campaigns.urls")),
    path("", include("clientela.web.urls")),
]

# Under /api/ the error answers are JSON, as every other answer of the API.
handler400 = "clientela.core.api.bad_request"
handler404 = "clientela.core.api.page_not_found"
handler500 = "clientela.core.api.server_error"
