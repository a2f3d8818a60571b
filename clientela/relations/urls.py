"""Staff pages of relationship work, under /relations/ (namespace ``relations``)."""

from django.urls import path

from clientela.relations.views import agenda, consolidation, pipeline

app_name = "relations"

urlpatterns = [
    path("consolidation/<slug:which>/", consolidation.consolidation, name="consolidation"),
    path("agenda/", agenda.agenda, name="agenda"),
    path("agenda/settings/", agenda.agenda_settings, name="agenda_settings"),
    path("agenda/overrides/", agenda.override_list, name="overrides"),
    path("activities/new/", agenda.activity_create, name="activity_create"),
    path("activities/<int:pk>/", agenda.activity_detail, name="activity"),
    path("activities/<int:pk>/edit/", agenda.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/done/", agenda.activity_complete, name="activity_complete"),
    path("activities/<int:pk>/cancel/", agenda.activity_cancel, name="activity_cancel"),
    path("activities/<int:pk>/calendar.ics", agenda.activity_ics, name="activity_ics"),
    path(
        "customers/<int:customer_pk>/contacts/new/",
        agenda.interaction_create,
        name="interaction_create",
    ),
    path("customers/<int:customer_pk>/notes/new/", agenda.note_create, name="note_create"),
    path("notes/<int:pk>/pin/", agenda.note_pin, name="note_pin"),
    path("calendar/<str:secret>.ics", agenda.calendar_feed, name="calendar_feed"),
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
