"""Staff pages of the customer catalog: parse the request, call a selector or a service, render."""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.core.access import Capability
from clientela.core.errors import ConflictError
from clientela.core.locale import business_language
from clientela.core.pagination import CappedPaginator
from clientela.customers import selectors, services
from clientela.customers.forms import (
    AddressForm,
    AnonymiseForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    MergeForm,
)
from clientela.customers.matching import search_terms
from clientela.customers.models import Customer
from clientela.customers.panels import customer_panels
from clientela.customers.sheet import customer_rows
from clientela.customers.timeline import customer_timeline, timeline_kinds
from clientela.customers.vcard import customer_vcards
from clientela.sheets.downloads import table_download, vcard_download
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error
from clientela.web.list_actions import list_default_name
from clientela.web.templatetags.clientela import country_name, format_phone, tax_id

RESULTS_TARGET = "customer-results"


def _customer(request, pk: int) -> Customer:
    """The customer the user may see, or 404."""
    try:
        return selectors.customer_get(user=request.user, pk=pk)
    except Customer.DoesNotExist as error:
        raise Http404 from error


def _survivor(customer: Customer) -> Customer:
    while customer.merged_into_id:
        customer = customer.merged_into
    return customer


def _redirect_if_merged(request, customer: Customer):
    """A redirect to the customer a merged one lives on in, with a message; else None."""
    if not customer.merged_into_id:
        return None
    survivor = _survivor(customer)
    messages.info(
        request,
        _("“%(name)s” was merged into this customer; you are seeing the record that remains.")
        % {"name": customer.name},
    )
    return redirect("customers:detail", pk=survivor.pk)


def _refuse_if_frozen(request, customer: Customer):
    """A redirect away from an edit page of a merged or anonymised customer; else None."""
    if merged := _redirect_if_merged(request, customer):
        return merged
    if customer.anonymized_at:
        messages.error(request, _("This customer was anonymised and cannot be changed."))
        return redirect("customers:detail", pk=customer.pk)
    return None


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


# --- list and search ----------------------------------------------------------------


def _segment_conditions(filters: CustomerFilterForm) -> list[dict]:
    """The list's search and filters as segment conditions (decision 0016), for "Save
    as segment"; empty when nothing is filtered (a segment names at least one
    condition)."""
    arguments = filters.selector_arguments()
    conditions: list[dict] = []
    if search_terms(arguments["search"]):
        conditions.append({"field": "search", "op": "contains", "value": arguments["search"]})
    if arguments["new_since"]:
        since = arguments["new_since"].isoformat()
        conditions.append(
            {"field": "customer_since", "op": "between", "value": {"from": since, "to": None}}
        )
    if arguments["tag"]:
        conditions.append({"field": "tag", "op": "in", "value": [arguments["tag"]]})
    if arguments["owner"]:
        conditions.append({"field": "owner", "op": "in", "value": [str(arguments["owner"])]})
    if arguments["source"]:
        conditions.append({"field": "source", "op": "in", "value": [arguments["source"]]})
    if arguments["city"]:
        conditions.append({"field": "city", "op": "in", "value": [arguments["city"]]})
    if arguments["not_contacted_days"]:
        conditions.append(
            {
                "field": "not_contacted_days",
                "op": "at_least",
                "value": arguments["not_contacted_days"],
            }
        )
    return conditions


def _segment_name(filters: CustomerFilterForm) -> str:
    data = filters.cleaned_data
    labels = [f"“{data['q'].strip()}”"] if data.get("q", "").strip() else []
    labels += [
        str(dict(filters.fields[name].choices).get(data.get(name), ""))
        for name in ("tag", "owner", "source", "city", "not_contacted")
        if name in filters.fields and data.get(name)
    ]
    return list_default_name(_("Customers"), labels)


