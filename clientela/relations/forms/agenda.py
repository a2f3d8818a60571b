"""Web forms of the agenda: activities, contacts recorded, notes, the agenda's owner
picker and the user's agenda settings.

Forms only parse what the user typed; the services validate and write, and their
``ValidationError`` goes back beside the field it names (``form_add_service_error``
with ``RENAMED``: a service's ``due_at`` is the form's day field). A refusal keyed
``override_reason`` (a contact-pressure limit) reveals the override reason field.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.customers.selectors import customer_pick
from clientela.orders.models import Order
from clientela.relations.models import (
    Activity,
    ActivityKind,
    ContactChannel,
    Direction,
    Outcome,
)
from clientela.relations.selectors import CustomerTargets, customer_targets, staff_for_work
from clientela.web.forms import (
    MISSING_VERSION,
    BootstrapFormMixin,
    BusinessDateField,
    WholeNumberField,
    date_input,
    moment,
    time_input,
)

# A service's field → the form's field that shows its error.
RENAMED = {"due_at": "due_date", "ends_at": "ends_time", "at": "at_date", "done_at": "outcome"}
SATISFACTION_CHOICES = [("", "—"), *((n, str(n)) for n in range(1, 6))]


def _satisfaction() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Satisfaction (1–5)"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("How happy the customer seemed: 1 very unhappy, 5 very happy."),
    )


def _override_reason() -> forms.CharField:
    return forms.CharField(
        label=_("Reason to go over the contact limit"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with your name; the owner sees every such reason."),
    )


def _choice(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=int, empty_value=None, required=False)


def _user_choices(users: list[User], blank) -> list[tuple]:
    return [("", blank), *((user.pk, str(user)) for user in users)]


class OverrideMixin:
    """A form whose contact a pressure limit may refuse: the override reason shows
    once refused, or when one was typed."""

    def show_override(self) -> bool:
        """Whether to show the override reason field."""
        return "override_reason" in self.errors or bool(self["override_reason"].value())


class CustomerTargetsMixin:
    """A form whose contact person, opportunity and order are the chosen customer's."""

    targets: CustomerTargets

    def _target_choices(self, customer: Customer | None, keep: Activity | None = None) -> None:
        self.targets = customer_targets(customer=customer, keep=keep)
        none = _("— none —") if customer is not None else _("Choose the customer first")
        for name, items in (
            ("contact", self.targets.contacts),
            ("opportunity", self.targets.opportunities),
            ("order", self.targets.orders),
        ):
            if name in self.fields:
                self.fields[name].choices = [("", none), *((i.pk, self._label(i)) for i in items)]

    @staticmethod
    def _label(item) -> str:
        if isinstance(item, Order):
            return str(_("Order %(number)s") % {"number": item.pk})
        return str(item)

    def _target(self, name: str):
        chosen = self.cleaned_data.get(name)
        items = getattr(self.targets, f"{name}s" if name != "opportunity" else "opportunities")
        return next((item for item in items if item.pk == chosen), None)


class ActivityForm(OverrideMixin, CustomerTargetsMixin, BootstrapFormMixin, forms.Form):
    """Plan or change an activity: what, with whom, when, for how long, by whom."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    customer = forms.CharField(
        label=_("Customer"),
        max_length=200,
        required=False,
        help_text=_("A name or the customer's number; a task may concern nobody."),
    )
    # The customer chosen among those a typed name matched; it wins over the text.
    customer_pick = WholeNumberField(required=False, widget=forms.HiddenInput)
    contact = _choice(_("Contact person"))
    opportunity = _choice(_("Opportunity it concerns"))
    order = _choice(_("Order it concerns"))
    due_date = BusinessDateField(label=_("Day"), widget=date_input())
    due_time = forms.TimeField(label=_("Time"), widget=time_input())
    duration_minutes = WholeNumberField(
        label=_("Duration (minutes)"), min_value=1, max_value=24 * 60 * 14, required=False
    )
    ends_time = forms.TimeField(
        label=_("Or until"),
        required=False,
        widget=time_input(),
        help_text=_("The time it ends, on the same day; it sets the duration."),
    )
    owner = forms.TypedChoiceField(label=_("Assigned to"), coerce=int)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    override_reason = _override_reason()
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        required=False,
        help_text=_("Optional; it is kept in the history."),
    )
    version = WholeNumberField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args,
        user: User,
        customer: Customer | None = None,
        activity: Activity | None = None,
        **kwargs,
    ):
        self.user = user
        self.activity = activity
        super().__init__(*args, **kwargs)
        self.matches: list[Customer] = []
        self.chosen_customer = self._typed_customer() if self.is_bound else customer
        self._target_choices(self.chosen_customer, keep=activity)
        current = activity.owner if activity is not None else None
        self.staff_members = staff_for_work(current=current)
        self.fields["owner"].choices = [(u.pk, str(u)) for u in self.staff_members]
        self.fields["customer"].widget.attrs["autocomplete"] = "off"
        if activity is None:
            del self.fields["version"]
            del self.fields["reason"]

    @classmethod
    def initial_for(cls, activity: Activity) -> dict:
        """The form's values for a planned activity."""
        due = timezone.localtime(activity.due_at)
        return {
            "kind": activity.kind,
            "subject": activity.subject,
            "customer": activity.customer.name if activity.customer else "",
            "customer_pick": activity.customer_id,
            "contact": activity.contact_id,
            "opportunity": activity.opportunity_id,
            "order": activity.order_id,
            "due_date": due.date(),
            "due_time": due.time().replace(second=0, microsecond=0),
            "duration_minutes": activity.duration_minutes,
            "owner": activity.owner_id,
            "notes": activity.notes,
            "version": activity.version,
        }

    def _typed_customer(self) -> Customer | None:
        text = self.data.get(self.add_prefix("customer"), "")
        picked = self.data.get(self.add_prefix("customer_pick"), "")
        customer, self.matches = customer_pick(
            user=self.user, text=text, picked=int(picked) if picked.isdigit() else None
        )
        return customer

    def clean_customer(self) -> str:
        text = self.cleaned_data["customer"]
        if text.strip() and self.chosen_customer is None:
            if self.matches:
                raise forms.ValidationError(_("Several customers match: choose one below."))
            raise forms.ValidationError(_("No customer matches this name or number."))
        return text

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if self.activity is not None and version is None:
            raise forms.ValidationError(MISSING_VERSION)
        return version

    def service_arguments(self) -> dict:
        """Keyword arguments for ``activity_plan`` / ``activity_update``."""
        data = self.cleaned_data
        due_at = moment(data["due_date"], data["due_time"])
        owner = next((u for u in self.staff_members if u.pk == data["owner"]), None)
        arguments = {
            "kind": data["kind"],
            "subject": data["subject"],
            "notes": data["notes"],
            "due_at": due_at,
            "owner": owner,
            "customer": self.chosen_customer,
            "contact": self._target("contact"),
            "opportunity": self._target("opportunity"),
            "order": self._target("order"),
            "override_reason": data["override_reason"],
        }
        if data["ends_time"] is not None:
            arguments["ends_at"] = moment(data["due_date"], data["ends_time"])
        elif data["duration_minutes"] is not None:
            arguments["duration_minutes"] = data["duration_minutes"]
        if self.activity is not None:
            arguments["reason"] = data["reason"]
        return arguments


