"""Benchmark: server time of the customer list page and the customer search API.

Loads N synthetic Mexican customers straight into the tables (COPY on PostgreSQL,
``executemany`` on SQLite) — no services, no history rows — with ``search_document``
and ``name_key`` computed by ``clientela.customers.matching`` exactly as the services
compute them, so search behaves as in production. Then it times, in process, K
requests per case through Django's WSGI handler (the whole middleware stack, view,
queries, rendering and the response body; no network, no WSGI server), each request
with another search term drawn from the loaded rows, and prints median and p95, and
on PostgreSQL the plans of the search queries.

    createdb -h 127.0.0.1 -U root clientela_bench
    .venv/bin/python benchmarks/customer_list.py \\
        --database-url postgres://root@127.0.0.1:5432/clientela_bench --customers 1000000
    .venv/bin/python benchmarks/customer_list.py \\
        --database-url sqlite:////tmp/bench.sqlite3 --customers 100000
"""

import argparse
import contextlib
import io
import os
import platform
import random
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240611
CHUNK = 20_000

# --- synthetic data --------------------------------------------------------------------

FIRST_NAMES = (  # noqa: SIM905
    "José Juan Luis Carlos Jorge Miguel Francisco Alejandro Fernando Ricardo Roberto "
    "Eduardo Javier Manuel Antonio Arturo Sergio Raúl Héctor Daniel Óscar Rafael Pedro "
    "Enrique Mario Alberto Gerardo Andrés Jesús Martín Guadalupe María Ana Laura Patricia "
    "Gabriela Alejandra Verónica Claudia Adriana Leticia Mónica Rosa Elena Sofía Fernanda "
    "Daniela Mariana Lucía Isabel Teresa Silvia Carmen Beatriz Lorena Norma Yolanda Diana "
    "Karla Paola Valeria Ximena Itzel Citlali Araceli"
).split()
SURNAMES = (  # noqa: SIM905
    "Hernández García Martínez López González Pérez Rodríguez Sánchez Ramírez Cruz Flores "
    "Gómez Morales Vázquez Reyes Jiménez Torres Díaz Gutiérrez Ruiz Mendoza Aguilar Ortiz "
    "Moreno Castillo Romero Álvarez Méndez Chávez Rivera Juárez Ramos Domínguez Herrera "
    "Medina Castro Vargas Guzmán Velázquez Muñoz Rojas Contreras Salazar Luna Ortega "
    "Santiago Guerrero Bautista Estrada Cortés Soto Alvarado Espinoza Lara Ávila Ríos "
    "Cervantes Silva Delgado Vega Márquez Sandoval Carrillo León Mejía Solís Rosas Ibarra "
    "Valdez Núñez Campos Santos Camacho Navarro Peña Maldonado Rosales Acosta Miranda Trejo "
    "Cabrera Valencia Nava Robles Molina Fuentes Rangel Pacheco Zamora Orozco Huerta "
    "Escobar Arellano Villegas Salinas Zúñiga Olvera Beltrán Cárdenas Ochoa Quintero "
    "Barrera Figueroa Cisneros Galván Tapia Montes Osorio Serrano Meza Ayala Cano Padilla "
    "Esquivel"
).split()
MEN, WOMEN = FIRST_NAMES[:30], FIRST_NAMES[31:]
# Real surname frequencies fall off roughly like a power law.
SURNAME_WEIGHTS = [1 / (rank + 1) ** 0.8 for rank in range(len(SURNAMES))]
TRADES = [
    "Panadería",
    "Abarrotes",
    "Ferretería",
    "Papelería",
    "Farmacia",
    "Taller Mecánico",
    "Tortillería",
    "Carnicería",
    "Pollería",
    "Frutería",
    "Cremería",
    "Lavandería",
    "Estética",
    "Consultorio Dental",
    "Refaccionaria",
    "Tlapalería",
    "Mueblería",
    "Zapatería",
    "Boutique",
    "Florería",
    "Cafetería",
    "Restaurante",
    "Taquería",
    "Cocina Económica",
    "Pastelería",
    "Heladería",
    "Paletería",
    "Miscelánea",
    "Vinatería",
    "Óptica",
    "Veterinaria",
    "Imprenta",
    "Distribuidora",
    "Comercializadora",
    "Constructora",
    "Transportes",
    "Materiales",
    "Hotel",
    "Gimnasio",
    "Purificadora",
    "Colegio",
    "Clínica",
    "Agencia de Viajes",
    "Despacho Contable",
    "Autolavado",
]
BRAND_WORDS = (  # noqa: SIM905
    "La Espiga|El Sol|La Esperanza|La Providencia|El Buen Precio|La Güera|El Güero|"
    "La Estrella|El Triunfo|La Victoria|La Perla|El Faro|La Luz|El Ángel|La Paz|Las Palmas|"
    "Los Pinos|El Roble|La Central|El Porvenir|La Michoacana|La Norteña|El Rey|La Reina|"
    "San José|San Juan|Santa Fe|Guadalupe|La Tapatía|El Jarocho|La Poblana|Del Valle|"
    "Del Centro|La Moderna|El Progreso|La Fe|Los Arcos|El Manantial|La Montaña|El Pino|"
    "La Joya|El Dorado|La Favorita|El Cedro|Los Álamos|La Hacienda|El Rancho|La Cosecha|"
    "El Molino|La Fuente|El Mirador|La Colmena|El Trébol|La Palma|El Nopal|La Aurora|"
    "El Puerto|La Bahía|Monarca|Azteca|Maya|Olmeca|Quetzal|Jaguar|Colibrí|Tulipán|Girasol|"
    "Amanecer|Horizonte|Primavera|Cristal|Diamante|Imperial|Real|Continental|Universal|"
    "Express|Premier|Plus|Total|Integral|Global|Nacional|Regional|Del Norte|Del Sur|"
    "Del Bajío|Peninsular|Occidente|Oriente"
).split("|")
LEGAL_FORMS = ["S.A. de C.V.", "S. de R.L. de C.V.", "S.A.P.I. de C.V.", "S.C.", "S.A.S."]
# City, state, phone area code, postal code prefix, weight (rough share of customers).
CITIES = [
    ("Ciudad de México", "Ciudad de México", "55", "0", 22),
    ("Guadalajara", "Jalisco", "33", "44", 9),
    ("Monterrey", "Nuevo León", "81", "64", 8),
    ("Puebla", "Puebla", "222", "72", 5),
    ("Querétaro", "Querétaro", "442", "76", 4),
    ("Mérida", "Yucatán", "999", "97", 3),
    ("Toluca", "Estado de México", "722", "50", 4),
    ("León", "Guanajuato", "477", "37", 4),
    ("Tijuana", "Baja California", "664", "22", 4),
    ("Aguascalientes", "Aguascalientes", "449", "20", 2),
    ("San Luis Potosí", "San Luis Potosí", "444", "78", 2),
    ("Morelia", "Michoacán", "443", "58", 2),
    ("Oaxaca", "Oaxaca", "951", "68", 2),
    ("Veracruz", "Veracruz", "229", "91", 2),
    ("Cuernavaca", "Morelos", "777", "62", 2),
    ("Chihuahua", "Chihuahua", "614", "31", 2),
    ("Saltillo", "Coahuila", "844", "25", 2),
    ("Hermosillo", "Sonora", "662", "83", 2),
    ("Culiacán", "Sinaloa", "667", "80", 2),
    ("Villahermosa", "Tabasco", "993", "86", 1),
    ("Tuxtla Gutiérrez", "Chiapas", "961", "29", 1),
    ("Pachuca", "Hidalgo", "771", "42", 1),
    ("Xalapa", "Veracruz", "228", "91", 1),
    ("Cancún", "Quintana Roo", "998", "77", 2),
    ("Zacatecas", "Zacatecas", "492", "98", 1),
    ("Durango", "Durango", "618", "34", 1),
    ("Tepic", "Nayarit", "311", "63", 1),
    ("Colima", "Colima", "312", "28", 1),
    ("Tlaxcala", "Tlaxcala", "246", "90", 1),
    ("Campeche", "Campeche", "981", "24", 1),
]
CITY_WEIGHTS = [c[4] for c in CITIES]
STREETS = (  # noqa: SIM905
    "Juárez|Hidalgo|Morelos|Reforma|Insurgentes|5 de Mayo|16 de Septiembre|Madero|Zaragoza|"
    "Allende|Independencia|Revolución|Benito Juárez|Emiliano Zapata|Guerrero|Aldama|"
    "Obregón|Constitución|Niños Héroes|Las Flores|Del Trabajo|Vicente Guerrero|"
    "Lázaro Cárdenas|Venustiano Carranza|Francisco Villa|Miguel Alemán|Ignacio Zaragoza|"
    "Pino Suárez|Josefa Ortiz de Domínguez|Nicolás Bravo|Matamoros|Galeana|Abasolo|"
    "Iturbide|Colón"
).split("|")
STREET_KINDS = ["Calle", "Av.", "Calz.", "Blvd.", "Privada", "Andador"]
NEIGHBORHOODS = (  # noqa: SIM905
    "Centro|Del Valle|Roma Norte|Condesa|Narvarte|Santa María|San Miguel|Las Américas|"
    "Jardines del Sur|La Joya|Industrial|Obrera|Moderna|Lomas Verdes|San Pedro|Providencia|"
    "Chapultepec|Santa Cruz|El Carmen|La Florida|Los Reyes|San Antonio|Buenavista|"
    "Bellavista|Valle Dorado|Las Águilas|Vista Hermosa|Guadalupe|La Estrella|Lindavista"
).split("|")
TAGS = [
    "VIP",
    "Mayoreo",
    "Menudeo",
    "Frecuente",
    "Nuevo",
    "Crédito",
    "Contado",
    "Requiere factura",
    "Expo 2024",
    "Temporada",
    "Inactivo",
    "Referido",
]
ROLES = ["Compras", "Gerente", "Dueño", "Contabilidad", "Encargado de tienda", "Almacén"]
MAIL_DOMAINS = ["gmail.com", "hotmail.com", "outlook.com", "yahoo.com.mx", "icloud.com"]
SOURCES = ["walk_in", "event", "referral", "directory", "web", "phone", "social", "other", ""]
CHANNELS = ["", "", "email", "phone", "whatsapp", "sms"]
SALESPEOPLE = 25
HOMOCLAVE_FIRST = "123456789ABCDEFGHIJKLMNPRSTUV"
HOMOCLAVE_SECOND = "123456789ABCDEFGHIJKLMNPRSTUVWXYZ"
RFC_SKIP = {"DE", "LA", "EL", "LAS", "LOS", "DEL", "Y", "SA", "CV", "SC", "SAS", "SAPI", "RL", "S"}


