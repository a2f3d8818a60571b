from django.urls import path

from clientela.campaigns.views import calls, mail, results, sending, unsubscribe

app_name = "campaigns"

urlpatterns = [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("<int:pk>/preview/", sending.campaign_preview, name="campaign_preview"),
    path("<int:pk>/test-send/", sending.campaign_test_send, name="campaign_test_send"),
    path("<int:pk>/progress/", sending.campaign_progress, name="campaign_progress"),
    path("<int:pk>/results/", results.campaign_results_page, name="campaign_results"),
    path("<int:pk>/members.xlsx", results.campaign_members_export, name="campaign_members_export"),
    path("compare/", results.campaign_compare, name="campaign_compare"),
    path("<int:pk>/calls/", calls.call_list, name="call_list"),
    path("<int:pk>/calls/assign/", calls.call_assign, name="call_assign"),
    path("<int:pk>/calls/<int:member_pk>/", calls.call_record_view, name="call_record"),
    path("<int:pk>/mail/", mail.mail_page, name="mail"),
    path("<int:pk>/mail/merge.xlsx", mail.mail_merge, name="mail_merge"),
    path("<int:pk>/mail/labels.pdf", mail.mail_labels_view, name="mail_labels"),
    path("<int:pk>/mail/letters.pdf", mail.mail_letters_view, name="mail_letters"),
    path("<int:pk>/mail/posted/", mail.mail_posted_view, name="mail_posted"),
]
