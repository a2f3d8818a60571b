"""Staff pages of event sales, under /events/ (namespace ``events``)."""

from django.urls import path

from clientela.events import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("export/", views.event_export, name="export"),
    path("new/", views.event_create, name="create"),
    path("plan/", views.plan_new, name="plan_new"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/edit/", views.event_edit, name="edit"),
    path("<int:pk>/delete/", views.event_delete, name="delete"),
    path("<int:pk>/cancel/", views.event_cancel, name="cancel"),
    path("<int:pk>/items/", views.item_set, name="item_set"),
    path("<int:pk>/items/<int:product_pk>/remove/", views.item_remove, name="item_remove"),
    path("<int:pk>/sales/", views.sales_save, name="sales_save"),
    path("<int:pk>/plan/", views.event_plan, name="plan"),
    path("<int:pk>/plan/use/", views.plan_apply, name="plan_apply"),
]
