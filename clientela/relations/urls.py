"""Staff pages of relationship work, under /relations/ (namespace ``relations``)."""

from django.urls import path

from clientela.relations.views import pipeline

app_name = "relations"

urlpatterns = [
    path("pipeline/", pipeline.board, name="pipeline"),
    path("pipeline/column/<int:stage>/", pipeline.board_column, name="pipeline_column"),
    path("pipeline/list/", pipeline.opportunity_list, name="pipeline_list"),
    path("pipeline/list/export/", pipeline.opportunity_export, name="pipeline_export"),
    path("pipeline/figures/", pipeline.figures, name="pipeline_figures"),
    path("pipeline/new/", pipeline.opportunity_create, name="opportunity_create"),
    path(
        "pipeline/customer-lookup/",
        pipeline.customer_lookup,
        name="pipeline_customer_lookup",
    ),
    path("pipeline/<int:pk>/", pipeline.opportunity_detail, name="opportunity_detail"),
    path("pipeline/<int:pk>/edit/", pipeline.opportunity_edit, name="opportunity_edit"),
    path("pipeline/<int:pk>/move/", pipeline.opportunity_move, name="opportunity_move"),
    path("pipeline/<int:pk>/reopen/", pipeline.opportunity_reopen, name="opportunity_reopen"),
    path("pipeline/settings/stages/", pipeline.stage_list, name="pipeline_stages"),
    path("pipeline/settings/stages/<int:pk>/", pipeline.stage_edit, name="pipeline_stage_edit"),
    path(
        "pipeline/settings/stages/<int:pk>/delete/",
        pipeline.stage_delete,
        name="pipeline_stage_delete",
    ),
    path("pipeline/settings/lost-reasons/", pipeline.lost_reason_list, name="pipeline_reasons"),
    path(
        "pipeline/settings/lost-reasons/<int:pk>/",
        pipeline.lost_reason_edit,
        name="pipeline_reason_edit",
    ),
    path("pipeline/settings/contact-limits/", pipeline.contact_limit_list, name="pipeline_limits"),
    path(
        "pipeline/settings/contact-limits/<int:pk>/remove/",
        pipeline.contact_limit_remove,
        name="pipeline_limit_remove",
    ),
]
