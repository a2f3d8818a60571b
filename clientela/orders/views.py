"""Staff pages of the order book: parse the request, call a selector or a service, render."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.core.access import Capability, user_can
from clientela.core.errors import ConflictError
from clientela.core.money import money_round
from clientela.core.pagination import CappedPaginator, CountedRows
from clientela.customers.selectors import customer_find, customer_pick
from clientela.customers.selectors import customer_lookup as customer_lookup_selector
from clientela.orders import selectors, services
from clientela.orders.forms import (
    ActualDatesForm,
    LateOrderFilterForm,
    LeadTimeFilterForm,
    LineFormSet,
    MoneyOwedFilterForm,
    OrderFilterForm,
    OrderForm,
    PaymentForm,
    ProductFilterForm,
    ProductForm,
    TransitionForm,
)
from clientela.orders.models import (
    ORDER_TRANSITIONS,
    Order,
    OrderStatus,
    Product,
)
from clientela.orders.rules import order_change_problems
from clientela.orders.sheet.orders import order_rows
from clientela.orders.sheet.products import product_rows
from clientela.sheets.downloads import Column, column_rows, records, table_download
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error
from clientela.web.templatetags.clientela import money

RESULTS_TARGET = "order-results"
OWED_RESULTS_TARGET = "owed-results"
PRODUCT_RESULTS_TARGET = "product-results"
LINES_PREFIX = "lines"
# The order in which the next steps are offered; cancelling comes last.
STEP_ORDER = [
    OrderStatus.CONFIRMED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.READY,
    OrderStatus.DELIVERED,
    OrderStatus.CANCELLED,
]


# --- reads the selectors do not offer (yet) ------------------------------------------


# --- helpers ------------------------------------------------------------------------


def _is_partial(request, target: str) -> bool:
    return bool(
        request.htmx and request.htmx.target == target and not request.htmx.history_restore_request
    )


def _has_conflict(form) -> bool:
    return any(str(ConflictError()) == str(message) for message in form.non_field_errors())


# --- products -----------------------------------------------------------------------


def _product(pk: int) -> Product:
    try:
        return selectors.product_get(pk=pk)
    except Product.DoesNotExist as error:
        raise Http404 from error


def _products(request):
    """The product list's filters and its products, for the page and its export."""
    filters = ProductFilterForm(request.GET, categories=selectors.product_categories())
    filters.is_valid()
    return filters, selectors.product_list(**filters.selector_arguments())


