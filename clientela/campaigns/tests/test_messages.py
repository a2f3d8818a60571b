"""What a campaign says, per language, checked as a template at save; and a launched
campaign paused, resumed and finished, each once (``campaign.finished`` with counts)."""

import pytest
from django.core.exceptions import ValidationError

from clientela.campaigns.models import CampaignMessage, CampaignStatus
from clientela.campaigns.services import (
    campaign_finish,
    campaign_launch,
    campaign_message_for,
    campaign_message_set,
    campaign_pause,
    campaign_resume,
)
from clientela.campaigns.tests.factories import campaign_draft
from clientela.customers.tests.factories import CustomerFactory
from clientela.relations.tests.factories import consenting
from clientela.webhooks.models import WebhookDelivery
from clientela.webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db


def test_a_version_per_language_and_one_for_everyone_else(owner):
    campaign = campaign_draft(owner)
    campaign_message_set(
        actor=owner, campaign=campaign, language="ru", subject="С Рождеством", body="Привет"
    )
    assert campaign_message_for(campaign, "ru").subject == "С Рождеством"
    assert campaign_message_for(campaign, "es").subject == "Feliz Navidad, {{ first_name }}"


def test_a_template_that_does_not_render_is_refused_with_its_line_and_nothing_kept(owner):
    campaign = campaign_draft(owner)
    with pytest.raises(ValidationError) as refused:
        campaign_message_set(
            actor=owner,
            campaign=campaign,
            subject="Hola",
            body="Hola {{ name }}\n\n{{ password }}",
            language="es",
        )
    assert "Line 3" in refused.value.message_dict["body"][0]
    assert "password" in refused.value.message_dict["body"][0]
    with pytest.raises(ValidationError) as refused:
        campaign_message_set(actor=owner, campaign=campaign, subject="", body="Hola {% if %}")
    assert set(refused.value.message_dict) == {"subject", "body"}
    with pytest.raises(ValidationError) as refused:
        campaign_message_set(actor=owner, campaign=campaign, language="fr", body="Salut")
    assert "fr" in refused.value.message_dict["language"][0]
    assert list(CampaignMessage.objects.values_list("language", flat=True)) == [""]


def test_an_email_campaign_without_a_message_cannot_launch(owner):
    consenting(CustomerFactory(emails=["a@b.mx"]))
    campaign = campaign_draft(owner)
    campaign.messages.all().delete()
    with pytest.raises(ValidationError) as refused:
        campaign_launch(actor=owner, campaign=campaign)
    assert "messages" in refused.value.message_dict
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_a_running_campaign_pauses_resumes_and_finishes_once(owner, sales):
    consenting(CustomerFactory(emails=["a@b.mx"]))
    webhook_subscription_create(
        actor=owner, url="https://hooks.example.com/in", events=["campaign.finished"]
    )
    draft = campaign_draft(owner, holdout_percent=0)
    with pytest.raises(ValidationError):
        campaign_pause(actor=owner, campaign=draft)
    campaign = campaign_launch(actor=owner, campaign=draft)
    assert campaign_resume(actor=owner, campaign=campaign).status == CampaignStatus.RUNNING
    assert campaign_pause(actor=owner, campaign=campaign).status == CampaignStatus.PAUSED
    assert campaign_pause(actor=owner, campaign=campaign).status == CampaignStatus.PAUSED
    assert campaign_resume(actor=owner, campaign=campaign).status == CampaignStatus.RUNNING
    with pytest.raises(ValidationError) as refused:
        campaign_message_set(actor=owner, campaign=campaign, subject="Otra", body="Otro texto")
    assert "status" in refused.value.message_dict
    assert campaign_message_for(campaign, "").subject == "Feliz Navidad, {{ first_name }}"
    finished = campaign_finish(actor=owner, campaign=campaign)
    assert finished.status == CampaignStatus.FINISHED and finished.finished_at is not None
    campaign_finish(actor=owner, campaign=finished)
    deliveries = WebhookDelivery.objects.filter(event="campaign.finished")
    assert deliveries.count() == 1
    assert deliveries.get().payload["data"]["contacted"] == 1
    with pytest.raises(ValidationError):
        campaign_pause(actor=owner, campaign=finished)
