"""The sample spreadsheet the demo leaves in the data folder, to try the import on.

It is the bakery's customer book as an owner keeps it in Excel before Clientela: a title
and a blank row above the header; Spanish headers written every which way, with columns
the catalog has no field for; tax ids in lower case with spaces, phones typed with
brackets, dots or as plain numbers, e-mails in capitals with stray spaces, the day each
customer started ("Fecha de alta", a known customer's own) as an Excel date or typed
day-first. Some rows are customers the catalog already has (some bring something new,
some nothing; one shares its e-mail with an unmerged duplicate), most are new; one looks
like a customer already
there at the same address; one was typed twice; two have mistakes (an e-mail without a
domain, a tax id with a wrong check digit). The same seed writes the same file.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Count
from openpyxl import Workbook
from openpyxl.styles import Font

from clientela.customers.models import Customer, CustomerEmail
from clientela.demo import catalog

SAMPLE_FILE = "clientes-de-la-libreta.xlsx"
HEADERS = [
    "No.",
    "Nombre",
    "Razón social",
    "R.F.C.",
    "Tel.",
    "Correo electrónico",
    "Dirección de entrega",
    "Colonia",
    "C.P.",
    "Ciudad",
    "Etiquetas",
    "Observaciones",
    "Fecha de alta",
]
# New customers: name, street, neighbourhood, postal code, tags, note.
_NEW = [
    ("Cafetería El Portal", "Av. Álvaro Obregón 45", "Roma Norte", "06700", "Cafetería", ""),
    ("Restaurante Doña Chonita", "Calle Orizaba 210", "Roma Sur", "06760", "Restaurante", ""),
    ("Fonda La Güera", "Eje 6 Sur 1330", "Portales", "03300", "Fonda; Mayoreo", ""),
    ("Hotel Casa Azul", "Paseo de la Reforma 380", "Juárez", "06600", "Hotel", "Factura mensual"),
    ("Tienda Don Beto", "Calle Fresno 77", "Santa María la Ribera", "06400", "", ""),
    ("Taquería Los Compadres", "Av. Revolución 1520", "San Ángel", "01000", "Restaurante", ""),
    ("Cocina Económica Lupita", "Calle Zempoala 19", "Narvarte", "03020", "Fonda", ""),
    ("Banquetes Santa Fe", "Av. Vasco de Quiroga 3800", "Santa Fe", "05348", "Eventos", ""),
    ("Abarrotes La Esperanza", "Calle Manzanares 8", "Centro", "06020", "", "Paga en efectivo"),
    ("Cafetería Punto Norte", "Av. Insurgentes Norte 1100", "Lindavista", "07300", "", ""),
    ("Salón Los Arcos", "Calzada de Tlalpan 2950", "Coyoacán", "04460", "Eventos", ""),
    ("Repostería Mari", "Calle Dr. Vértiz 640", "Narvarte", "03020", "Reventa", ""),
]


def _phone(rng: random.Random) -> str | int:
    digits = "55" + "".join(rng.choice("0123456789") for _ in range(8))
    form = rng.randrange(4)
    if form == 0:
        return int(digits)  # typed as a number
    if form == 1:
        return f"({digits[:2]}) {digits[2:6]}-{digits[6:]}"
    if form == 2:
        return f"{digits[:2]}.{digits[2:6]}.{digits[6:]}"
    return f"+52 {digits[:2]} {digits[2:6]} {digits[6:]}"


def _added(rng: random.Random, known: date | None = None) -> date | str:
    """The day the customer started ("Fecha de alta"): ``known`` (a known customer's), or
    a day of 2019–2023; as an Excel date or typed day-first."""
    day = date(2019, 1, 1) + timedelta(days=rng.randrange(5 * 365))
    day = known or day
    return day if rng.random() < 0.6 else day.strftime("%d/%m/%Y")  # typed day-first


def _spaced(tax_id: str) -> str:
    return f"{tax_id[:-9]} {tax_id[-9:-3]} {tax_id[-3:]}".lower()


def _default_address(customer: Customer):
    addresses = sorted(customer.addresses.all(), key=lambda a: (not a.is_default, -a.pk))
    return addresses[0] if addresses else None


def _known_rows(rng: random.Random) -> list[list]:
    """Customers the catalog has: three as they are, two with a new phone or a note; one
    of them, when the demo has one, shares its e-mail with a near-duplicate not merged
    yet (as real catalogs do; its tax id still says which customer the row is)."""
    with_tax_id = (
        Customer.objects.exclude(tax_id="")
        .filter(merged_into__isnull=True, emails__isnull=False)
        .prefetch_related("emails", "addresses")
        .order_by("pk")
        .distinct()
    )
    shared = (
        CustomerEmail.objects.filter(customer__merged_into__isnull=True)
        .values("email")
        .annotate(customers=Count("customer"))
        .filter(customers__gt=1)
        .values("email")
    )
    duplicated = list(with_tax_id.filter(emails__email__in=shared)[:1])
    known = [c for c in with_tax_id[:40] if c not in duplicated]
    chosen = duplicated + rng.sample(known, min(5 - len(duplicated), len(known)))
    rows = []
    for index, customer in enumerate(chosen):
        email = customer.emails.all()[0].email
        address = _default_address(customer)
        rows.append(
            [
                customer.name,
                "",
                _spaced(customer.tax_id),
                _phone(rng) if index == 3 else "",
                f" {email.upper()} ",
                address.street if address else "",
                address.neighborhood if address else "",
                address.postal_code if address else "",
                address.city if address else "",
                "",
                "Pide los viernes" if index == 4 else "",
                _added(rng, customer.customer_since),
            ]
        )
    return rows


def _near_duplicate_row(rng: random.Random) -> list | None:
    """A new row for a customer already there: its name written another way, its address."""
    customer = (
        Customer.objects.filter(
            merged_into__isnull=True, kind="business", addresses__postal_code__gt=""
        )
        .prefetch_related("addresses")
        .order_by("pk")
        .first()
    )
    if customer is None:
        return None
    address = _default_address(customer)
    return [
        customer.name.upper() + " S.A. DE C.V.",
        "",
        "",
        _phone(rng),
        "",
        address.street,
        address.neighborhood,
        address.postal_code,
        address.city,
        "",
        "",
        _added(rng),
    ]


def sample_spreadsheet_write(*, seed: int, folder: Path | None = None) -> Path:
    """Write the sample spreadsheet (see the module) into ``folder`` (the data folder by
    default) from the customers in the catalog; its path."""
    rng = random.Random(f"{seed}:spreadsheet")
    rows = []
    for name, street, neighborhood, postal_code, tags, note in _NEW:
        domain = name.split()[-1].lower().replace("ü", "u")
        rows.append(
            [
                name if rng.random() < 0.7 else f"  {name}",
                "",
                "",
                _phone(rng),
                f"Pedidos@{domain}.MX" if rng.random() < 0.5 else f"pedidos@{domain}.mx ",
                street,
                neighborhood,
                int(postal_code) if postal_code[0] != "0" else postal_code,
                "Ciudad de México" if rng.random() < 0.6 else "CDMX",
                tags,
                note,
                _added(rng),
            ]
        )
    rows[3][1] = "Hoteles Casa Azul, S.A. de C.V."
    rows[3][2] = "HCA-080312-5K1"  # a wrong check digit: refused
    rows[5][4] = "ventas@"  # no domain: refused
    rows.append([*rows[0][:4], rows[0][4].strip().lower(), *rows[0][5:]])  # typed twice
    rows += _known_rows(rng)
    near = _near_duplicate_row(rng)
    if near is not None:
        rows.append(near)
    rng.shuffle(rows)

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Clientes"
    sheet.append([f"Libreta de clientes — {catalog.BAKERY_NAME}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(HEADERS)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
        if isinstance(row[-1], date):
            sheet.cell(sheet.max_row, len(HEADERS)).number_format = "DD/MM/YYYY"
    widths = (5, 30, 32, 18, 18, 30, 32, 22, 8, 18, 20, 24, 14)
    for column, width in zip("ABCDEFGHIJKLM", widths, strict=True):
        sheet.column_dimensions[column].width = width
    folder = Path(folder or settings.DATA_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SAMPLE_FILE
    workbook.save(path)
    return path