def _ascii_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ñ", "x").replace("Ñ", "X"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _rfc(letters: str, born: date, rng: random.Random) -> str:
    """An RFC that python-stdnum accepts, check digit (SAT's mod-11 rule) included."""
    from stdnum.mx import rfc

    if letters in rfc._name_blacklist:
        letters = letters[:3] + "X"  # SAT replaces the last letter of an unfit word
    body = f"{letters}{born:%y%m%d}{rng.choice(HOMOCLAVE_FIRST)}{rng.choice(HOMOCLAVE_SECOND)}"
    return body + rfc.calc_check_digit(body)


def _person_rfc(first: str, surname: str, second: str, rng: random.Random) -> str:
    """Persona física: surname initial and first inner vowel, second surname and name initials."""
    s1, s2, name = _ascii_upper(surname), _ascii_upper(second), _ascii_upper(first)
    vowel = next((c for c in s1[1:] if c in "AEIOU"), "X")
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    return _rfc(s1[0] + vowel + s2[0] + name[0], born, rng)


def _business_rfc(name: str, rng: random.Random) -> str:
    """Persona moral: initials of the first three meaningful words of the name."""
    words = [w for w in _ascii_upper(name).replace(".", " ").split() if w not in RFC_SKIP]
    letters = "".join(w[0] for w in words[:3])
    letters = (letters + (words[0][1:] if words else "") + "XXX")[:3]
    founded = date(1980, 1, 1) + timedelta(days=rng.randrange(365 * 44))
    return _rfc(letters, founded, rng)


