"""What campaigns' services share: who may change a campaign."""

from clientela.campaigns.models import Campaign
from clientela.core.access import AccessDenied, Capability, user_can
from clientela.core.models import Role, User
from clientela.core.services import actor_check


def maker_check(actor: User | None, campaign: Campaign) -> None:
    """Raise AccessDenied unless ``actor`` may change ``campaign``: its maker or the
    owner, with the right to edit campaigns."""
    actor_check(actor, Capability.CAMPAIGN_EDIT)
    if actor is not None and actor.role != Role.OWNER and campaign.created_by_id != actor.pk:
        raise AccessDenied(Capability.CAMPAIGN_EDIT)


def maker_is(user: User, campaign: Campaign) -> bool:
    """Whether ``user`` (signed in) may change, launch or stop ``campaign``, as
    ``maker_check`` asks: a page's buttons."""
    return user_can(user, Capability.CAMPAIGN_EDIT) and (
        user.role == Role.OWNER or campaign.created_by_id == user.pk
    )
