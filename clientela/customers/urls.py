"""Staff pages of the customer catalog, under /customers/ (namespace ``customers``)."""

from django.urls import path

from clientela.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export/", views.customer_export, name="export"),
    path("new/", views.customer_create, name="create"),
    path("lookup/", views.customer_lookup, name="lookup"),
    path("duplicates/", views.duplicate_list, name="duplicates"),
    path("duplicates/<int:pk>/", views.duplicate_compare, name="duplicate"),
    path("duplicates/<int:pk>/merge/", views.duplicate_merge, name="duplicate_merge"),
    path("duplicates/<int:pk>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/timeline/", views.customer_timeline_page, name="timeline"),
    path("<int:pk>/vcard/", views.customer_vcard, name="vcard"),
    path("<int:pk>/personal-data/", views.customer_personal_data, name="personal_data"),
    path("<int:pk>/anonymise/", views.customer_anonymise, name="anonymise"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_pk>/delete/", views.contact_delete, name="contact_delete"),
    path("<int:pk>/addresses/new/", views.address_create, name="address_create"),
    path("<int:pk>/addresses/<int:address_pk>/edit/", views.address_edit, name="address_edit"),
    path(
        "<int:pk>/addresses/<int:address_pk>/delete/", views.address_delete, name="address_delete"
    ),
    path(
        "<int:pk>/addresses/<int:address_pk>/default/",
        views.address_make_default,
        name="address_default",
    ),
]
