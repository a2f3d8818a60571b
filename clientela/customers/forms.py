"""Web forms of the customer catalog.

Forms only parse what the user typed; the services validate and write, and their
``ValidationError`` is put back on the form with ``form_add_service_error``.
"""

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clientela.core.access import limited_to_own_customers
from clientela.core.models import User
from clientela.core.parsing import split_list
from clientela.core.validators import country_choices
from clientela.customers.models import Channel, Customer, CustomerKind, CustomerSource
from clientela.customers.selectors import (
    customer_cities,
    customer_owner_choices,
    customer_scope,
    tag_list,
)
from clientela.customers.services import ADDRESS_FIELDS, CONTACT_FIELDS
from clientela.web.forms import (
    MISSING_VERSION,
    BootstrapFormMixin,
    BusinessDateField,
    QuickSelect,
    WholeNumberField,
)

LIST_HELP = _("Separate them with commas or put one per line.")


class CustomerForm(BootstrapFormMixin, forms.Form):
    """Create or edit a customer; ``version`` carries the version the user opened."""

    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    country = forms.ChoiceField(label=_("Country"))
    tax_id = forms.CharField(
        label=_("Tax id"),
        max_length=32,
        required=False,
        help_text=_("RFC, NIF, ИНН… It is checked for the customer's country."),
    )
    external_id = forms.CharField(
        label=_("External id"),
        max_length=64,
        required=False,
        help_text=_("Their code in another system or spreadsheet; an import can match on it."),
    )
    customer_since = BusinessDateField(
        label=_("Customer since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day you started with them; empty: the day they were added here."),
    )
    emails = forms.CharField(
        label=_("E-mails"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=LIST_HELP,
    )
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=LIST_HELP,
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate them with commas.")
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("Nobody")
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("Unknown")), *CustomerSource.choices], required=False
    )
    referred_by = forms.CharField(
        label=_("Referred by"),
        required=False,
        help_text=_("The number of the customer who recommended them; type a name to find it."),
    )
    consent_email = forms.BooleanField(label=_("Agrees to e-mail"), required=False)
    consent_phone = forms.BooleanField(label=_("Agrees to calls"), required=False)
    consent_sms = forms.BooleanField(label=_("Agrees to SMS and WhatsApp"), required=False)
    consent_mail = forms.BooleanField(label=_("Agrees to direct mail"), required=False)
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=[("", _("None")), *Channel.choices], required=False
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        required=False,
        help_text=_("Optional; it is kept in the history."),
    )
    version = WholeNumberField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, customer: Customer | None = None, **kwargs):
        self.user = user
        self.customer = customer
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()
        self.fields["owner"].queryset = customer_owner_choices(current=customer)
        self.fields["referred_by"].widget.attrs.update(
            {
                "list": "referrer-options",
                "autocomplete": "off",
                # Suggestions as the user types (htmx); without JavaScript, the number works.
                "hx-get": reverse("customers:lookup"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#referrer-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        self.fields["tax_id"].widget.attrs["autocapitalize"] = "characters"
        self.fields["emails"].widget.attrs["inputmode"] = "email"
        self.fields["phones"].widget.attrs["inputmode"] = "tel"
        if customer is None:
            self.fields["name"].required = False
            self.fields["name"].help_text = _("Leave it empty to call them by their legal name.")
            del self.fields["reason"]
            del self.fields["version"]
        if limited_to_own_customers(user):
            del self.fields["owner"]  # the service makes them the owner of what they add

    @classmethod
    def initial_for(cls, customer: Customer) -> dict:
        """The form's initial values for an existing customer."""
        return {
            "kind": customer.kind,
            "name": customer.name,
            "legal_name": customer.legal_name,
            "country": customer.country,
            "tax_id": customer.tax_id,
            "external_id": customer.external_id,
            "customer_since": customer.customer_since,
            "emails": "\n".join(e.email for e in customer.emails.all()),
            "phones": "\n".join(p.number for p in customer.phones.all()),
            "tags": ", ".join(link.tag.name for link in customer.customer_tags.all()),
            "owner": customer.owner_id,
            "source": customer.source,
            "referred_by": str(customer.referred_by_id or ""),
            "consent_email": customer.consent_email,
            "consent_phone": customer.consent_phone,
            "consent_sms": customer.consent_sms,
            "consent_mail": customer.consent_mail,
            "preferred_channel": customer.preferred_channel,
            "language": customer.language,
            "notes": customer.notes,
            "version": customer.version,
        }

    def clean_referred_by(self):
        """Accept "123", "#123" or "123 · Name" (what the suggestions fill in)."""
        value = self.cleaned_data["referred_by"].strip()
        if not value:
            return None
        number = value.lstrip("#").split()[0].rstrip("·,:")
        if not number.isdigit():
            raise forms.ValidationError(_("Type the customer's number, or pick a suggestion."))
        referrer = customer_scope(user=self.user).filter(pk=int(number)).first()
        if referrer is None:
            raise forms.ValidationError(
                _("There is no customer number %(number)s."), params={"number": number}
            )
        return referrer

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if self.customer is not None and version is None:
            raise forms.ValidationError(MISSING_VERSION)
        return version

    def service_arguments(self) -> dict:
        """Keyword arguments for ``customer_create`` / ``customer_update``."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["emails"] = split_list(data["emails"])
        data["phones"] = split_list(data["phones"])
        data["tags"] = split_list(data["tags"], ",\n")
        return data


class ContactForm(BootstrapFormMixin, forms.Form):
    """Add or edit a contact person of a customer."""

    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.CharField(
        label=_("Role"), max_length=100, required=False, help_text=_("Buyer, manager, accounts…")
    )
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    is_primary = forms.BooleanField(label=_("Main contact"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = WholeNumberField(widget=forms.HiddenInput, required=False)

    FIELDS = CONTACT_FIELDS

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["inputmode"] = "email"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        if editing:
            self.fields["version"].required = True
        else:
            del self.fields["version"]

    def service_arguments(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class AddressForm(BootstrapFormMixin, forms.Form):
    """Add or edit a delivery address of a customer."""

    label = forms.CharField(
        label=_("Label"), max_length=100, required=False, help_text=_("Shop, warehouse, home…")
    )
    street = forms.CharField(label=_("Street and number"), max_length=200)
    neighborhood = forms.CharField(label=_("Neighbourhood"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    region = forms.CharField(label=_("State or region"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.ChoiceField(label=_("Country"))
    delivery_notes = forms.CharField(
        label=_("Delivery notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_default = forms.BooleanField(label=_("Default address"), required=False)
    version = WholeNumberField(widget=forms.HiddenInput, required=False)

    FIELDS = ADDRESS_FIELDS

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()
        if editing:
            self.fields["version"].required = True
        else:
            del self.fields["version"]

    def service_arguments(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class AnonymiseForm(BootstrapFormMixin, forms.Form):
    """Confirm erasing a customer's personal data, saying why."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_(
            "For example: “The customer asked us by e-mail on 3 March to erase their data.”"
        ),
    )
    version = WholeNumberField(widget=forms.HiddenInput)


class MergeForm(forms.Form):
    """Pick which of two customers survives a merge."""

    survivor = WholeNumberField()
    reason = forms.CharField(max_length=200, required=False)


ORDERING_CHOICES = [
    ("name", _("Name, A to Z")),
    ("-name", _("Name, Z to A")),
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
]


# The "not contacted for N days" filter's spans: no contact either way in that long.
NOT_CONTACTED_DAYS = (30, 60, 90, 180, 365)


class CustomerFilterForm(forms.Form):
    """The list's search box, filters and sort order, read from the query string."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    tag = forms.ChoiceField(label=_("Tag"), required=False, widget=QuickSelect)
    owner = forms.TypedChoiceField(
        label=_("Owner"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[("", _("Any source")), *CustomerSource.choices],
        widget=QuickSelect,
    )
    city = forms.ChoiceField(label=_("City"), required=False, widget=QuickSelect)
    not_contacted = forms.TypedChoiceField(
        label=_("Not contacted for"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=QuickSelect,
    )
    ordering = forms.ChoiceField(
        label=_("Sort by"), required=False, choices=ORDERING_CHOICES, widget=QuickSelect
    )
    # The home page's "New this month" opens the customers new since the 1st.
    new_since = BusinessDateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("Any tag")), *((t, t) for t in tag_list())]
        self.fields["not_contacted"].choices = [
            ("", _("Any time")),
            *(
                (days, ngettext("%(days)d day", "%(days)d days", days) % {"days": days})
                for days in NOT_CONTACTED_DAYS
            ),
        ]
        self.fields["city"].choices = [
            ("", _("Any city")),
            *((c, c) for c in customer_cities(user=user)),
        ]
        if limited_to_own_customers(user):
            del self.fields["owner"]
        else:
            self.fields["owner"].choices = [
                ("", _("Anyone")),
                *((u.pk, str(u)) for u in customer_owner_choices()),
            ]
        for name, field in self.fields.items():
            if not field.widget.is_hidden:
                field.widget.attrs["class"] = "form-select" if name != "q" else "form-control"

    def selector_arguments(self) -> dict:
        """Keyword arguments for ``selectors.customer_list``; invalid values are ignored."""
        data = getattr(self, "cleaned_data", {})
        return {
            "search": data.get("q", ""),
            "tag": data.get("tag", ""),
            "owner": data.get("owner"),
            "source": data.get("source", ""),
            "city": data.get("city", ""),
            "new_since": data.get("new_since"),
            "not_contacted_days": data.get("not_contacted"),
            "ordering": data.get("ordering") or "name",
        }

    def is_filtered(self) -> bool:
        """Whether any search or filter narrows the list."""
        arguments = self.selector_arguments()
        return any(
            arguments[k]
            for k in ("search", "tag", "owner", "source", "city", "new_since", "not_contacted_days")
        )