def _slug(text: str) -> str:
    return "".join(c for c in _ascii_upper(text).lower() if c.isalnum())


def _phone(city: tuple, rng: random.Random) -> str:
    """A Mexican number in E.164: +52, the city's area code, ten national digits."""
    area = city[2]
    rest = "".join(rng.choice("0123456789") for _ in range(10 - len(area)))
    return f"+52{area}{rng.choice('2345678')}{rest[1:]}"


def _national(e164: str) -> str:
    """How people write a Mexican number: ``55 1234 5678`` or ``222 123 4567``."""
    digits = e164[3:]
    if digits[:2] in {"55", "33", "81"}:
        return f"{digits[:2]} {digits[2:6]} {digits[6:]}"
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


@dataclass
class Batch:
    """Rows for every table of one chunk of customers, as column → value dicts."""

    customers: list[dict] = field(default_factory=list)
    emails: list[dict] = field(default_factory=list)
    phones: list[dict] = field(default_factory=list)
    addresses: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)


def generate(
    first_id: int, count: int, ids: dict[str, int], owners: list[int], rng: random.Random
) -> Batch:
    """``count`` customers with ids from ``first_id``; child ids continue from ``ids``."""
    from clientela.customers import matching

    batch = Batch()
    now = datetime.now(UTC)
    for pk in range(first_id, first_id + count):
        city = rng.choices(CITIES, CITY_WEIGHTS)[0]
        created = now - timedelta(seconds=rng.randrange(6 * 365 * 86400))
        if rng.random() < 0.3:
            first = rng.choice(FIRST_NAMES)
            surname, second = rng.choices(SURNAMES, SURNAME_WEIGHTS, k=2)
            kind, name, legal_name = "person", f"{first} {surname} {second}", ""
            tax_id = _person_rfc(first, surname, second, rng) if rng.random() < 0.6 else ""
            emails = [
                f"{_slug(first)}.{_slug(surname)}{rng.randrange(100)}@{rng.choice(MAIL_DOMAINS)}"
            ]
        else:
            trade = rng.choice(TRADES)
            roll = rng.random()
            if roll < 0.55:
                brand = rng.choice(BRAND_WORDS)
            elif roll < 0.8:
                brand = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
            elif roll < 0.9:
                brand = rng.choice([f"Don {rng.choice(MEN)}", f"Doña {rng.choice(WOMEN)}"])
            else:
                brand = f"Hermanos {rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]}"
            kind, name = "business", f"{trade} {brand}"
            if rng.random() < 0.15:
                name += f" {city[0]}"
            legal_name = f"{name} {rng.choice(LEGAL_FORMS)}" if rng.random() < 0.45 else ""
            tax_id = _business_rfc(legal_name or name, rng) if rng.random() < 0.85 else ""
            domain = f"{_slug(brand)}{rng.randrange(1000)}.com.mx"
            emails = [f"{rng.choice(['ventas', 'contacto', 'facturacion', 'info'])}@{domain}"]
        if rng.random() < 0.1:
            emails = []
        elif rng.random() < 0.1:
            emails.append(
                f"{rng.choice(['compras', 'admin', 'pagos'])}{rng.randrange(100)}@{rng.choice(MAIL_DOMAINS)}"
            )
        phones = [] if rng.random() < 0.08 else [_phone(city, rng)]
        if phones and rng.random() < 0.15:
            phones.append(_phone(city, rng))
        contacts = []
        if kind == "business" and rng.random() < 0.35:
            for _ in range(rng.choice([1, 1, 1, 2])):
                who = f"{rng.choice(FIRST_NAMES)} {rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]}"
                contacts.append(
                    {
                        "name": who,
                        "role": rng.choice(ROLES),
                        "email": f"{_slug(who.split()[0])}@{domain}" if rng.random() < 0.5 else "",
                        "phone": _phone(city, rng) if rng.random() < 0.5 else "",
                    }
                )
        merged_into = rng.randrange(1, pk) if pk > 100 and rng.random() < 0.005 else None
        batch.customers.append(
            {
                "id": pk,
                "created_at": created,
                "updated_at": created + timedelta(seconds=rng.randrange(86400 * 30)),
                "kind": kind,
                "name": name,
                "legal_name": legal_name,
                "tax_id": tax_id,
                "tax_id_type": "mx.rfc" if tax_id else "",
                "country": "MX",
                "owner_id": rng.choice(owners) if rng.random() < 0.85 else None,
                "source": rng.choice(SOURCES),
                "consent_email": rng.random() < 0.5,
                "consent_phone": rng.random() < 0.4,
                "consent_sms": rng.random() < 0.3,
                "consent_mail": rng.random() < 0.1,
                "preferred_channel": rng.choice(CHANNELS),
                "language": "es",
                "merged_into_id": merged_into,
                "name_key": matching.name_key(name),
                # As customer_refresh_derived() in the services: none when merged.
                "search_document": ""
                if merged_into
                else matching.search_document(
                    names=[name, legal_name, *(c["name"] for c in contacts)],
                    tax_id=tax_id,
                    emails=[*emails, *(c["email"] for c in contacts if c["email"])],
                    phones=[*phones, *(c["phone"] for c in contacts if c["phone"])],
                ),
            }
        )
        for position, email in enumerate(emails):
            ids["email"] += 1
            batch.emails.append(
                {"id": ids["email"], "customer_id": pk, "email": email, "position": position}
            )
        for position, number in enumerate(phones):
            ids["phone"] += 1
            batch.phones.append(
                {"id": ids["phone"], "customer_id": pk, "number": number, "position": position}
            )
        if rng.random() < 0.95:
            ids["address"] += 1
            batch.addresses.append(
                {
                    "id": ids["address"],
                    "created_at": created,
                    "updated_at": created,
                    "customer_id": pk,
                    "street": f"{rng.choice(STREET_KINDS)} {rng.choice(STREETS)} {rng.randrange(1, 3000)}",
                    "neighborhood": f"Col. {rng.choice(NEIGHBORHOODS)}",
                    "city": city[0],
                    "region": city[1],
                    "postal_code": f"{city[3]}{rng.randrange(10 ** (5 - len(city[3]))):0{5 - len(city[3])}d}",
                    "country": "MX",
                    "is_default": True,
                }
            )
        for contact in contacts:
            ids["contact"] += 1
            batch.contacts.append(
                {
                    "id": ids["contact"],
                    "created_at": created,
                    "updated_at": created,
                    "customer_id": pk,
                    "is_primary": contact is contacts[0],
                    **contact,
                }
            )
        for tag_id in sorted(
            set(rng.choices(range(1, len(TAGS) + 1), k=rng.choice([0, 1, 1, 2, 3])))
        ):
            ids["tag"] += 1
            batch.tags.append({"id": ids["tag"], "customer_id": pk, "tag_id": tag_id})
    return batch


