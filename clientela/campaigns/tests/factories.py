"""Campaigns for tests: a segment, a draft campaign on it and, for e-mail, its message."""

from datetime import date

from clientela.campaigns.models import Campaign, CampaignChannel
from clientela.campaigns.services import campaign_create, campaign_message_set, segment_create

EVERYONE = [{"field": "kind", "op": "in", "value": ["business", "person"]}]


def campaign_draft(actor, conditions=EVERYONE, **fields) -> Campaign:
    """A draft campaign (e-mail unless ``channel`` says otherwise) on a new segment of
    ``conditions``; an e-mail or letter has a Markdown message greeting the customer."""
    segment = segment_create(
        actor=actor, name=f"Segmento {Campaign.objects.count()}", conditions=conditions
    )
    fields = {
        "name": "Navidad",
        "channel": "email",
        "starts_on": date(2026, 12, 1),
        "ends_on": date(2026, 12, 24),
    } | fields
    campaign = campaign_create(actor=actor, segment=segment, **fields)
    if campaign.channel != CampaignChannel.CALL:
        campaign_message_set(
            actor=actor,
            campaign=campaign,
            subject="Feliz Navidad, {{ first_name }}",
            body="Hola {{ first_name }}:\n\n{{ offer }}\n",
        )
    return campaign
