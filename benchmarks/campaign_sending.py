"""Benchmark: campaigns' e-mail sending (issue 17, item 11), run as
``benchmarks/campaigns.py send``.

It measures a campaign's e-mail sent into a local SMTP server: N customers who
agree to e-mail (each with an address; a third with a main contact, half with a city;
in Spanish, Russian and English), a launched e-mail campaign on them (a 10 % hold-out,
a Markdown message with a Russian version, ``send_rate`` at its maximum so that the
worker's pacing does not throttle), and an aiosmtpd server on loopback in a process of
its own that counts the messages it accepts and discards them. The worker's path
(``campaigns.services.sending.campaign_send_batch`` with the task's batch size) runs in
a loop until nobody waits; it prints the messages per second in all and per 5-second
window, the resident memory at each window and its peak, and checks that the server
got one message per member sent and each has its interaction.

    .venv/bin/python benchmarks/campaigns.py send \\
        --database-url sqlite:////tmp/bench_campaigns.sqlite3 --reset
    createdb -h 127.0.0.1 -U root bench_campaigns
    .venv/bin/python benchmarks/campaigns.py send \\
        --database-url postgres://root@127.0.0.1:5432/bench_campaigns --reset
"""

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imports  # the database set-up and the machine's description

SEED = 20261207
WINDOW = 5.0  # seconds


# --- send ------------------------------------------------------------------------------


class _Counter:
    """An SMTP handler that counts the messages it accepts and keeps none."""

    def __init__(self, count):
        self.count = count

    async def handle_DATA(self, server, session, envelope):
        with self.count.get_lock():
            self.count.value += 1
        return "250 Message accepted"