# --- loading ---------------------------------------------------------------------------


def _table_writer(connection) -> Callable[[type, list[dict]], None]:
    """A function that appends dict rows to a model's table as fast as the backend allows.

    Columns missing from a row take the model field's default, so fields added later
    keep loading.
    """

    def columns_of(model) -> list[tuple[str, object]]:
        return [
            (f.column, f.get_default() if f.has_default() or f.null else "")
            for f in model._meta.concrete_fields
        ]

    if connection.vendor == "postgresql":

        def write(model, rows: list[dict]) -> None:
            columns = columns_of(model)
            names = ", ".join(connection.ops.quote_name(c) for c, _ in columns)
            with connection.cursor() as cursor:
                sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row([row.get(c, default) for c, default in columns])

        return write

    def write(model, rows: list[dict]) -> None:
        columns = columns_of(model)
        adapt = connection.ops.adapt_datetimefield_value
        dated = {
            f.column
            for f in model._meta.concrete_fields
            if f.get_internal_type() == "DateTimeField"
        }
        sql = (
            f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
            f"({', '.join(connection.ops.quote_name(c) for c, _ in columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        connection.connection.executemany(
            sql,
            (
                [
                    adapt(row.get(c, default)) if c in dated else row.get(c, default)
                    for c, default in columns
                ]
                for row in rows
            ),
        )

    return write


