"""The agenda's pages: activities planned, changed, done and cancelled; one's agenda;
contacts and notes recorded from the customer page; the owner's list of contacts let
over a limit; one's agenda settings and the private calendar feed.

Views parse the request, call a selector or a service and render; a service's
``ValidationError`` goes back beside the field it names.
"""

from datetime import datetime, time, timedelta
from functools import cache, partial

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from icalendar import Calendar, Event

from clientela.core.access import Capability, user_can
from clientela.core.errors import ConflictError
from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.customers.selectors import customer_find, customer_pick
from clientela.relations import selectors, services
from clientela.relations.forms.agenda import (
    RENAMED,
    ActivityForm,
    AgendaOwnerForm,
    CancelForm,
    CompleteForm,
    DigestForm,
    InteractionForm,
    NoteForm,
    NotePinForm,
)
from clientela.relations.models import Activity, ActivityStatus, CustomerNote, Outcome
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error

# The calendar feed shows activities from this long ago on.
FEED_PAST = timedelta(days=30)
FEED_LIMIT = 2000
# What a VEVENT's STATUS says of each state of an activity: RFC 5545 has no "done" for
# an event, so a done one stays CONFIRMED and says so in its summary.
EVENT_STATUS = {
    ActivityStatus.OPEN: "CONFIRMED",
    ActivityStatus.DONE: "CONFIRMED",
    ActivityStatus.CANCELLED: "CANCELLED",
}


# --- helpers ------------------------------------------------------------------------


def _activity(request, pk: int) -> Activity:
    """The activity the user may see, or 404."""
    try:
        return selectors.activity_get(user=request.user, pk=pk)
    except Activity.DoesNotExist as error:
        raise Http404 from error


def _live_customer(request, pk: int) -> Customer:
    """The live customer the user may see, or 404."""
    customer = customer_find(user=request.user, pk=pk)
    if customer is None:
        raise Http404
    return customer


def _next(request, default: str) -> str:
    """The page to go back to: ``next`` when it is on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _customer_page(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk]) + "#customer-relations"


def overdue_badge(user: User) -> int:
    """The number on the menu's "Agenda": the user's overdue activities; no query for
    a user whose role does no activities."""
    if not user_can(user, Capability.ACTIVITY_EDIT):
        return 0
    return selectors.overdue_count(user=user)


def overdue_badge_lazy(user: User):
    """``overdue_badge`` counted when a page first shows it, then remembered."""
    return cache(partial(overdue_badge, user))


# --- the agenda ---------------------------------------------------------------------


def _may_pick_owner(user: User) -> bool:
    """The owner looks at anyone's agenda; so do those who do no activities themselves."""
    return user_can(user, Capability.PIPELINE_CONFIGURE) or not user_can(
        user, Capability.ACTIVITY_EDIT
    )


@capability_required(Capability.CUSTOMER_VIEW)
def agenda(request):
    """The activities overdue, today's and this week's, of the user (the owner picks
    anyone's or everyone's); each call or visit done in one click."""
    can_do = user_can(request.user, Capability.ACTIVITY_EDIT)
    picker = None
    owner: User | None = request.user
    if _may_pick_owner(request.user):
        picker = AgendaOwnerForm(request.GET or None, user=request.user)
        owner = picker.chosen_owner(default_everyone=not can_do)
    whole = request.GET.get("whole", "")
    context = {
        "agenda": selectors.agenda_for(user=request.user, owner=owner, whole=whole),
        "whole": whole,
        "owner": owner,
        "picker": picker,
        "chosen": "all" if owner is None else str(owner.pk),
        "outcomes": Outcome.choices,
        "outcome_options": _outcome_options(),
        "agenda_url": reverse("relations:agenda"),
        "can_do": can_do,
        "now": timezone.now(),
    }
    return render(request, "relations/agenda/agenda.html", context)


# --- activities ---------------------------------------------------------------------


def _next_hour() -> datetime:
    now = timezone.localtime()
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _activity_form_page(request, form: ActivityForm, activity: Activity | None, **extra):
    context = {
        "form": form,
        "activity": activity,
        "customer": form.chosen_customer,
        "next": _next(request, ""),
        **extra,
    }
    return render(request, "relations/agenda/activity_form.html", context)


