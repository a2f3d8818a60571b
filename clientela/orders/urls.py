"""Staff pages of the order book, under /orders/ (namespace ``orders``)."""

from django.urls import path

from clientela.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("export/", views.order_export, name="export"),
    path("new/", views.order_create, name="create"),
    path("money-owed/", views.money_owed, name="owing"),
    path("money-owed/export/", views.money_owed_export, name="owing_export"),
    path("customer-lookup/", views.customer_lookup, name="customer_lookup"),
    path("address-options/", views.address_options, name="address_options"),
    path("lines-total/", views.lines_total, name="lines_total"),
    path("<int:pk>/lines-total/", views.lines_total, name="lines_total"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/edit/", views.order_edit, name="edit"),
    path("<int:pk>/move/<slug:to>/", views.order_transition, name="transition"),
    path("<int:pk>/dates/", views.order_dates, name="dates"),
    path("<int:pk>/payments/", views.payment_create, name="payment"),
    path("lead-times/", views.lead_times, name="lead_times"),
    path("lead-times/late/", views.late_orders, name="late"),
    path("lead-times/late/export/", views.late_order_export, name="late_export"),
    path("products/", views.product_list, name="products"),
    path("products/export/", views.product_export, name="product_export"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/deactivate/", views.product_deactivate, name="product_deactivate"),
    path("products/<int:pk>/reactivate/", views.product_reactivate, name="product_reactivate"),
]
