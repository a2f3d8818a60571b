"""The django-import-export resource: the same columns and the same validation as
Clientela's customer import (python-stdnum for the RFC with its check digit,
email-validator, phonenumbers; then the model's ``full_clean``)."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from clientela.core.validators import normalize_email, normalize_phone, normalize_tax_id
from import_peer.models import PeerCustomer, PeerTag


class CheckedWidget(widgets.CharWidget):
    """A text cell normalised by one of Clientela's validators; a bad value is the row's
    error (import-export reports a widget's ValueError against the field)."""

    def __init__(self, normalize: Callable[[str], str]):
        super().__init__()
        self.normalize = normalize

    def clean(self, value, row=None, **kwargs):
        text = (super().clean(value, row, **kwargs) or "").strip()
        if not text:
            return ""
        try:
            return self.normalize(text)
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from error


def _column(attribute: str, header: str, widget=None) -> fields.Field:
    """A text column (an empty cell is empty text, as the model's blank fields hold)."""
    return fields.Field(
        attribute=attribute, column_name=header, widget=widget or widgets.CharWidget()
    )


class PeerCustomerResource(resources.ModelResource):
    """The file's Spanish headers mapped to the model, an existing customer found by RFC."""

    tax_id = _column("tax_id", "RFC", CheckedWidget(lambda value: normalize_tax_id(value, "MX")[0]))
    name = _column("name", "Nombre")
    legal_name = _column("legal_name", "Razón social")
    email = _column("email", "Correo", CheckedWidget(normalize_email))
    phone = _column("phone", "Teléfono", CheckedWidget(lambda value: normalize_phone(value, "MX")))
    tags = _column(
        "tags", "Etiquetas", widgets.ManyToManyWidget(PeerTag, separator=",", field="name")
    )
    street = _column("street", "Dirección")
    neighborhood = _column("neighborhood", "Colonia")
    city = _column("city", "Ciudad")
    region = _column("region", "Estado")
    postal_code = _column("postal_code", "CP")
    contact_name = _column("contact_name", "Contacto")

    class Meta:
        model = PeerCustomer
        fields = (
            "tax_id",
            "name",
            "legal_name",
            "email",
            "phone",
            "tags",
            "street",
            "neighborhood",
            "city",
            "region",
            "postal_code",
            "contact_name",
        )
        import_id_fields = ("tax_id",)
        clean_model_instances = True

    def before_import_row(self, row, **kwargs):
        """Stray spaces off, a postal code in capitals, as Clientela's import does."""
        for key, value in row.items():
            if isinstance(value, str):
                row[key] = value.strip()
        if row.get("CP") is not None:
            row["CP"] = str(row["CP"]).upper()