def load(count: int, seed: int) -> dict[str, float]:
    """Load ``count`` customers with their children, users and tags; return timings."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from clientela.core.models import Role, User
    from clientela.customers.models import (
        Address,
        Contact,
        Customer,
        CustomerEmail,
        CustomerPhone,
        CustomerTag,
        Tag,
    )

    rng = random.Random(seed)
    owners = []
    for n in range(SALESPEOPLE):
        user, _ = User.objects.get_or_create(
            username=f"bench-sales-{n:02d}",
            defaults={"role": Role.SALES, "first_name": rng.choice(FIRST_NAMES)},
        )
        owners.append(user.pk)
    for pk, name in enumerate(TAGS, start=1):
        Tag.objects.update_or_create(pk=pk, defaults={"name": name})
    write = _table_writer(connection)
    ids = {"email": 0, "phone": 0, "address": 0, "contact": 0, "tag": 0}
    started = time.perf_counter()
    generating = 0.0
    for first in range(1, count + 1, CHUNK):
        tick = time.perf_counter()
        batch = generate(first, min(CHUNK, count - first + 1), ids, owners, rng)
        generating += time.perf_counter() - tick
        with transaction.atomic():
            write(Customer, batch.customers)
            write(CustomerEmail, batch.emails)
            write(CustomerPhone, batch.phones)
            write(Address, batch.addresses)
            write(Contact, batch.contacts)
            write(CustomerTag, batch.tags)
        done = first + CHUNK - 1
        if done % 100_000 < CHUNK:
            print(f"  loaded {min(done, count):,} customers", file=sys.stderr, flush=True)
    loading = time.perf_counter() - started
    models = [Customer, CustomerEmail, CustomerPhone, Address, Contact, CustomerTag, Tag]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    tick = time.perf_counter()
    analyze()
    return {
        "generate": generating,
        "write": loading - generating,
        "analyze": time.perf_counter() - tick,
    }


CATALOG_TABLES = [
    "customers_customertag",
    "customers_contact",
    "customers_address",
    "customers_customerphone",
    "customers_customeremail",
    "customers_duplicatecandidate",
    "customers_customer",
]


def wipe() -> None:
    """Delete every customer and child row (and their history) from the database."""
    from django.apps import apps
    from django.db import connection

    history = [
        m._meta.db_table
        for m in apps.get_app_config("customers").get_models()
        if m._meta.db_table.startswith("customers_historical")
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(CATALOG_TABLES + history)} RESTART IDENTITY")
        else:
            for table in CATALOG_TABLES + history:
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("VACUUM")


def analyze() -> None:
    """Refresh planner statistics (and, on PostgreSQL, the visibility map) after loading."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in CATALOG_TABLES:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        else:
            cursor.execute("ANALYZE")


