from django.urls import path

from clientela.campaigns.views import (
    calls,
    campaigns,
    mail,
    results,
    segments,
    sending,
    unsubscribe,
)

app_name = "campaigns"

urlpatterns = [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("<int:pk>/preview/", sending.campaign_preview, name="campaign_preview"),
    path("<int:pk>/test-send/", sending.campaign_test_send, name="campaign_test_send"),
    path("<int:pk>/progress/", sending.campaign_progress, name="campaign_progress"),
    path("", campaigns.campaign_list, name="campaign_list"),
    path("new/", campaigns.campaign_new, name="campaign_new"),
    path("<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("<int:pk>/message/", campaigns.campaign_message, name="campaign_message"),
    path("<int:pk>/launch/", campaigns.campaign_launch, name="campaign_launch"),
    path("<int:pk>/pause/", campaigns.campaign_pause, name="campaign_pause"),
    path("<int:pk>/resume/", campaigns.campaign_resume, name="campaign_resume"),
    path("<int:pk>/finish/", campaigns.campaign_finish, name="campaign_finish"),
    path("segments/", segments.segment_list, name="segment_list"),
    path("segments/new/", segments.segment_new, name="segment_new"),
    path("segments/count/", segments.segment_count, name="segment_count"),
    path("segments/from-list/", segments.segment_save_from, name="segment_save_from"),
    path("segments/<int:pk>/", segments.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", segments.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/delete/", segments.segment_delete, name="segment_delete"),
    path("segments/<int:pk>/export/", segments.segment_export, name="segment_export"),
    path("segments/<int:pk>/count/", segments.segment_members_count, name="segment_members_count"),
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
