from django.urls import path

from clientela.campaigns.views import unsubscribe

app_name = "campaigns"

urlpatterns = [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]
