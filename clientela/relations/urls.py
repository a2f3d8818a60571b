"""Staff pages of relationship work, under /relations/ (namespace ``relations``)."""

from django.urls import path

from clientela.relations.views import agenda, consolidation

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
]
