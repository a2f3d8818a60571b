"""Two indexes the live count of a segment reads on PostgreSQL (``conditions.conditions_q``;
figures in ``docs/benchmarks.md``, "Campaigns: segment count and launch"):

- a city condition asks for any address of the customer whose city is the one named,
  case aside (``UPPER(city) = UPPER(…)``): without an index on that expression it read
  every address. With the customer id in it (and the city, which PostgreSQL needs to
  answer an expression from the index alone), the count reads no address row;
- an RFM segment condition reads the latest scores of those segments: with the customer
  id and the probability alive in the index, the count reads no score row.

Both are on other apps' tables, for campaigns' own question, so they are here, as SQL:
PostgreSQL only (Django asks SQLite with ``LIKE``, which an expression index does not
serve, and SQLite's planner has no index-only scan with included columns).
"""

from django.db import migrations

INDEXES = {
    "campaigns_address_city_upper": (
        "customers_address (UPPER(city::text), customer_id) INCLUDE (city)"
    ),
    "campaigns_score_segment": (
        "analytics_customerscore (as_of, rfm_segment, customer_id) INCLUDE (probability_alive)"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, target in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_send_claimed_at"),
        ("customers", "0009_customer_last_contacted_at"),
        ("analytics", "0002_alter_customerwallet_note_and_more"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
