"""Users with a role, hashed API tokens and the base model every record shares."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Creation and last-change timestamps for every domain record."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    SALES = "sales", _("Sales")
    SUPPORT = "support", _("Support")
    READONLY = "readonly", _("Read-only")


class User(AbstractUser):
    """A member of staff; what they may do follows from their role."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.READONLY)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


def token_digest(raw_token: str) -> str:
    """The SHA-256 digest under which a token is stored; the token itself never is."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API, kept only as its digest."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("First characters, to tell tokens apart.")
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