# --- measuring -------------------------------------------------------------------------


class QueryTimer:
    """Counts the queries and the time spent in the database while installed."""

    def __init__(self) -> None:
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        tick = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - tick


@dataclass
class Result:
    case: str
    times: list[float] = field(default_factory=list)
    db_times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    matched: list[int] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)

    def slowest(self, n: int = 3) -> str:
        worst = sorted(zip(self.times, self.terms, strict=True), reverse=True)[:n]
        return ", ".join(f"{term or '—'!r} {t * 1000:.0f} ms" for t, term in worst)

    def row(self) -> list[str]:
        ms = sorted(t * 1000 for t in self.times)
        p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
        matched = sorted(self.matched)
        rows = (
            f"{statistics.median(matched):,.0f} ({matched[0]:,}–{matched[-1]:,})"
            if matched[0] != matched[-1]
            else f"{matched[0]:,}"
        )
        return [
            self.case,
            f"{statistics.median(ms):.1f}",
            f"{p95:.1f}",
            f"{statistics.median(self.db_times) * 1000:.1f}",
            f"{statistics.median(self.queries):.0f}",
            rows,
        ]


class WsgiClient:
    """Calls Django's WSGI application in process, as a WSGI server would.

    The timed span is from the call of the application to the end of the response
    body and its ``close()`` (which fires ``request_finished``).
    """

    def __init__(self, headers: dict[str, str]) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.app = WSGIHandler()
        self.headers = headers

    def get(self, path: str, params: dict) -> tuple[str, bytes]:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": urlencode(params),
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "localhost",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **self.headers,
        }
        statuses = []
        response = self.app(environ, lambda status, headers, exc_info=None: statuses.append(status))
        try:
            body = b"".join(response)
        finally:
            response.close()
        return statuses[0], body


@dataclass
class Terms:
    """Search terms drawn from random live customers, as a person would type them."""

    names: list[str]
    tax_prefixes: list[str]
    phones: list[str]


def draw_terms(count: int, total: int, seed: int) -> Terms:
    from clientela.customers.models import Customer

    rng = random.Random(seed + 1)
    names: list[str] = []
    tax_prefixes: list[str] = []
    phones: list[str] = []
    while min(len(names), len(tax_prefixes), len(phones)) < count:
        ids = rng.sample(range(1, total + 1), min(total, 500))
        rows = (
            Customer.objects.filter(pk__in=ids, merged_into__isnull=True)
            .values_list("name_key", "tax_id", "phones__number")
            .order_by("?")
        )
        for name_key, tax_id, phone in rows:
            words = [w for w in name_key.split() if len(w) >= 4]
            if words and len(names) < count:
                names.append(rng.choice(words))
            if tax_id and len(tax_prefixes) < count:
                # The letters and the year: 5 characters of a company's RFC, 6 of a person's.
                tax_prefixes.append(tax_id[: len(tax_id) - 7])
            if phone and len(phones) < count:
                phones.append(_national(phone))
    return Terms(names, tax_prefixes, phones)


def measure(
    case: str,
    run: Callable[[str], None],
    terms: list[str],
    count: Callable[[str], int],
    warmup: int = 3,
) -> Result:
    """Time ``run(term)`` once per term after a few untimed warm-up calls."""
    from django.db import connection

    result = Result(case)
    for term in terms[:warmup]:
        run(term)
    for term in terms:
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            tick = time.perf_counter()
            run(term)
            result.times.append(time.perf_counter() - tick)
        result.db_times.append(timer.seconds)
        result.queries.append(timer.queries)
        result.terms.append(term)
    result.matched = [count(term) for term in sorted(set(terms))]
    return result


