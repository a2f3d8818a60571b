"""The import wizard's forms: the upload, the mapping of columns to fields, the apply."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clientela.sheets.plan import Kind
from clientela.web.forms import BootstrapFormMixin

COLUMN_PREFIX = "column_"


class UploadForm(BootstrapFormMixin, forms.Form):
    """What the file holds and the file itself (read by ``import_run_upload``)."""

    kind = forms.ChoiceField(label=_("What the file holds"))
    # An empty file is refused by the reading, with the same words as the command line.
    file = forms.FileField(
        label=_("Spreadsheet"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.ods,.csv,.vcf"}),
    )

    def __init__(self, *args, kinds: list[Kind], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.key, kind.label) for kind in kinds]
        self.fields["file"].help_text = _(
            "An Excel workbook (.xlsx or the older .xls), a LibreOffice one (.ods), a .csv file "
            "or contacts as vCards (.vcf), of up to %(limit)s MB."
        ) % {"limit": settings.CLIENTELA_IMPORT_MAX_MB}


class MappingForm(BootstrapFormMixin, forms.Form):
    """For each column of the sheet, the field it fills or nothing; whether to save the
    mapping for files with the same headers."""

    sheet = forms.CharField(required=False, widget=forms.HiddenInput)
    save_mapping = forms.BooleanField(
        label=_("Save this mapping for files with these columns"), required=False
    )

    def __init__(self, *args, kind: Kind, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— ignore this column —"))]
        choices += [(field.key, field.label) for field in kind.fields]
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"{COLUMN_PREFIX}{index}"] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": index + 1},
                choices=choices,
                required=False,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    @staticmethod
    def initial_for(columns: dict[int, str], sheet: str) -> dict:
        """The form's initial values for a mapping (column index → field key)."""
        return {"sheet": sheet, **{f"{COLUMN_PREFIX}{i}": key for i, key in columns.items()}}

    def column_fields(self) -> list[forms.BoundField]:
        """The bound select of each column, in the sheet's order."""
        return [self[f"{COLUMN_PREFIX}{index}"] for index in range(len(self.headers))]

    def columns(self) -> dict[int, str]:
        """The chosen mapping: column index → field key, ignored columns left out."""
        return {
            index: self.cleaned_data[f"{COLUMN_PREFIX}{index}"]
            for index in range(len(self.headers))
            if self.cleaned_data.get(f"{COLUMN_PREFIX}{index}")
        }


class ApplyForm(BootstrapFormMixin, forms.Form):
    skip_invalid = forms.BooleanField(
        label=_("Skip the refused rows and import the others"), required=False
    )