def _smtp_serve(port: int, count, cpu, ready, stop) -> None:
    """A child process: the counting SMTP server on ``port`` until ``stop`` is set; then
    the CPU time it used from the start of sending in ``cpu``."""
    from aiosmtpd.controller import Controller

    controller = Controller(_Counter(count), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    ready_cpu = _cpu_seconds()
    stop.wait()
    cpu.value = _cpu_seconds() - ready_cpu
    controller.stop()
    asyncio.set_event_loop(None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _resident_mib() -> float:
    """This process's resident memory now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu_seconds() -> float:
    """The CPU time this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def send_wipe() -> None:
    """Delete the campaigns, segments, interactions and their history, then the
    customers (``imports.wipe``)."""
    from django.db import connection

    from clientela.campaigns.models import Campaign, CampaignMember, CampaignMessage, Segment
    from clientela.relations.models import Interaction

    tables = [
        CampaignMember._meta.db_table,
        CampaignMessage._meta.db_table,
        Campaign.conversion_products.through._meta.db_table,
        Campaign._meta.db_table,
        Campaign.history.model._meta.db_table,
        Segment._meta.db_table,
        Segment.history.model._meta.db_table,
        Interaction._meta.db_table,
        Interaction.history.model._meta.db_table,
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
    imports.wipe()


def send_customers(count: int, owner, seed: int) -> None:
    """``count`` customers agreeing to e-mail, each with an address."""
    from clientela.customers.models import Address, Contact, Customer, CustomerEmail

    rng = random.Random(seed)
    batch = 5000
    for start in range(0, count, batch):
        customers = Customer.objects.bulk_create(
            Customer(
                kind="business",
                name=f"Cafetería {number} <Centro> & Hijos",
                owner=owner,
                consent_email=True,
                language=rng.choice(["es", "es", "ru", "en", ""]),
            )
            for number in range(start, min(count, start + batch))
        )
        CustomerEmail.objects.bulk_create(
            CustomerEmail(customer=customer, email=f"cafe{customer.pk}@example.mx")
            for customer in customers
        )
        Contact.objects.bulk_create(
            Contact(customer=customer, name=f"Lucía {customer.pk} Ríos", is_primary=True)
            for customer in customers
            if customer.pk % 3 == 0
        )
        Address.objects.bulk_create(
            Address(customer=customer, street="Reforma 1", city="Puebla", is_default=True)
            for customer in customers
            if customer.pk % 2 == 0
        )


def send_campaign(owner):
    """A launched e-mail campaign on every customer agreeing to e-mail."""
    from datetime import date

    from clientela.campaigns.services import (
        campaign_create,
        campaign_launch,
        campaign_message_set,
        segment_create,
    )

    segment = segment_create(
        actor=owner,
        name="Quieren correo",
        conditions=[{"field": "consent_email", "value": True}],
    )
    campaign = campaign_create(
        actor=owner,
        segment=segment,
        name="Navidad",
        channel="email",
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 24),
        offer="Rosca de Reyes con **10 %** menos hasta el 6 de enero.",
        send_rate=60000,
    )
    campaign_message_set(
        actor=owner,
        campaign=campaign,
        subject="Feliz Navidad, {{ first_name }}",
        body=(
            "# Hola {{ first_name }}\n\n{{ offer }}\n\n"
            "Le esperamos en {{ city or 'nuestra tienda' }}. — {{ owner_name }}, "
            "{{ business_name }}\n"
        ),
    )
    campaign_message_set(
        actor=owner,
        campaign=campaign,
        language="ru",
        subject="С Рождеством, {{ first_name }}",
        body="# Здравствуйте, {{ contact_name }}\n\n{{ offer }}\n",
    )
    return campaign_launch(actor=owner, campaign=campaign)


def send_measure(args: argparse.Namespace) -> None:
    """Create the customers and the campaign, then send it and print the figures."""
    context = multiprocessing.get_context("spawn")
    count, server_cpu = context.Value("l", 0), context.Value("d", 0.0)
    ready, stop = context.Event(), context.Event()
    port = _free_port()
    server = context.Process(
        target=_smtp_serve, args=(port, count, server_cpu, ready, stop), daemon=True
    )
    server.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    imports.django_setup(args.database_url, peer=False)
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.urls import reverse

    from clientela.campaigns.models import CampaignMember, MemberGroup, MemberState
    from clientela.campaigns.services.sending import campaign_send_batch
    from clientela.campaigns.tasks import batch_limit
    from clientela.core.models import Role, User
    from clientela.customers.models import Customer
    from clientela.relations.models import Interaction

    call_command("migrate", verbosity=0, interactive=False)
    if Customer.objects.exists():
        if not args.reset:
            sys.exit("The database has customers; pass --reset to delete them.")
        send_wipe()
    owner, _created = User.objects.update_or_create(
        username="bench-owner", defaults={"role": Role.OWNER, "first_name": "Ana"}
    )
    tick = time.perf_counter()
    send_customers(args.customers, owner, args.seed)
    campaign = send_campaign(owner)
    contacted = CampaignMember.objects.filter(
        campaign=campaign, group=MemberGroup.CONTACTED
    ).count()
    print(imports.machine())
    print(
        f"{args.customers:,} customers, {contacted:,} to mail after the hold-out "
        f"(ready in {time.perf_counter() - tick:.1f} s)",
        flush=True,
    )
    ready.wait(30)
    # A worker is a long-lived process: its first link reads the whole URL map (several
    # seconds, once), which is no part of the sustained rate.
    reverse("campaigns:unsubscribe", args=["warm-up"])
    limit = args.batch or batch_limit(campaign.send_rate)
    windows: list[tuple[float, int, float]] = []  # (end, sent so far, resident MiB)
    sent = 0
    start = time.perf_counter()
    window_end = start + WINDOW
    resident_start = _resident_mib()
    cpu_start = _cpu_seconds()
    while True:
        taken = campaign_send_batch(campaign.pk, limit=limit)
        sent += taken
        now = time.perf_counter()
        if now >= window_end:
            windows.append((now, sent, _resident_mib()))
            window_end = now + WINDOW
        if (
            not taken
            and not CampaignMember.objects.filter(
                campaign=campaign, state=MemberState.QUEUED
            ).exists()
        ):
            break
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_start
    windows.append((start + seconds, sent, _resident_mib()))
    stop.set()
    server.join(10)
    received = count.value
    interactions = Interaction.objects.filter(
        source_type=ContentType.objects.get_for_model(CampaignMember),
        source_id__in=CampaignMember.objects.filter(campaign=campaign).values("pk"),
    ).count()
    print(f"\nbatches of {limit} messages; {imports.database_description()}")
    print("| window (s) | messages | messages/s | resident memory (MiB) |")
    print("|---|---:|---:|---:|")
    rates = []
    previous_time, previous_sent = start, 0
    for end, so_far, resident in windows:
        span = max(end - previous_time, 1e-9)
        rates.append((so_far - previous_sent) / span)
        print(
            f"| {previous_time - start:.0f}–{end - start:.0f} | {so_far - previous_sent:,} "
            f"| {rates[-1]:,.0f} | {resident:,.0f} |"
        )
        previous_time, previous_sent = end, so_far
    full = rates[:-1] or rates  # the last window is cut short
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n{sent:,} messages in {seconds:.1f} s: {sent / seconds:,.0f} messages/s in all, "
        f"slowest full window {min(full):,.0f}/s (target ≥ 300: "
        f"{'met' if min(full) >= 300 else 'NOT met'})"
    )
    print(
        f"resident memory {resident_start:,.0f} MiB at the start of sending, "
        f"{windows[-1][2]:,.0f} MiB at the end; peak {peak:,.0f} MiB"
    )
    print(
        f"the sending process used {cpu:.1f} s of CPU: {1000 * cpu / max(sent, 1):.2f} ms "
        f"per message, {sent / max(cpu, 1e-9):,.0f} messages per CPU second; "
        f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(
        f"the SMTP server's process used {server_cpu.value:.1f} s of CPU: "
        f"{1000 * server_cpu.value / max(sent, 1):.2f} ms per message"
    )
    print(f"the server received {received:,}; interactions recorded {interactions:,}")
    if received != sent or interactions != sent:
        sys.exit("the server's count or the interactions differ from the messages sent")
