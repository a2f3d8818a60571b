from django.urls import path

from clientela.campaigns.views import sending, unsubscribe

app_name = "campaigns"

urlpatterns = [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("<int:pk>/preview/", sending.campaign_preview, name="campaign_preview"),
    path("<int:pk>/test-send/", sending.campaign_test_send, name="campaign_test_send"),
    path("<int:pk>/progress/", sending.campaign_progress, name="campaign_progress"),
]
