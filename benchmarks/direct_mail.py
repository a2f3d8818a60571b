"""Benchmark: a direct-mail campaign's PDFs for N members (``--members``, default 5,000):
the address labels (A4 3 × 7) and the personalised letters (A4, a Markdown letter of
about 200 words rendered per member by ``personalisation.message_text``), from
``MailRow``s made up here, in Spanish and Russian; no database (the members are read a
thousand at a time with three prefetches, a small part of the whole). Prints the
seconds and the size of each file, best of ``--repeat`` runs.

    .venv/bin/python benchmarks/direct_mail.py
    .venv/bin/python benchmarks/direct_mail.py --members 1000 --repeat 3
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")

import django  # noqa: E402

django.setup()

from clientela.campaigns.mailing import (  # noqa: E402
    LABEL_SHEETS,
    PAPERS,
    Letter,
    MailRow,
    labels_pdf,
    letters_pdf,
)
from clientela.campaigns.personalisation import VARIABLES, message_text  # noqa: E402

BODY = (
    "Hola {{ first_name }}:\n\n"
    + "En {{ business_name }} horneamos cada mañana el pan que llega a {{ name }}. " * 6
    + "\n\n{{ offer }}\n\n"
    + "Gracias por seguir con nosotros este año; te esperamos en {{ city }}. " * 6
    + "\n\nUn abrazo,\n{{ owner_name }}\n"
)


def _rows(count: int) -> list[MailRow]:
    rows = []
    for number in range(count):
        russian = number % 5 == 0
        rows.append(
            MailRow(
                member_id=number,
                customer_id=number,
                name=f"Кафе Берёзка {number}" if russian else f"Cafetería Ñandú {number}",
                contact="Жанна Петрова" if russian else "Ana María Pérez Gómez",
                street="Тверская 7, кв. 12" if russian else f"Av. 5 de Mayo {number}",
                neighborhood="" if russian else "Centro Histórico",
                postal_code="125009" if russian else "72000",
                city="Москва" if russian else "Puebla",
                region="" if russian else "Puebla",
                country="RU" if russian else "MX",
                language="ru" if russian else "es",
            )
        )
    return rows


def _letters(rows: list[MailRow]):
    for row in rows:
        values = dict.fromkeys(VARIABLES, "") | {
            "name": row.name,
            "first_name": row.contact.split()[0],
            "city": row.city,
            "offer": "**Rosca de Reyes 2×1** hasta el 6 de enero.",
            "business_name": "Panadería La Espiga",
            "owner_name": "Lucía",
        }
        yield Letter(
            address=row.address_lines("MX"),
            date="7 de diciembre de 2026",
            body=message_text(body=BODY, body_format="markdown", values=values),
        )


def _best(repeat: int, make) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _run in range(repeat):
        started = time.perf_counter()
        size = len(make())
        best = min(best, time.perf_counter() - started)
    return best, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1)
    arguments = parser.parse_args()
    rows = _rows(arguments.members)
    labels, labels_size = _best(
        arguments.repeat,
        lambda: labels_pdf(
            (row.address_lines("MX") for row in rows), sheet=LABEL_SHEETS["a4_21"], title="x"
        ),
    )
    letters, letters_size = _best(
        arguments.repeat,
        lambda: letters_pdf(
            _letters(rows), paper=PAPERS["a4"], sender=["Panadería La Espiga"], title="x"
        ),
    )
    print(f"members: {arguments.members:,}")
    print(f"labels  (A4 3 × 7): {labels:6.2f} s  {labels_size / 1e6:6.2f} MB")
    print(f"letters (A4)      : {letters:6.2f} s  {letters_size / 1e6:6.2f} MB")
    print(f"both              : {labels + letters:6.2f} s")


if __name__ == "__main__":
    main()