def selector_run(
    user, page_size: int, page: int = 1, query: dict | None = None
) -> Callable[[str], None]:
    """What a list view does with the selector: count, one page, its prefetches;
    ``query`` asks for a page as an address does (``after=``, ``page=last``)."""
    from clientela.core.pagination import CappedPaginator
    from clientela.customers.selectors import customer_list

    def run(term: str) -> None:
        paginator = CappedPaginator(customer_list(user=user, search=term), page_size)
        rows = paginator.page_from(query) if query else paginator.get_page(page)
        for row in rows:
            list(row.emails.all()), list(row.phones.all()), list(row.addresses.all())
            list(row.customer_tags.all()), str(row.owner)

    return run


def middle_cursor(user, row: int) -> str:
    """The cursor a page ending just before ``row`` of the unsearched list hands on."""
    from clientela.core.pagination import Keyset
    from clientela.customers.selectors import customer_list

    rows = customer_list(user=user)
    return Keyset(rows).cursor(rows[row - 1])


def offset_run(user, page_size: int, offset: int) -> Callable[[str], None]:
    """The peer of a page found by cursor: the same rows read with ``OFFSET``."""
    from clientela.customers.selectors import customer_list

    def run(term: str) -> None:
        for row in customer_list(user=user, search=term)[offset : offset + page_size]:
            list(row.emails.all()), list(row.phones.all()), list(row.addresses.all())
            list(row.customer_tags.all()), str(row.owner)

    return run


def http_run(client: WsgiClient, path: str, param: str, extra: dict) -> Callable[[str], None]:
    def run(term: str) -> None:
        status, body = client.get(path, {param: term, **extra} if term else extra)
        if not status.startswith("200"):
            raise RuntimeError(f"GET {path} {param}={term!r}: {status}\n{body[:2000]!r}")

    return run


def endpoints() -> dict[str, tuple[str, str] | None]:
    """The list page's and the API's path and search parameter, if they exist yet."""
    from django.urls import NoReverseMatch, Resolver404, resolve, reverse

    found: dict[str, tuple[str, str] | None] = {"page": None, "api": None}
    with contextlib.suppress(NoReverseMatch):
        found["page"] = (reverse("customers:list"), "q")
    try:
        resolve("/api/v1/customers")
        found["api"] = ("/api/v1/customers", "search")
    except Resolver404:
        pass
    return found