@capability_required(Capability.CUSTOMER_VIEW)
def customer_list(request):
    """The catalog: search, filters, sortable columns, pages; htmx swaps only the results."""
    filters = CustomerFilterForm(request.GET, user=request.user)
    filters.is_valid()
    queryset = selectors.customer_list(user=request.user, **filters.selector_arguments())
    page = CappedPaginator(queryset, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    context = {
        "filters": filters,
        "page": page,
        "ordering": filters.cleaned_data.get("ordering") or "name",
        "filtered": filters.is_filtered(),
        "segment_conditions": _segment_conditions(filters),
        "segment_name": _segment_name(filters),
    }
    partial = bool(
        request.htmx
        and request.htmx.target == RESULTS_TARGET
        and not request.htmx.history_restore_request
    )
    context["partial"] = partial
    template = "customers/_results.html" if partial else "customers/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@capability_required(Capability.CUSTOMER_VIEW)
def customer_export(request):
    """The list as searched and filtered, every page of it, as ``?format=`` csv or xlsx
    (the columns the import reads back, by customer number) or vcf (the contacts, in the
    list's order)."""
    filters = CustomerFilterForm(request.GET, user=request.user)
    filters.is_valid()
    customers = selectors.customer_list(
        user=request.user, all_matches=True, **filters.selector_arguments()
    )
    name = _("customers")
    if request.GET.get("format") == "vcf":
        return vcard_download(customer_vcards(customers), name=name)
    return table_download(
        customer_rows(customers), name=name, file_format=request.GET.get("format")
    )


@capability_required(Capability.CUSTOMER_VIEW)
def customer_lookup(request):
    """Suggestions (``<option>`` elements) for a pick-a-customer input."""
    search = request.GET.get("q") or request.GET.get("referred_by") or ""
    customers = selectors.customer_lookup(user=request.user, search=search)
    return render(request, "customers/_lookup_options.html", {"customers": customers})


# --- one customer -------------------------------------------------------------------


def _timeline_context(request, customer: Customer) -> dict:
    """A page of the customer's timeline, of the kinds the request asks for."""
    kinds = [kind for kind in request.GET.getlist("kind") if kind]
    page = customer_timeline(
        customer=customer, user=request.user, kinds=kinds, before=request.GET.get("before", "")
    )
    return {
        "timeline": page.items,
        "timeline_next": page.next,
        "timeline_kinds": timeline_kinds(),
        "timeline_chosen": kinds,
    }


@capability_required(Capability.CUSTOMER_VIEW)
def customer_timeline_page(request, pk: int):
    """The next page of a customer's timeline (the "older" button), or the first page
    of other kinds (the filter), as the list's items for htmx to put in place."""
    customer = _customer(request, pk)
    if not request.htmx:  # a plain link: the customer's page at that point of the timeline
        query = request.GET.urlencode()
        return redirect(f"{reverse('customers:detail', args=[pk])}?{query}#timeline")
    context = {"customer": customer, **_timeline_context(request, customer)}
    older = bool(request.GET.get("before"))
    return render(
        request, "customers/_timeline_items.html" if older else "customers/_timeline.html", context
    )


@capability_required(Capability.CUSTOMER_VIEW)
def customer_detail(request, pk: int):
    """Everything about one customer, with its possible duplicates and its timeline."""
    customer = _customer(request, pk)
    if moved := _redirect_if_merged(request, customer):
        return moved
    context = {
        "customer": customer,
        "tags": selectors.customer_tags(customer=customer),
        "duplicates": [
            {
                "pair": pair,
                "other": pair.other if pair.customer_id == customer.pk else pair.customer,
            }
            for pair in selectors.duplicate_list(user=request.user, customer=customer)
        ],
        **_timeline_context(request, customer),
        "panels": customer_panels(customer=customer, user=request.user),
        "editable": customer.anonymized_at is None,
        "consents": [
            (getattr(customer, name), Customer._meta.get_field(name).verbose_name)
            for name in ("consent_email", "consent_phone", "consent_sms", "consent_mail")
        ],
    }
    return render(request, "customers/detail.html", context)


@capability_required(Capability.CUSTOMER_VIEW)
def customer_vcard(request, pk: int):
    """The customer's contacts as vCards (a .vcf file) for a phone or a mail program."""
    customer = _customer(request, pk)
    customers = selectors.customer_visible(user=request.user).filter(pk=customer.pk)
    name = slugify(customer.name, allow_unicode=True) or str(customer.pk)
    return vcard_download(customer_vcards(customers), name=name)


@capability_required(Capability.CUSTOMER_EDIT)
def customer_create(request):
    """Add a customer; errors from the services show beside their fields."""
    form = CustomerForm(
        request.POST or None,
        user=request.user,
        initial={
            "kind": "business",
            "country": settings.CLIENTELA_DEFAULT_COUNTRY,
            "language": business_language(),
            "owner": request.user.pk,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Customer “%(name)s” added.") % {"name": customer.name})
            _warn_duplicates(request, customer)
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": None})


def _warn_duplicates(request, customer: Customer) -> None:
    count = selectors.duplicate_list(user=request.user, customer=customer).count()
    if count:
        messages.warning(
            request,
            _("This customer looks like %(count)s other customer(s); see “Possible duplicates”.")
            % {"count": count},
        )


@capability_required(Capability.CUSTOMER_EDIT)
def customer_edit(request, pk: int):
    """Change a customer; a save based on an outdated version is refused, input kept."""
    customer = _customer(request, pk)
    if refused := _refuse_if_frozen(request, customer):
        return refused
    if request.method != "POST":
        form = CustomerForm(
            initial=CustomerForm.initial_for(customer), user=request.user, customer=customer
        )
        return render(request, "customers/form.html", {"form": form, "customer": customer})
    form = CustomerForm(request.POST, user=request.user, customer=customer)
    if form.is_valid():
        arguments = form.service_arguments()
        try:
            services.customer_update(
                actor=request.user,
                customer=customer,
                version=form.cleaned_data["version"],
                **arguments,
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error)
            customer = _customer(request, pk)  # the service changed the object in memory
        else:
            messages.success(request, _("Changes saved."))
            _warn_duplicates(request, customer)
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/form.html",
        {"form": form, "customer": customer, "conflict": _has_conflict(form)},
    )


def _has_conflict(form) -> bool:
    return any(str(ConflictError()) == str(message) for message in form.non_field_errors())


@capability_required(Capability.CUSTOMER_PRIVACY)
def customer_personal_data(request, pk: int):
    """Download everything personal kept about the customer, as JSON."""
    customer = _customer(request, pk)
    data = selectors.customer_personal_data(customer=customer)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.json"'
    return response


@capability_required(Capability.CUSTOMER_PRIVACY)
def customer_anonymise(request, pk: int):
    """Erase the customer's personal data after a confirmation that says why."""
    customer = _customer(request, pk)
    if refused := _refuse_if_frozen(request, customer):
        return refused
    form = AnonymiseForm(request.POST or None, initial={"version": customer.version})
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["version"] != customer.version:
                raise ConflictError(customer.version)
            services.customer_anonymize(
                actor=request.user, customer=customer, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error)
            customer = _customer(request, pk)
        else:
            messages.success(request, _("The customer's personal data was erased."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/anonymise.html", {"form": form, "customer": customer})


# --- contacts and addresses ---------------------------------------------------------


def _child(customer: Customer, related: str, pk: int):
    row = getattr(customer, related).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def _child_form(request, pk: int, *, kind: str, child_pk: int | None = None):
    """Add (``child_pk`` None) or edit a contact or an address of a customer."""
    customer = _customer(request, pk)
    if refused := _refuse_if_frozen(request, customer):
        return refused
    form_class, related = {
        "contact": (ContactForm, "contacts"),
        "address": (AddressForm, "addresses"),
    }[kind]
    row = _child(customer, related, child_pk) if child_pk else None
    if row is None:
        initial = {"country": customer.country}
    else:
        initial = {name: getattr(row, name) for name in form_class.FIELDS}
        initial["version"] = row.version
    form = form_class(request.POST or None, initial=initial, editing=row is not None)
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            if row is None:
                create = services.contact_create if kind == "contact" else services.address_create
                create(actor=request.user, customer=customer, **arguments)
            elif kind == "contact":
                services.contact_update(
                    actor=request.user,
                    contact=row,
                    version=form.cleaned_data["version"],
                    **arguments,
                )
            else:
                services.address_update(
                    actor=request.user,
                    address=row,
                    version=form.cleaned_data["version"],
                    **arguments,
                )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(reverse("customers:detail", args=[customer.pk]) + f"#{related}")
    return render(
        request,
        "customers/child_form.html",
        {"form": form, "customer": customer, "kind": kind, "row": row},
    )


@capability_required(Capability.CUSTOMER_EDIT)
def contact_create(request, pk: int):
    """Add a contact person to a customer."""
    return _child_form(request, pk, kind="contact")


@capability_required(Capability.CUSTOMER_EDIT)
def contact_edit(request, pk: int, contact_pk: int):
    """Change a contact person."""
    return _child_form(request, pk, kind="contact", child_pk=contact_pk)


@capability_required(Capability.CUSTOMER_EDIT)
def address_create(request, pk: int):
    """Add a delivery address to a customer."""
    return _child_form(request, pk, kind="address")


@capability_required(Capability.CUSTOMER_EDIT)
def address_edit(request, pk: int, address_pk: int):
    """Change a delivery address."""
    return _child_form(request, pk, kind="address", child_pk=address_pk)


def _child_delete(request, pk: int, *, kind: str, child_pk: int):
    customer = _customer(request, pk)
    if refused := _refuse_if_frozen(request, customer):
        return refused
    related = "contacts" if kind == "contact" else "addresses"
    row = _child(customer, related, child_pk)
    if request.method == "POST":
        try:
            if kind == "contact":
                services.contact_delete(actor=request.user, contact=row)
            else:
                services.address_delete(actor=request.user, address=row)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(reverse("customers:detail", args=[customer.pk]) + f"#{related}")
        messages.success(request, _("Deleted: %(what)s.") % {"what": str(row)})
        return redirect(reverse("customers:detail", args=[customer.pk]) + f"#{related}")
    return render(
        request, "customers/child_delete.html", {"customer": customer, "kind": kind, "row": row}
    )


@capability_required(Capability.CUSTOMER_EDIT)
def contact_delete(request, pk: int, contact_pk: int):
    """Confirm (GET) and delete (POST) a contact person."""
    return _child_delete(request, pk, kind="contact", child_pk=contact_pk)


@capability_required(Capability.CUSTOMER_EDIT)
def address_delete(request, pk: int, address_pk: int):
    """Confirm (GET) and delete (POST) an address."""
    return _child_delete(request, pk, kind="address", child_pk=address_pk)


@require_POST
@capability_required(Capability.CUSTOMER_EDIT)
def address_make_default(request, pk: int, address_pk: int):
    """Make an address the customer's default one."""
    customer = _customer(request, pk)
    if refused := _refuse_if_frozen(request, customer):
        return refused
    address = _child(customer, "addresses", address_pk)
    try:
        services.address_update(
            actor=request.user,
            address=address,
            version=int(request.POST.get("version") or 0),
            is_default=True,
        )
    except ConflictError as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Default address changed."))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#addresses")


# --- duplicates ---------------------------------------------------------------------


@capability_required(Capability.CUSTOMER_VIEW)
def duplicate_list(request):
    """Pairs of customers that look like the same one, best match first."""
    pairs = selectors.duplicate_list(user=request.user)
    page = CappedPaginator(pairs, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    return render(request, "customers/duplicates.html", {"page": page})


def _pair(request, pk: int):
    candidate = selectors.duplicate_list(user=request.user).filter(pk=pk).first()
    if candidate is None:
        raise Http404
    return candidate


@capability_required(Capability.CUSTOMER_VIEW)
def duplicate_compare(request, pk: int):
    """The two customers of a pair side by side, to merge them or say they differ."""
    candidate = _pair(request, pk)
    left = _customer(request, candidate.customer_id)
    right = _customer(request, candidate.other_id)
    rows = _comparison_rows(left, right)
    return render(
        request,
        "customers/duplicate_compare.html",
        {"candidate": candidate, "left": left, "right": right, "rows": rows, "form": MergeForm()},
    )


def _comparison_rows(left: Customer, right: Customer) -> list[dict]:
    """(label, left value, right value, differ) for the fields people compare."""

    def values(customer: Customer) -> dict:
        address = next(iter(customer.addresses.all()), None)
        return {
            _("Name"): customer.name,
            _("Legal name"): customer.legal_name,
            _("Tax id"): tax_id(customer),
            _("Country"): country_name(customer.country),
            _("E-mails"): ", ".join(e.email for e in customer.emails.all()),
            _("Phones"): ", ".join(format_phone(p.number) for p in customer.phones.all()),
            _("Address"): str(address) if address else "",
            _("Contacts"): ", ".join(c.name for c in customer.contacts.all()),
            _("Owner"): str(customer.owner or ""),
            _("Source"): customer.get_source_display(),
            _("Tags"): ", ".join(link.tag.name for link in customer.customer_tags.all()),
        }

    left_values, right_values = values(left), values(right)
    return [
        {
            "label": label,
            "left": left_values[label] or "—",
            "right": right_values[label] or "—",
            "differ": left_values[label] != right_values[label],
        }
        for label in left_values
    ]


@require_POST
@capability_required(Capability.CUSTOMER_MERGE)
def duplicate_merge(request, pk: int):
    """Merge the pair into the customer the user chose to keep."""
    candidate = _pair(request, pk)
    form = MergeForm(request.POST)
    pair = {candidate.customer_id, candidate.other_id}
    if not form.is_valid() or form.cleaned_data["survivor"] not in pair:
        messages.error(request, _("Choose which of the two customers to keep."))
        return redirect("customers:duplicate", pk=pk)
    survivor_pk = form.cleaned_data["survivor"]
    survivor = _customer(request, survivor_pk)
    duplicate = _customer(request, (pair - {survivor_pk}).pop())
    try:
        for customer in (survivor, duplicate):
            seen = request.POST.get(f"version_{customer.pk}", "")
            if seen.isdigit() and int(seen) != customer.version:
                raise ConflictError(customer.version)  # changed since the user compared them
        services.customers_merge(
            actor=request.user,
            survivor=survivor,
            duplicate=duplicate,
            reason=form.cleaned_data["reason"],
        )
    except ConflictError as error:
        messages.error(request, str(error))
        return redirect("customers:duplicate", pk=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("customers:duplicate", pk=pk)
    messages.success(
        request,
        _("“%(duplicate)s” was merged into “%(survivor)s”.")
        % {"duplicate": duplicate.name, "survivor": survivor.name},
    )
    return redirect("customers:detail", pk=survivor.pk)


@require_POST
@capability_required(Capability.CUSTOMER_MERGE)
def duplicate_dismiss(request, pk: int):
    """Mark a pair as two different customers; it is not proposed again."""
    candidate = _pair(request, pk)
    services.duplicate_dismiss(actor=request.user, candidate=candidate)
    messages.success(request, _("Marked as not a duplicate."))
    return redirect(_safe_next(request, reverse("customers:duplicates")))
