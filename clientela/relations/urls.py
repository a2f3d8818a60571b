"""Staff pages of relationship work, under /relations/ (namespace ``relations``)."""

from django.urls import path

from clientela.relations.views import consolidation

app_name = "relations"

urlpatterns = [
    path("customers/<slug:which>/", consolidation.consolidation, name="consolidation"),
]