class CompleteForm(BootstrapFormMixin, forms.Form):
    """Mark a planned activity done: how it went, what was said, how happy they were."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    satisfaction = _satisfaction()
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = WholeNumberField(widget=forms.HiddenInput)

    def service_arguments(self) -> dict:
        """Keyword arguments for ``activity_complete``."""
        data = self.cleaned_data
        return {
            "version": data["version"],
            "outcome": data["outcome"],
            "satisfaction": data["satisfaction"],
            "notes": data["notes"],
        }


class CancelForm(BootstrapFormMixin, forms.Form):
    """Cancel a planned activity, saying why if one likes."""

    reason = forms.CharField(label=_("Why (optional)"), max_length=200, required=False)
    version = WholeNumberField(widget=forms.HiddenInput)


class InteractionForm(OverrideMixin, CustomerTargetsMixin, BootstrapFormMixin, forms.Form):
    """Record a contact with a customer that happened, either way."""

    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Direction.choices,
        initial=Direction.OUTBOUND,
        widget=forms.RadioSelect,
    )
    at_date = BusinessDateField(label=_("Day"), widget=date_input())
    at_time = forms.TimeField(label=_("Time"), widget=time_input())
    contact = _choice(_("Contact person"))
    staff = _choice(_("Staff member"))
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    satisfaction = _satisfaction()
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    override_reason = _override_reason()

    def __init__(self, *args, user: User, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self._target_choices(customer)
        self.staff_members = staff_for_work(current=user)
        self.fields["staff"].choices = _user_choices(self.staff_members, _("— none —"))
        if not self.is_bound:
            now = timezone.localtime()
            self.initial.setdefault("at_date", now.date())
            self.initial.setdefault("at_time", now.time().replace(second=0, microsecond=0))
            self.initial.setdefault("staff", user.pk)

    def service_arguments(self) -> dict:
        """Keyword arguments for ``interaction_record``."""
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "direction": data["direction"],
            "at": moment(data["at_date"], data["at_time"]),
            "contact": self._target("contact"),
            "staff": next((u for u in self.staff_members if u.pk == data["staff"]), None),
            "subject": data["subject"],
            "outcome": data["outcome"],
            "satisfaction": data["satisfaction"],
            "notes": data["notes"],
            "override_reason": data["override_reason"],
        }


class NoteForm(BootstrapFormMixin, forms.Form):
    """A note about a customer that records no contact."""

    text = forms.CharField(
        label=_("Note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )
    pinned = forms.BooleanField(label=_("Pin it to the top of the customer's page"), required=False)


class NotePinForm(forms.Form):
    """Pin a note to the top of the customer page, or unpin it."""

    pinned = forms.BooleanField(required=False)
    version = WholeNumberField()


EVERYONE = "all"


class AgendaOwnerForm(forms.Form):
    """Whose agenda to show: one member of staff's, or everyone's."""

    owner = forms.ChoiceField(label=_("Whose agenda"), required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.staff = staff_for_work(current=user)
        self.fields["owner"].choices = [
            (EVERYONE, _("Everyone")),
            *((str(u.pk), str(u)) for u in self.staff),
        ]
        self.fields["owner"].widget.attrs["class"] = "form-select"

    def chosen_owner(self, default_everyone: bool) -> User | None:
        """The member of staff chosen (the user by default), None for everyone."""
        value = self.cleaned_data.get("owner", "") if self.is_valid() else ""
        if value == EVERYONE or (not value and default_everyone):
            return None
        chosen = next((u for u in self.staff if str(u.pk) == value), None)
        return chosen or self.user


class DigestForm(forms.Form):
    """The morning digest e-mail: on or off."""

    morning_digest = forms.BooleanField(
        label=_("E-mail me my day's activities each morning"), required=False
    )
