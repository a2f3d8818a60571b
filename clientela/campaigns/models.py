"""Campaigns: saved segments of customers (decision 0016).

A segment keeps its conditions as JSON (``conditions.py`` says what they may ask); its
members are found when asked, by the same query the live count, the list, the export,
the API and a campaign's launch use.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from clientela.core.history import History
from clientela.core.models import BaseModel
from clientela.core.validators import text_length_check

NAME_LENGTH = 120


class Segment(BaseModel):
    """A named group of customers: the conditions they meet, who made it, and whether
    the rest of the staff see and use it."""

    name = models.CharField(_("name"), max_length=NAME_LENGTH)
    description = models.TextField(_("description"), blank=True, validators=[text_length_check])
    conditions = models.JSONField(_("conditions"), default=list)
    shared = models.BooleanField(_("shared with the staff"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History()

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="segment_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