@capability_required(Capability.ACTIVITY_EDIT)
def activity_create(request):
    """Plan an activity; ``?customer=`` (a number or a name) and ``?kind=`` fill it in.
    A refusal by the contact limits shows the override reason field."""
    customer = None
    if request.method != "POST" and (text := request.GET.get("customer", "")):
        customer, _matches = customer_pick(user=request.user, text=text)
    start = _next_hour()
    initial = {
        "kind": request.GET.get("kind") or "call",
        "due_date": start.date(),
        "due_time": start.time(),
        "duration_minutes": 30,
        "owner": request.user.pk,
    }
    if customer is not None:
        initial.update(customer=customer.name, customer_pick=customer.pk)
        if (opportunity := request.GET.get("opportunity", "")).isdigit():
            initial["opportunity"] = int(opportunity)
        if (order := request.GET.get("order", "")).isdigit():
            initial["order"] = int(order)
    form = ActivityForm(request.POST or None, user=request.user, customer=customer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_plan(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form_add_service_error(form, error, renamed=RENAMED)
        else:
            messages.success(request, _("“%(subject)s” planned.") % {"subject": activity.subject})
            return redirect(_next(request, reverse("relations:activity", args=[activity.pk])))
    return _activity_form_page(request, form, None)


@capability_required(Capability.CUSTOMER_VIEW)
def activity_detail(request, pk: int):
    """One activity: what, with whom, when, its state, and what may be done with it."""
    activity = _activity(request, pk)
    context = {
        "activity": activity,
        "open": activity.status == ActivityStatus.OPEN,
        "cancel_form": CancelForm(initial={"version": activity.version}),
    }
    return render(request, "relations/agenda/activity_detail.html", context)


def _closed(request, activity: Activity):
    """A redirect away from changing a done or cancelled activity; else None."""
    if activity.status == ActivityStatus.OPEN:
        return None
    messages.error(request, _("This activity is closed: it no longer changes."))
    return redirect("relations:activity", pk=activity.pk)


@capability_required(Capability.ACTIVITY_EDIT)
def activity_edit(request, pk: int):
    """Change or reschedule a planned activity; the history keeps the old time."""
    activity = _activity(request, pk)
    if closed := _closed(request, activity):
        return closed
    if request.method != "POST":
        form = ActivityForm(
            initial=ActivityForm.initial_for(activity),
            user=request.user,
            customer=activity.customer,
            activity=activity,
        )
        return _activity_form_page(request, form, activity)
    form = ActivityForm(request.POST, user=request.user, activity=activity)
    conflict = False
    if form.is_valid():
        try:
            services.activity_update(
                actor=request.user,
                activity=activity,
                version=form.cleaned_data["version"],
                **form.service_arguments(),
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error, renamed=RENAMED)
            conflict = isinstance(error, ConflictError)
            activity = _activity(request, pk)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_next(request, reverse("relations:activity", args=[activity.pk])))
    return _activity_form_page(request, form, activity, conflict=conflict)


def _outcome_options() -> str:
    """The outcome menu's options, written once for every row of the agenda."""
    return format_html_join("", '<option value="{}">{}</option>', Outcome.choices)


def _agenda_item(request, activity: Activity, form: CompleteForm | None = None):
    """One agenda row, as the agenda shows it (after a one-click "log the call")."""
    context = {
        "item": activity,
        "outcomes": Outcome.choices,
        "outcome_options": _outcome_options(),
        "agenda_url": reverse("relations:agenda"),
        "can_do": True,
        "now": timezone.now(),
        "item_form": form,
        "badge": overdue_badge(request.user),
        "oob_badge": True,
        "owner": request.user,
        "show_day": bool(request.POST.get("show_day")),
    }
    return render(request, "relations/agenda/_item.html", context)


@capability_required(Capability.ACTIVITY_EDIT)
def activity_complete(request, pk: int):
    """Mark an activity done with how it went; a call, visit, meeting or e-mail records
    its contact. From the agenda (htmx) the row is swapped for the done one."""
    activity = _activity(request, pk)
    inline = bool(request.htmx)
    if not inline and (closed := _closed(request, activity)):
        return closed
    form = CompleteForm(request.POST or None, initial={"version": activity.version})
    if request.method == "POST" and form.is_valid():
        try:
            activity, _interaction = services.activity_complete(
                actor=request.user, activity=activity, **form.service_arguments()
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error, renamed=RENAMED)
            activity = _activity(request, pk)
        else:
            if inline:
                return _agenda_item(request, activity)
            messages.success(request, _("“%(subject)s” done.") % {"subject": activity.subject})
            return redirect(_next(request, reverse("relations:activity", args=[activity.pk])))
    if inline:
        return _agenda_item(request, activity, form)
    context = {"form": form, "activity": activity, "next": _next(request, "")}
    return render(request, "relations/agenda/activity_complete.html", context)


@require_POST
@capability_required(Capability.ACTIVITY_EDIT)
def activity_cancel(request, pk: int):
    """Cancel a planned activity; it leaves the agenda and the limits' count."""
    activity = _activity(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form is missing the record's version; reload the page."))
    else:
        try:
            services.activity_cancel(
                actor=request.user,
                activity=activity,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, ConflictError) as error:
            text = error.messages if isinstance(error, ValidationError) else [str(error)]
            messages.error(request, " ".join(text))
        else:
            messages.success(request, _("“%(subject)s” cancelled.") % {"subject": activity.subject})
    return redirect(_next(request, reverse("relations:activity", args=[activity.pk])))


# --- calendars ----------------------------------------------------------------------


def _event(request, activity: Activity) -> Event:
    """One activity as an RFC 5545 VEVENT."""
    event = Event()
    event.add("uid", f"clientela-activity-{activity.pk}")
    event.add("sequence", max(activity.version - 1, 0))
    event.add("dtstamp", activity.updated_at or timezone.now())
    event.add("dtstart", activity.due_at)
    event.add("dtend", activity.ends_at)
    summary = f"{activity.get_kind_display()}: {activity.subject}"
    if activity.status == ActivityStatus.DONE:
        summary = _("Done") + f" · {summary}"
    event.add("summary", summary)
    lines = []
    if activity.customer is not None:
        lines.append(_("Customer: %(name)s") % {"name": activity.customer.name})
    if activity.contact is not None:
        contact = activity.contact.name
        if activity.contact.phone:
            contact += f" · {activity.contact.phone}"
        lines.append(_("Contact person: %(name)s") % {"name": contact})
    if activity.status == ActivityStatus.DONE and activity.outcome:
        lines.append(_("Outcome: %(outcome)s") % {"outcome": activity.get_outcome_display()})
    if activity.notes:
        lines.extend(["", activity.notes])
    if lines:
        event.add("description", "\n".join(lines))
    event.add("status", EVENT_STATUS[ActivityStatus(activity.status)])
    event.add("url", request.build_absolute_uri(reverse("relations:activity", args=[activity.pk])))
    return event


def _calendar(request, name: str, activities) -> HttpResponse:
    calendar = Calendar()
    calendar.add("prodid", "-//Clientela//Agenda//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for activity in activities:
        calendar.add_component(_event(request, activity))
    return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")


@capability_required(Capability.CUSTOMER_VIEW)
def activity_ics(request, pk: int):
    """One activity as an .ics file, for a calendar program."""
    activity = _activity(request, pk)
    response = _calendar(request, "Clientela", [activity])
    response["Content-Disposition"] = f'attachment; filename="activity-{activity.pk}.ics"'
    return response


@require_GET
def calendar_feed(request, secret: str):
    """A user's private calendar feed, opened by the secret in its address alone (no
    sign-in): their activities from 30 days back. An unknown or revoked secret is a
    plain 404, the same for both."""
    user = selectors.feed_user(secret=secret)
    if user is None:
        return HttpResponseNotFound(_("Not found."), content_type="text/plain; charset=utf-8")
    since = timezone.now() - FEED_PAST
    activities = selectors.feed_activities(user=user, since=since)[:FEED_LIMIT]
    response = _calendar(request, _("Clientela: %(name)s") % {"name": user}, activities)
    response["Cache-Control"] = "private, no-store"
    return response


# --- contacts and notes on the customer page ----------------------------------------


@capability_required(Capability.INTERACTION_RECORD)
def interaction_create(request, customer_pk: int):
    """Record a contact with the customer: how, which way, when, with whom, how it went.
    A refusal by the contact limits shows the override reason field."""
    customer = _live_customer(request, customer_pk)
    form = InteractionForm(request.POST or None, user=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_record(
                actor=request.user, customer=customer, **form.service_arguments()
            )
        except ValidationError as error:
            form_add_service_error(form, error, renamed=RENAMED)
        else:
            messages.success(request, _("Contact recorded."))
            return redirect(_customer_page(customer))
    return render(
        request, "relations/agenda/interaction_form.html", {"form": form, "customer": customer}
    )


@capability_required(Capability.INTERACTION_RECORD)
def note_create(request, customer_pk: int):
    """Write a note about the customer, pinned to the top of their page if one likes."""
    customer = _live_customer(request, customer_pk)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.note_add(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Note saved."))
            return redirect(_customer_page(customer))
    return render(request, "relations/agenda/note_form.html", {"form": form, "customer": customer})


@require_POST
@capability_required(Capability.INTERACTION_RECORD)
def note_pin(request, pk: int):
    """Pin a note to the top of the customer page, or unpin it."""
    try:
        note = selectors.note_get(user=request.user, pk=pk)
    except CustomerNote.DoesNotExist as error:
        raise Http404 from error
    form = NotePinForm(request.POST)
    if form.is_valid():
        try:
            services.note_update(
                actor=request.user,
                note=note,
                version=form.cleaned_data["version"],
                pinned=form.cleaned_data["pinned"],
            )
        except (ValidationError, ConflictError) as error:
            text = error.messages if isinstance(error, ValidationError) else [str(error)]
            messages.error(request, " ".join(text))
        else:
            if form.cleaned_data["pinned"]:
                messages.success(request, _("Note pinned."))
            else:
                messages.success(request, _("Note unpinned."))
    return redirect(_customer_page(note.customer))


# --- the owner's overrides and one's settings ---------------------------------------


@capability_required(Capability.PIPELINE_CONFIGURE)
def override_list(request):
    """Every contact let over a contact-pressure limit: who, when, whom, how, and why."""
    rows = [
        {"row": row, "planned": isinstance(row, Activity)}
        for row in selectors.override_list(user=request.user)
    ]
    return render(request, "relations/agenda/overrides.html", {"rows": rows})


def _settings_page(request, *, secret: str = ""):
    agenda_settings = selectors.agenda_settings(user=request.user)
    feed_url = ""
    if secret:
        feed_url = request.build_absolute_uri(reverse("relations:calendar_feed", args=[secret]))
    context = {
        "agenda_settings": agenda_settings,
        "digest_hour": time(hour=settings.CLIENTELA_DIGEST_HOUR),
        "feed_on": bool(agenda_settings.feed_digest),
        "feed_url": feed_url,
        "digest_form": DigestForm(initial={"morning_digest": agenda_settings.morning_digest}),
    }
    return render(request, "relations/agenda/settings.html", context)


@capability_required(Capability.ACTIVITY_EDIT)
def agenda_settings(request):
    """The user's calendar feed (turned on, a new address, turned off) and morning
    digest. A feed's address is shown once, when it is made."""
    if request.method != "POST":
        return _settings_page(request)
    action = request.POST.get("action", "")
    if action in {"feed_on", "feed_new"}:
        secret = services.agenda_feed_issue(user=request.user)
        if action == "feed_new":
            messages.success(request, _("A new address is made: the old one no longer works."))
        return _settings_page(request, secret=secret)
    if action == "feed_off":
        services.agenda_feed_revoke(user=request.user)
        messages.success(request, _("The calendar feed is off: its address no longer works."))
    elif action == "digest":
        form = DigestForm(request.POST)
        form.is_valid()
        on = bool(form.cleaned_data.get("morning_digest"))
        services.agenda_digest_set(user=request.user, on=on)
        if on:
            messages.success(request, _("Your day's activities will come by e-mail each morning."))
        else:
            messages.success(request, _("The morning e-mail is off."))
    return redirect("relations:agenda_settings")