def explain(queries: list[dict]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the captured queries that search the document."""
    from django.db import connection

    out = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if "search_document" not in sql or "LIKE" not in sql.upper():
                continue
            prefix = (
                "EXPLAIN (ANALYZE, BUFFERS) "
                if connection.vendor == "postgresql"
                else ("EXPLAIN QUERY PLAN ")
            )
            cursor.execute(prefix + sql)
            plan = "\n".join(
                str(r[0]) if connection.vendor == "postgresql" else f"{r[-1]}"
                for r in cursor.fetchall()
            )
            out.append(f"{sql}\n\n{plan}")
    return "\n\n".join(out)


# --- the run ---------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = ["case", "median ms", "p95 ms", "db ms (median)", "queries", "rows matched"]
    rows = [header] + [r.row() for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://… or sqlite:////path")
    parser.add_argument("--customers", type=int, default=100_000, help="customers to load")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--reuse", action="store_true", help="keep the data if it has N customers")
    parser.add_argument(
        "--reset", action="store_true", help="delete the customers already in the database first"
    )
    parser.add_argument("--deep-page", type=int, default=0, help="page for the deep case")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ.setdefault("CLIENTELA_DEBUG", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clientela.core.models import Role, User
    from clientela.core.services import api_token_create
    from clientela.customers.models import Customer

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0, interactive=False)
    present = Customer.objects.count()
    if present and not (args.reuse and present == args.customers):
        if not args.reset:
            sys.exit(
                f"The database already has {present:,} customers; pass --reuse to keep them "
                f"(only if there are exactly {args.customers:,}) or --reset to delete them."
            )
        wipe()
        present = 0
    if not present:
        print(f"loading {args.customers:,} customers…", file=sys.stderr)
        timings = load(args.customers, args.seed)
        print("load: " + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in timings.items()))
    else:
        print(f"reusing {present:,} customers")

    owner, _ = User.objects.get_or_create(username="bench-owner", defaults={"role": Role.OWNER})
    terms = draw_terms(args.requests, args.customers, args.seed)
    page_size = settings.CLIENTELA_PAGE_SIZE
    live = Customer.objects.filter(merged_into__isnull=True).count()
    # Lists count (and page) up to CLIENTELA_COUNT_LIMIT matches: the deepest page a user
    # can open is the last of those.
    deep_page = args.deep_page or max(1, min(live, settings.CLIENTELA_COUNT_LIMIT) // page_size)
    from clientela.customers.matching import search_terms

    def matched(term: str) -> int:
        """Every customer the term matches (the list itself counts only up to its limit)."""
        found = Customer.objects.filter(merged_into__isnull=True)
        for word in search_terms(term):
            found = found.filter(search_document__contains=word)
        return found.count()

    unfiltered = [""] * args.requests
    results = [
        measure("selector: list, page 1", selector_run(owner, page_size), unfiltered, matched),
        measure(
            f"selector: list, page {deep_page:,}",
            selector_run(owner, page_size, deep_page),
            unfiltered,
            matched,
        ),
        # Past the count, pages are found by cursor (keyset); the peer reads them by OFFSET.
        measure(
            f"selector: list, row {live // 2:,} by cursor",
            selector_run(owner, page_size, query={"after": middle_cursor(owner, live // 2)}),
            unfiltered,
            matched,
        ),
        measure(
            f"selector: list, row {live // 2:,} by OFFSET (peer)",
            offset_run(owner, page_size, live // 2),
            unfiltered,
            matched,
        ),
        measure(
            "selector: list, last page",
            selector_run(owner, page_size, query={"page": "last"}),
            unfiltered,
            matched,
        ),
        measure("selector: search name word", selector_run(owner, page_size), terms.names, matched),
        measure(
            "selector: search RFC prefix",
            selector_run(owner, page_size),
            terms.tax_prefixes,
            matched,
        ),
        measure("selector: search phone", selector_run(owner, page_size), terms.phones, matched),
    ]

    found = endpoints()
    plans = ""
    if found["page"]:
        client = Client()
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        browser = WsgiClient({"HTTP_COOKIE": cookie})
        path, param = found["page"]
        results += [
            measure("page: list, page 1", http_run(browser, path, param, {}), unfiltered, matched),
            measure(
                f"page: list, page {deep_page:,}",
                http_run(browser, path, param, {"page": deep_page}),
                unfiltered,
                matched,
            ),
            measure(
                "page: search name word", http_run(browser, path, param, {}), terms.names, matched
            ),
            measure(
                "page: search RFC prefix",
                http_run(browser, path, param, {}),
                terms.tax_prefixes,
                matched,
            ),
            measure(
                "page: search phone", http_run(browser, path, param, {}), terms.phones, matched
            ),
        ]
    if found["api"]:
        _token, raw = api_token_create(user=owner, name="benchmark")
        api = WsgiClient({"HTTP_AUTHORIZATION": f"Bearer {raw}"})
        path, param = found["api"]
        results += [
            measure("api: list, page 1", http_run(api, path, param, {}), unfiltered, matched),
            measure("api: search name word", http_run(api, path, param, {}), terms.names, matched),
            measure(
                "api: search RFC prefix",
                http_run(api, path, param, {}),
                terms.tax_prefixes,
                matched,
            ),
            measure("api: search phone", http_run(api, path, param, {}), terms.phones, matched),
        ]
        with CaptureQueriesContext(connection) as captured:
            http_run(api, path, param, {})(terms.names[0])
        plans = explain(captured.captured_queries)
    if not plans:
        with CaptureQueriesContext(connection) as captured:
            selector_run(owner, page_size)(terms.names[0])
        plans = explain(captured.captured_queries)

    print()
    print(
        f"{args.customers:,} customers ({live:,} live), {args.requests} timed requests per case, "
        f"page size {page_size}; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            print(f"PostgreSQL {cursor.fetchone()[0]}")
    else:
        import sqlite3

        print(f"SQLite {sqlite3.sqlite_version}")
    print(f"missing endpoints: {[k for k, v in found.items() if not v] or 'none'}")
    print()
    print(table(results))
    print()
    print("Slowest requests per case:")
    for result in results:
        print(f"  {result.case}: {result.slowest()}")
    print()
    print(f"Plan of the search for {terms.names[0]!r}:\n")
    print(plans)


if __name__ == "__main__":
    main()
