"""What a draft campaign says, per language: ``campaign_message_set`` checks the subject
and body as templates (``personalisation.template_check``) before it keeps them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.campaigns.models import (
    BodyFormat,
    Campaign,
    CampaignChannel,
    CampaignMessage,
    CampaignStatus,
)
from clientela.campaigns.personalisation import template_check
from clientela.campaigns.services._common import maker_check
from clientela.core.models import User
from clientela.core.parsing import one_line

SUBJECT_LENGTH = 200

Errors = dict[str, list[str]]


def _still_draft(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError(
            {"status": [_("A launched campaign cannot be changed; draft a new one.")]}
        )


@transaction.atomic
def campaign_message_set(
    *,
    actor: User | None,
    campaign: Campaign,
    language: str = "",
    subject: str = "",
    body: str,
    body_format: str = BodyFormat.MARKDOWN,
) -> CampaignMessage:
    """Keep the draft ``campaign``'s message in ``language`` ("" for everyone without a
    version of their own): an e-mail needs a subject; subject and body must render
    (their line named when not)."""
    maker_check(actor, campaign)
    _still_draft(campaign)
    errors: Errors = {}
    if language not in {"", *(code for code, _name in settings.LANGUAGES)}:
        errors["language"] = [
            _("“%(language)s” is not a language of the app; use one of %(languages)s.")
            % {
                "language": language,
                "languages": ", ".join(code for code, _name in settings.LANGUAGES),
            }
        ]
    if body_format not in BodyFormat.values:
        errors["body_format"] = [
            _("Choose the format: %(formats)s.") % {"formats": ", ".join(BodyFormat.values)}
        ]
    subject = one_line(subject)
    if campaign.channel == CampaignChannel.EMAIL and not subject:
        errors["subject"] = [_("An e-mail needs a subject.")]
    elif len(subject) > SUBJECT_LENGTH:
        errors["subject"] = [
            _("The subject may have at most %(count)d characters.") % {"count": SUBJECT_LENGTH}
        ]
    if not body.strip():
        errors["body"] = [_("Write the message.")]
    for field, text in (("subject", subject), ("body", body)):
        if field not in errors:
            try:
                template_check(text, field)
            except ValidationError as refusal:
                errors.update(refusal.message_dict)
    if errors:
        raise ValidationError(errors)
    message, _created = CampaignMessage.objects.update_or_create(
        campaign=campaign,
        language=language,
        defaults={"subject": subject, "body": body, "body_format": body_format},
    )
    return message


@transaction.atomic
def campaign_message_delete(*, actor: User | None, campaign: Campaign, language: str) -> None:
    """Drop the draft ``campaign``'s version in ``language``."""
    maker_check(actor, campaign)
    _still_draft(campaign)
    CampaignMessage.objects.filter(campaign=campaign, language=language).delete()


def campaign_message_for(campaign: Campaign, language: str) -> CampaignMessage | None:
    """The version of ``campaign``'s message a customer speaking ``language`` gets: theirs,
    else the one for everyone, else none."""
    messages = {message.language: message for message in campaign.messages.all()}
    return messages.get(language) or messages.get("")
