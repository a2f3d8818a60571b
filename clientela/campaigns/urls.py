from django.urls import path

from clientela.campaigns.views import results, unsubscribe

app_name = "campaigns"

urlpatterns = [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("<int:pk>/results/", results.campaign_results_page, name="campaign_results"),
    path("<int:pk>/members.xlsx", results.campaign_members_export, name="campaign_members_export"),
    path("compare/", results.campaign_compare, name="campaign_compare"),
]