@capability_required(Capability.ORDER_VIEW)
def product_list(request):
    """The products: search by SKU or name, filter by category and whether still sold."""
    filters, queryset = _products(request)
    page = CappedPaginator(queryset, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    partial = _is_partial(request, PRODUCT_RESULTS_TARGET)
    context = {
        "filters": filters,
        "page": page,
        "filtered": filters.is_filtered(),
        "partial": partial,
    }
    template = "orders/_product_results.html" if partial else "orders/product_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@capability_required(Capability.ORDER_VIEW)
def product_export(request):
    """The product list as filtered, every page of it, as ``?format=`` csv or xlsx (the
    columns the product import reads back)."""
    _filters, products = _products(request)
    return table_download(
        product_rows(products), name=_("products"), file_format=request.GET.get("format")
    )


@capability_required(Capability.PRODUCT_EDIT)
def product_create(request):
    """Add a product; errors from the services show beside their fields."""
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Product “%(name)s” added.") % {"name": product.name})
            return redirect("orders:products")
    return render(request, "orders/product_form.html", {"form": form, "product": None})


@capability_required(Capability.PRODUCT_EDIT)
def product_edit(request, pk: int):
    """Change a product; a save based on an outdated version is refused, input kept."""
    product = _product(pk)
    if request.method != "POST":
        form = ProductForm(initial=ProductForm.initial_for(product), product=product)
        return render(request, "orders/product_form.html", {"form": form, "product": product})
    form = ProductForm(request.POST, product=product)
    if form.is_valid():
        try:
            services.product_update(
                actor=request.user,
                product=product,
                version=form.cleaned_data["version"],
                **form.service_arguments(),
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error)
            product = _product(pk)  # the service changed the object in memory
        else:
            messages.success(request, _("Changes saved."))
            return redirect("orders:products")
    return render(
        request,
        "orders/product_form.html",
        {"form": form, "product": product, "conflict": _has_conflict(form)},
    )


def _product_set_active(request, pk: int, active: bool):
    product = _product(pk)
    try:
        if active:
            services.product_reactivate(actor=request.user, product=product)
        else:
            services.product_deactivate(actor=request.user, product=product)
    except ConflictError as error:
        messages.error(request, str(error))
    else:
        if active:
            message = _("“%(name)s” is sold again.")
        else:
            message = _("“%(name)s” is no longer sold; orders that have it keep it.")
        messages.success(request, message % {"name": product.name})
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("orders:products")
    return redirect(target)


@require_POST
@capability_required(Capability.PRODUCT_EDIT)
def product_deactivate(request, pk: int):
    """Stop selling a product."""
    return _product_set_active(request, pk, active=False)


@require_POST
@capability_required(Capability.PRODUCT_EDIT)
def product_reactivate(request, pk: int):
    """Sell a product again."""
    return _product_set_active(request, pk, active=True)


# --- the order list -----------------------------------------------------------------


def _orders(request):
    """The order list's filters, their values and its orders, for the page and its export."""
    filters = OrderFilterForm(request.GET)
    filters.is_valid()
    arguments = filters.selector_arguments(user=request.user)
    return filters, arguments, selectors.order_list(user=request.user, **arguments)


@capability_required(Capability.ORDER_VIEW)
def order_list(request):
    """The orders: filters by status, customer, money owed and due dates; htmx swaps the rows."""
    filters, arguments, queryset = _orders(request)
    page = CappedPaginator(queryset, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    customer = None
    if arguments["customer"]:
        customer = customer_find(user=request.user, pk=arguments["customer"])
    partial = _is_partial(request, RESULTS_TARGET)
    context = {
        "filters": filters,
        "page": page,
        "filtered": filters.is_filtered(),
        "owing": arguments["owing"],
        "customer": customer,
        "partial": partial,
    }
    template = "orders/_results.html" if partial else "orders/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@capability_required(Capability.ORDER_VIEW)
def order_export(request):
    """The order list as filtered, every page of it, as ``?format=`` csv or xlsx: one row
    per line, the columns the order import reads back."""
    _filters, _arguments, orders = _orders(request)
    return table_download(
        order_rows(orders), name=_("orders"), file_format=request.GET.get("format")
    )


# --- money owed -------------------------------------------------------------------------


def _money_owed(request):
    """The money-owed page's filters, what they chose, and its rows (orders or
    customers), for the page and its export."""
    filters = MoneyOwedFilterForm(request.GET)
    chosen = filters.choices(request.user)
    narrowing = {"user": request.user, "owner": chosen["owner"], "aging": chosen["aging"]}
    if chosen["by"] == "customers":
        rows = selectors.money_owed_customers(**narrowing, sort=chosen["sort"])
    else:
        rows = selectors.money_owed_orders(
            **narrowing, customer=chosen["customer"], sort=chosen["sort"]
        )
    return filters, chosen, rows


@capability_required(Capability.ORDER_VIEW)
def money_owed(request):
    """What customers owe: the total and its aging, then per order (each with "Record
    payment") or per customer, sortable by days overdue; htmx swaps the rows."""
    filters, chosen, rows = _money_owed(request)
    page = CappedPaginator(rows, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    customer = None
    if chosen["customer"] and chosen["by"] == "orders":
        customer = customer_find(user=request.user, pk=chosen["customer"])
    partial = _is_partial(request, OWED_RESULTS_TARGET)
    context = {
        "filters": filters,
        "chosen": chosen,
        "page": page,
        "customer": customer,
        "partial": partial,
        "can_pay": user_can(request.user, Capability.PAYMENT_RECORD),
    }
    if not partial:
        context["totals"] = selectors.money_owed_totals(
            user=request.user,
            owner=chosen["owner"],
            customer=customer.pk if customer else None,
        )
    template = "orders/_owed_results.html" if partial else "orders/money_owed.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# The columns of the money owed, per order and per customer.
OWED_ORDER_COLUMNS = (
    Column(gettext_lazy("Number"), lambda order: order.pk),
    Column(gettext_lazy("Reference"), lambda order: order.reference),
    Column(gettext_lazy("Customer"), lambda order: order.customer.name),
    Column(gettext_lazy("Due"), lambda order: order.due_date),
    Column(gettext_lazy("Days overdue"), lambda order: max(order.days_overdue, 0)),
    Column(gettext_lazy("Total"), lambda order: order.total),
    Column(gettext_lazy("Paid"), lambda order: order.paid),
    Column(gettext_lazy("Balance"), lambda order: order.balance),
    Column(gettext_lazy("Currency"), lambda order: order.currency),
)
OWED_CUSTOMER_COLUMNS = (
    Column(gettext_lazy("Customer"), lambda row: row["customer__name"]),
    Column(gettext_lazy("Orders"), lambda row: row["orders"]),
    Column(gettext_lazy("Owed"), lambda row: money_round(row["owed"], row["currency"])),
    Column(gettext_lazy("Overdue"), lambda row: money_round(row["overdue"], row["currency"])),
    Column(gettext_lazy("Oldest due"), lambda row: row["oldest_due"]),
    Column(gettext_lazy("Days overdue"), lambda row: max(row["days_overdue"], 0)),
    Column(gettext_lazy("Currency"), lambda row: row["currency"]),
)


@capability_required(Capability.ORDER_VIEW)
def money_owed_export(request):
    """The money owed as shown (per order or per customer, filtered and sorted), every
    page of it, as ``?format=`` csv or xlsx."""
    _filters, chosen, rows = _money_owed(request)
    columns = OWED_CUSTOMER_COLUMNS if chosen["by"] == "customers" else OWED_ORDER_COLUMNS
    return table_download(
        column_rows(columns, records(rows)),
        name=_("money owed"),
        file_format=request.GET.get("format"),
    )


@capability_required(Capability.ORDER_VIEW)
def customer_lookup(request):
    """Suggestions for the order form's customer combobox: the options of its listbox,
    found as the customer list searches."""
    search = request.GET.get("customer") or request.GET.get("q") or ""
    customers = customer_lookup_selector(user=request.user, search=search)
    return render(request, "orders/_customer_options.html", {"customers": customers})


@capability_required(Capability.ORDER_VIEW)
def address_options(request):
    """The ``<option>`` elements of a customer's addresses (``?customer=`` its number or
    name), and whether it has none, for the order form."""
    customer, _matches = customer_pick(user=request.user, text=request.GET.get("customer", ""))
    choices = OrderForm.address_choices(customer)
    return render(
        request,
        "orders/_address_options.html",
        {"choices": choices, "selected": "", "customer": customer, "oob": True},
    )


@require_POST
@capability_required(Capability.ORDER_EDIT)
def lines_total(request, pk: int | None = None):
    """The order form's running total of its lines, as the order (order ``pk`` when it is
    being changed) would be priced, and why a line that does not read yet is not counted."""
    order = None if pk is None else _order(request, pk)
    formset = _line_formset(request, kept=_products_on(order))
    total, refused = services.order_lines_total(lines=formset.priced_lines(), order=order)
    return render(
        request,
        "orders/_lines_total.html",
        {"lines_total": total, "uncounted": formset.uncounted_lines(refused)},
    )


# --- creating and changing an order -------------------------------------------------


def _order(request, pk: int) -> Order:
    """The order the user may see, or 404."""
    try:
        return selectors.order_get(user=request.user, pk=pk)
    except Order.DoesNotExist as error:
        raise Http404 from error


def _product_choices(
    kept: set[int] = frozenset(),
) -> tuple[dict[int, Product], list, dict[int, str]]:
    """The products a line may take (the active ones and those already on the order),
    their choices and their prices as people read them."""
    products = list(Product.objects.filter(Q(is_active=True) | Q(pk__in=kept)).order_by("name"))
    by_id = {product.pk: product for product in products}
    choices = [("", _("Choose a product…"))]
    prices = {}
    for product in products:
        label = f"{product.name} · {product.sku}"
        if not product.is_active:
            label += " · " + _("no longer sold")
        choices.append((product.pk, label))
        prices[product.pk] = _("%(price)s per %(unit)s") % {
            "price": money(product.unit_price, product.currency),
            "unit": product.unit,
        }
    return by_id, choices, prices


def _products_on(order: Order | None) -> set[int]:
    """The products already on ``order`` (a line may keep one that is no longer sold)."""
    return set() if order is None else {line.product_id for line in order.lines.all()}


def _line_formset(request, *, initial=None, kept=frozenset()):
    """The lines formset; "Add a line" re-renders it with one more empty line."""
    products, choices, prices = _product_choices(set(kept))
    form_kwargs = {"products": products, "product_choices": choices, "prices": prices}
    if request.method != "POST":
        return LineFormSet(prefix=LINES_PREFIX, initial=initial, form_kwargs=form_kwargs)
    data = request.POST
    if "add_line" in data:
        data = data.copy()
        key = f"{LINES_PREFIX}-TOTAL_FORMS"
        data[key] = str(int(data.get(key) or 0) + 1)
    return LineFormSet(data, prefix=LINES_PREFIX, initial=initial, form_kwargs=form_kwargs)


def _quiet(form, formset) -> None:
    """Show what was typed without judging it: "Add a line" is not a save."""
    form._errors = ErrorDict()
    form.cleaned_data = {}
    formset._errors = [ErrorDict() for _line in formset.forms]
    formset._non_form_errors = formset.error_class()
    for line in formset.forms:
        line._errors = ErrorDict()
        line.cleaned_data = {}


def _order_form_page(request, context: dict):
    formset = context["formset"]
    context["lines_total"], _refused = services.order_lines_total(
        lines=formset.priced_lines(), order=context.get("order")
    )
    if request.method == "POST" and "add_line" in request.POST:
        _quiet(context["form"], formset)
    context["line_errors"] = any(form.errors for form in formset.forms) or bool(
        formset.non_form_errors()
    )
    return render(request, "orders/form.html", context)


def _lines_error(form, formset, chosen, error: ValidationError | ConflictError) -> None:
    """A service's refusal of an order on the form, each line's beside the line it was
    given (``chosen``: the formset's kept lines, in the order the service got them)."""
    form_add_service_error(
        form,
        error,
        rows_key="lines",
        rows=[line_form for line_form, _line in chosen],
        formset=formset,
    )


@capability_required(Capability.ORDER_EDIT)
def order_create(request):
    """A new draft order: the customer, dates, address and its lines."""
    customer = None
    if request.method != "POST" and (number := request.GET.get("customer", "")).isdigit():
        customer = customer_find(user=request.user, pk=int(number))
    initial = {"order_date": timezone.localdate()}
    if customer is not None:
        initial.update(customer=customer.name, customer_pick=customer.pk)
    form = OrderForm(request.POST or None, user=request.user, customer=customer, initial=initial)
    formset = _line_formset(request)
    if request.method == "POST" and "add_line" not in request.POST:
        form_valid, formset_valid = form.is_valid(), formset.is_valid()
        if form_valid and formset_valid:
            chosen = formset.chosen_lines()
            try:
                order = services.order_create(
                    actor=request.user,
                    lines=[line for _form, line in chosen],
                    **form.service_arguments(),
                )
            except ValidationError as error:
                _lines_error(form, formset, chosen, error)
            else:
                messages.success(
                    request, _("Order %(number)s saved as a draft.") % {"number": order.pk}
                )
                return redirect("orders:detail", pk=order.pk)
    return _order_form_page(
        request, {"form": form, "formset": formset, "order": None, "customer": form.chosen_customer}
    )


@capability_required(Capability.ORDER_EDIT)
def order_edit(request, pk: int):
    """Change an order's due date, address, notes and lines; confirmed ones need a reason."""
    order = _order(request, pk)
    closed = order_change_problems(status=order.status)
    if closed:
        for message in closed["status"]:
            messages.error(request, message)
        return redirect("orders:detail", pk=order.pk)
    renegotiating = order.status in services.RENEGOTIABLE
    lines = list(order.lines.all())
    initial_lines = [
        {
            "product": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
        }
        for line in lines
    ]
    form = OrderForm(
        request.POST or None,
        user=request.user,
        customer=order.customer,
        editing=True,
        renegotiating=renegotiating,
        initial={
            "delivery_address": order.delivery_address_id,
            "due_date": order.due_date,
            "notes": order.notes,
            "version": order.version,
        },
    )
    formset = _line_formset(request, initial=initial_lines, kept=_products_on(order))
    if request.method == "POST" and "add_line" not in request.POST:
        form_valid, formset_valid = form.is_valid(), formset.is_valid()
        if form_valid and formset_valid:
            chosen = formset.chosen_lines()
            arguments = form.service_arguments()
            try:
                services.order_update(
                    actor=request.user,
                    order=order,
                    version=form.cleaned_data["version"],
                    reason=arguments.pop("reason", ""),
                    lines=[line for _form, line in chosen],
                    **arguments,
                )
            except (ValidationError, ConflictError) as error:
                _lines_error(form, formset, chosen, error)
                order = _order(request, pk)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("orders:detail", pk=order.pk)
    return _order_form_page(
        request,
        {
            "form": form,
            "formset": formset,
            "order": order,
            "customer": order.customer,
            "conflict": _has_conflict(form),
        },
    )


# --- one order ----------------------------------------------------------------------


def _next_steps(order: Order) -> list[str]:
    allowed = ORDER_TRANSITIONS[order.status]
    return [step for step in STEP_ORDER if step in allowed]


def _step_labels() -> dict[str, str]:
    """What the button that moves an order to each status says."""
    return {
        OrderStatus.CONFIRMED: _("Confirm"),
        OrderStatus.IN_PRODUCTION: _("Start production"),
        OrderStatus.READY: _("Mark ready"),
        OrderStatus.DELIVERED: _("Mark delivered"),
        OrderStatus.CANCELLED: _("Cancel the order"),
    }


def _change_labels() -> dict[str, str]:
    """The name of each kind of renegotiated item (``OrderChange.changes[].what``)."""
    return {
        "due_date": _("Due date"),
        "delivery_address": _("Delivery address"),
        "quantity": _("Quantity"),
        "unit_price": _("Unit price"),
        "discount_percent": _("Discount %"),
        "line_added": _("Line added"),
        "line_removed": _("Line removed"),
        "production_finished_on": _("Production finished"),
        "delivered_on": _("Delivered"),
        "notes": _("Notes"),
    }


DATE_CHANGES = frozenset({"due_date", "production_finished_on", "delivered_on"})


def _shown_value(what: str, value: str, currency: str) -> str:
    """A logged old or new value as the user reads it: dates and money localized."""
    if not value:
        return ""
    if what in DATE_CHANGES:
        try:
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if what == "unit_price":
        try:
            return money(value, currency)
        except (ArithmeticError, ValueError):
            return value
    return value


def _timeline(order: Order) -> list[dict]:
    """The renegotiations of the order, newest first, in the customers' timeline shape."""
    labels = _change_labels()
    items = []
    for change in order.changes.all():  # newest first
        entries = []
        for entry in change.changes:
            what = entry.get("what", "")
            label = labels.get(what, what.replace("_", " "))
            if entry.get("product"):
                label = f"{label} · {entry['product']}"
            entries.append(
                {
                    "field": label,
                    "old": _shown_value(what, entry.get("old", ""), order.currency),
                    "new": _shown_value(what, entry.get("new", ""), order.currency),
                }
            )
        items.append(
            {
                "when": change.created_at,
                "who": change.changed_by,
                "reason": change.reason,
                "changes": entries,
            }
        )
    return items


def _detail(request, order: Order, *, status: int = 200, **bound):
    """The order page; ``bound`` holds a submitted form to show with its errors."""
    steps = []
    labels = _step_labels()
    for step in _next_steps(order):
        form = bound.get(f"move_{step}") or TransitionForm(
            to=step, prefix=step, initial={"version": order.version}
        )
        steps.append({"to": step, "label": labels[step], "form": form})
    recorded = [name for name in ("production_finished_on", "delivered_on") if getattr(order, name)]
    dates_form = bound.get("dates") or ActualDatesForm(
        recorded=recorded,
        prefix="dates",
        initial={
            "production_finished_on": order.production_finished_on,
            "delivered_on": order.delivered_on,
            "version": order.version,
        },
    )
    # "Record payment" from the money owed opens the form with the balance to pay.
    paying = request.GET.get("pay") == "1" and order.balance > 0
    payment_form = bound.get("payment") or PaymentForm(
        prefix="payment", initial={"amount": order.balance} if paying else None
    )
    can_edit = user_can(request.user, Capability.ORDER_EDIT)
    can_pay = user_can(request.user, Capability.PAYMENT_RECORD) and order.status not in (
        OrderStatus.DRAFT,
        OrderStatus.CANCELLED,
    )
    shown = {f"move_{step['to']}" for step in steps} if can_edit else set()
    shown |= {"dates"} if can_edit and recorded else set()
    shown |= {"payment"} if can_pay else set()
    for name, form in bound.items():
        if name not in shown:  # the order moved on meanwhile: say why it was refused
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "payments": list(order.payments.all()),
        "timeline": _timeline(order),
        "steps": steps if can_edit else [],
        "dates_form": dates_form if can_edit and recorded else None,
        "payment_form": payment_form if can_pay else None,
        "editable": can_edit and not order.is_closed,
        "open_form": next(iter(bound), "payment" if paying else ""),
    }
    return render(request, "orders/detail.html", context, status=status)


@capability_required(Capability.ORDER_VIEW)
def order_detail(request, pk: int):
    """Everything about one order: status and next steps, lines, money, its renegotiations."""
    return _detail(request, _order(request, pk))


@require_POST
@capability_required(Capability.ORDER_EDIT)
def order_transition(request, pk: int, to: str):
    """Move an order to its next status; errors show in the step's form on the order page."""
    order = _order(request, pk)
    if to not in OrderStatus.values:
        raise Http404
    form = TransitionForm(request.POST, to=to, prefix=to)
    if form.is_valid():
        try:
            services.order_transition(
                actor=request.user,
                order=order,
                version=form.cleaned_data["version"],
                to=to,
                reason=form.cleaned_data.get("reason", ""),
                on=form.cleaned_data.get("on"),
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(
                form, error, renamed={"production_finished_on": "on", "delivered_on": "on"}
            )
            order = _order(request, pk)
        else:
            messages.success(
                request,
                _("Order %(number)s: %(status)s.")
                % {"number": order.pk, "status": OrderStatus(to).label},
            )
            return redirect("orders:detail", pk=order.pk)
    return _detail(request, order, **{f"move_{to}": form})


@require_POST
@capability_required(Capability.ORDER_EDIT)
def order_dates(request, pk: int):
    """Correct the actual dates of production and delivery, with a reason."""
    order = _order(request, pk)
    recorded = [name for name in ("production_finished_on", "delivered_on") if getattr(order, name)]
    form = ActualDatesForm(request.POST, recorded=recorded, prefix="dates")
    if form.is_valid():
        try:
            services.order_record_dates(
                actor=request.user,
                order=order,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                **form.dates(),
            )
        except (ValidationError, ConflictError) as error:
            form_add_service_error(form, error)
            order = _order(request, pk)
        else:
            messages.success(request, _("Dates corrected."))
            return redirect(reverse("orders:detail", args=[order.pk]) + "#dates")
    return _detail(request, order, dates=form)


@require_POST
@capability_required(Capability.PAYMENT_RECORD)
def payment_create(request, pk: int):
    """Record money received for the order; the balance shows at once."""
    order = _order(request, pk)
    form = PaymentForm(request.POST, prefix="payment")
    if form.is_valid():
        try:
            services.payment_record(actor=request.user, order=order, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect(reverse("orders:detail", args=[order.pk]) + "#payments")
    return _detail(request, order, payment=form)


# --- lead times -----------------------------------------------------------------------


LATE_PREVIEW = 10  # late orders shown on the lead-time page; the rest on their own page


@capability_required(Capability.ORDER_VIEW)
def lead_times(request):
    """Promised against actual delivery per product, customer or month, with charts."""
    filters = LeadTimeFilterForm(request.GET)
    date_from, date_to, group_by = filters.period()
    period = {"user": request.user, "date_from": date_from, "date_to": date_to}
    totals = selectors.lead_time_totals(**period)
    rows = selectors.lead_time_report(**period, group_by=group_by)
    page = None
    if group_by == "customer":
        page = CappedPaginator(rows, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
        rows = list(page)
    labels = [
        formats.date_format(row.key, "YEAR_MONTH_FORMAT") if group_by == "month" else row.label
        for row in rows
    ]
    chart = {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": _("On time %"),
                    "data": [
                        round(row.on_time_rate * 100, 1) if row.on_time_rate is not None else None
                        for row in rows
                    ],
                    "yAxisID": "share",
                },
                {
                    "type": "line",
                    "label": _("Mean days late"),
                    "data": [round(row.mean_days_late, 2) for row in rows],
                    "yAxisID": "days",
                },
            ],
        },
        "options": {
            "scales": {
                "share": {"position": "left", "min": 0, "max": 100},
                "days": {"position": "right", "min": 0, "grid": {"drawOnChartArea": False}},
            }
        },
    }
    late = []
    if totals.outside_tolerance:
        late = list(selectors.lead_time_late_orders(**period)[:LATE_PREVIEW])
    return render(
        request,
        "orders/lead_times.html",
        {
            "filters": filters,
            "totals": totals,
            "rows": list(zip(labels, rows, strict=True)),
            "page": page,
            "chart": chart,
            "late": late,
            "group_by": group_by,
            "date_from": date_from,
            "date_to": date_to,
        },
    )


def _late_orders(request) -> tuple[dict, QuerySet[Order] | CountedRows[Order]]:
    """What the late orders are narrowed to (period, product, customer, month, the
    user's own customers) and the orders, for the page and its export; 404 for a
    product or customer not found."""
    filters = LateOrderFilterForm(request.GET)
    date_from, date_to, _group_by = filters.period()
    narrowing = filters.narrowing()
    product = customer = None
    if narrowing["product"]:
        product = _product(narrowing["product"])
    if narrowing["customer"]:
        customer = customer_find(user=request.user, pk=narrowing["customer"])
        if customer is None:
            raise Http404
    queryset = selectors.lead_time_late_orders(
        user=request.user,
        date_from=date_from,
        date_to=date_to,
        product=product,
        customer=customer.pk if customer else None,
        owner=request.user if narrowing["mine"] else None,
        month=narrowing["month"],
    )
    narrowed = {
        "filters": filters,
        "product": product,
        "customer": customer,
        "month": narrowing["month"],
        "date_from": date_from,
        "date_to": date_to,
    }
    return narrowed, queryset


@capability_required(Capability.ORDER_VIEW)
def late_orders(request):
    """Orders delivered outside their tolerance in a period, by product, customer or month."""
    narrowed, queryset = _late_orders(request)
    page = CappedPaginator(queryset, settings.CLIENTELA_PAGE_SIZE).page_from(request.GET)
    return render(
        request,
        "orders/late_orders.html",
        {
            "page": page,
            **narrowed,
        },
    )


# The columns of the late orders' list.
LATE_ORDER_COLUMNS = (
    Column(gettext_lazy("Number"), lambda order: order.pk),
    Column(gettext_lazy("Customer"), lambda order: order.customer.name),
    Column(gettext_lazy("Due"), lambda order: order.due_date),
    Column(gettext_lazy("Delivered"), lambda order: order.delivered_on),
    Column(gettext_lazy("Days late"), lambda order: order.days_late),
    Column(gettext_lazy("Tolerance (days)"), lambda order: order.tolerance),
)


@capability_required(Capability.ORDER_VIEW)
def late_order_export(request):
    """The late orders as narrowed, every page of them, as ``?format=`` csv or xlsx."""
    _narrowed, orders = _late_orders(request)
    if isinstance(orders, CountedRows):
        orders = orders.rows
    return table_download(
        column_rows(LATE_ORDER_COLUMNS, records(orders)),
        name=_("late orders"),
        file_format=request.GET.get("format"),
    )
