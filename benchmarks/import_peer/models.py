"""A flat customer model holding what the benchmark's file holds, as a peer would model it."""

from django.db import models


class PeerTag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        app_label = "import_peer"

    def __str__(self) -> str:
        return self.name


class PeerCustomer(models.Model):
    """One customer per row: tax id (the import's id field), e-mail, phone, tags, address
    and contact, with the same field sizes as Clientela's catalog."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200, blank=True)
    tax_id = models.CharField(max_length=32, blank=True, db_index=True)
    country = models.CharField(max_length=2, default="MX")
    email = models.CharField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=20, blank=True, db_index=True)
    tags = models.ManyToManyField(PeerTag, blank=True)
    street = models.CharField(max_length=200, blank=True)
    neighborhood = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True, db_index=True)
    contact_name = models.CharField(max_length=200, blank=True)

    class Meta:
        app_label = "import_peer"

    def __str__(self) -> str:
        return self.name
