"""Staff pages of the analytics, under /analytics/ (namespace ``analytics``)."""

from django.urls import path

from clientela.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("customers/", views.score_list, name="scores"),
    path("customers/export/", views.score_export, name="score_export"),
    path("recompute/", views.run_start, name="run"),
    path("progress/", views.run_progress, name="progress"),
    path("customers/<int:pk>/stage/", views.stage_set, name="stage_set"),
    path("customers/<int:pk>/stage/clear/", views.stage_clear, name="stage_clear"),
    path("customers/<int:pk>/wallet/", views.wallet_record, name="wallet"),
]
