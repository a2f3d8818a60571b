"""What each role may do: one table, asked by views, API handlers and templates alike."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.models import Role, User


class Capability(models.TextChoices):
    CUSTOMER_VIEW = "customer.view", _("see customers")
    CUSTOMER_EDIT = "customer.edit", _("create and edit customers")
    CUSTOMER_MERGE = "customer.merge", _("merge duplicate customers")
    CUSTOMER_PRIVACY = "customer.privacy", _("export and anonymise personal data")
    USER_MANAGE = "user.manage", _("manage users")
    PRODUCT_EDIT = "product.edit", _("create and edit products")
    ORDER_VIEW = "order.view", _("see orders")
    ORDER_EDIT = "order.edit", _("create, change and move orders along")
    PAYMENT_RECORD = "payment.record", _("record payments")
    EVENT_VIEW = "event.view", _("see events")
    EVENT_EDIT = "event.edit", _("plan events and record their sales")
    EVENT_REMOVE = "event.remove", _("delete or cancel events")
    WEBHOOK_MANAGE = "webhook.manage", _("manage webhooks")
    ANALYTICS_VIEW = "analytics.view", _("see scores, segments and the customer ladder")
    ANALYTICS_RUN = "analytics.run", _("recompute the customer analysis")
    LADDER_OVERRIDE = "ladder.override", _("move customers on the ladder by hand")
    IMPORT_RUN = "import.run", _("import spreadsheets")
    OPPORTUNITY_EDIT = "opportunity.edit", _("create, edit and move opportunities")
    ACTIVITY_EDIT = "activity.edit", _("plan and complete activities")
    INTERACTION_RECORD = "interaction.record", _("record contacts and notes about customers")
    PIPELINE_CONFIGURE = (
        "pipeline.configure",
        _("configure stages, lost reasons and contact limits"),
    )
    CAMPAIGN_VIEW = "campaign.view", _("see segments, campaigns and their results")
    CAMPAIGN_EDIT = "campaign.edit", _("build segments and campaigns")


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Capability.values),
    Role.SALES: frozenset(
        {
            Capability.CUSTOMER_VIEW,
            Capability.CUSTOMER_EDIT,
            Capability.ORDER_VIEW,
            Capability.ORDER_EDIT,
            Capability.PAYMENT_RECORD,
            Capability.EVENT_VIEW,
            Capability.EVENT_EDIT,
            Capability.ANALYTICS_VIEW,
            Capability.LADDER_OVERRIDE,
            Capability.IMPORT_RUN,
            Capability.OPPORTUNITY_EDIT,
            Capability.ACTIVITY_EDIT,
            Capability.INTERACTION_RECORD,
            Capability.CAMPAIGN_VIEW,
            Capability.CAMPAIGN_EDIT,
        }
    ),
    Role.SUPPORT: frozenset(
        {
            Capability.CUSTOMER_VIEW,
            Capability.ORDER_VIEW,
            Capability.EVENT_VIEW,
            Capability.ANALYTICS_VIEW,
            Capability.ACTIVITY_EDIT,
            Capability.INTERACTION_RECORD,
            Capability.CAMPAIGN_VIEW,
        }
    ),
    Role.READONLY: frozenset(
        {
            Capability.CUSTOMER_VIEW,
            Capability.ORDER_VIEW,
            Capability.EVENT_VIEW,
            Capability.ANALYTICS_VIEW,
            Capability.CAMPAIGN_VIEW,
        }
    ),
}


class AccessDenied(Exception):
    """The user's role does not allow the action."""


def user_can(user: User, capability: str) -> bool:
    """Whether an active, signed-in user's role grants the capability."""
    if not user.is_authenticated or not user.is_active:
        return False
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def require(user: User, capability: str) -> None:
    """Raise AccessDenied unless the user may do it."""
    if not user_can(user, capability):
        raise AccessDenied(capability)


def limited_to_own_customers(user: User) -> bool:
    """Whether the user sees only the customers they own (salespeople, when so configured)."""
    return user.role == Role.SALES and settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY
