"""Which records the demo created, so that `clientela demo --reset` removes only those."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoRecord(models.Model):
    """One record created by the demo generator, named by model label and primary key."""

    model = models.CharField(_("model"), max_length=100)  # "customers.Customer"
    object_id = models.PositiveBigIntegerField(_("record"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("demo record")
        verbose_name_plural = _("demo records")
        constraints = [
            models.UniqueConstraint(fields=["model", "object_id"], name="demo_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.model} #{self.object_id}"
