"""The import wizard, under /imports/ (namespace ``imports``)."""

from django.urls import path

from clientela.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_start, name="start"),
    path("templates/<str:kind>.<str:file_format>", views.template_download, name="template"),
    path("<int:pk>/", views.run_detail, name="run"),
    path("<int:pk>/mapping/", views.run_mapping, name="mapping"),
    path("<int:pk>/apply/", views.run_apply, name="apply"),
    path("<int:pk>/progress/", views.run_progress, name="progress"),
    path("<int:pk>/refused.xlsx", views.run_refused, name="refused"),
]
