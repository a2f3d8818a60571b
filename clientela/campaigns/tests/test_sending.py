"""A campaign's e-mail, sent through a real SMTP server on 127.0.0.1 and read back from
it: each member who may still be mailed gets their own message in their language, with
the unsubscribe headers; nobody else is mailed (consent withdrawn since the launch, a
contact limit, the hold-out, the set-aside); a bounce is kept per recipient; a crash
never mails anyone twice; a pause stops the worker and a resume goes on; every message
sent is on the customer's timeline; a test goes to its sender only."""

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.campaigns.models import (
    Campaign,
    CampaignMember,
    CampaignStatus,
    MemberGroup,
    MemberState,
)
from clientela.campaigns.selectors import campaign_progress
from clientela.campaigns.services import (
    campaign_launch,
    campaign_message_set,
    campaign_pause,
    campaign_resume,
    sending,
)
from clientela.campaigns.services.sending import (
    MAX_DEFERRALS,
    SENDING_TIMEOUT,
    campaign_send_batch,
    campaign_test_send,
)
from clientela.campaigns.tasks import campaign_send
from clientela.campaigns.tests.factories import campaign_draft
from clientela.core.background import sweeps_run
from clientela.customers.services import customer_update
from clientela.customers.tests.factories import CustomerFactory
from clientela.relations.models import Interaction
from clientela.relations.services import contact_limit_set, interaction_record
from clientela.relations.tests.factories import consenting

pytestmark = pytest.mark.django_db

MAILABLE = [{"field": "consent_email", "value": True}]


def _customer(name, address, **fields):
    return consenting(CustomerFactory(name=name, emails=[address], **fields))


def _launched(actor, conditions=MAILABLE, **fields):
    fields = {"holdout_percent": 0, "offer": "Rosca de Reyes con 10 % menos."} | fields
    campaign = campaign_draft(actor, conditions, **fields)
    return campaign_launch(actor=actor, campaign=campaign)


def _send_all(campaign, limit=50) -> None:
    """Run the worker's batches until no member is ready to go."""
    while CampaignMember.objects.filter(
        campaign=campaign, state=MemberState.QUEUED, claimed_at__isnull=True
    ).exists():
        campaign_send_batch(campaign.pk, limit=limit)


def _member(customer) -> CampaignMember:
    return CampaignMember.objects.get(customer=customer)


def test_each_member_gets_their_own_message_in_their_language_with_unsubscribe_headers(
    smtp, owner, settings
):
    settings.CLIENTELA_BASE_URL = "https://crm.espiga.mx"
    _customer("Café Luna", "luna@cafe.mx", language="es",
              contacts=[{"name": "Lucía Ríos", "is_primary": True}],
              addresses=[{"street": "Reforma 1", "city": "Puebla", "is_default": True}])  # fmt: skip
    _customer("Пекарня Волга", "volga@pekarnya.ru", language="ru")
    campaign = campaign_draft(owner, MAILABLE, holdout_percent=0, offer="Rosca con 10 %.")
    campaign_message_set(
        actor=owner,
        campaign=campaign,
        language="ru",
        subject="С Рождеством, {{ first_name }}",
        body="Здравствуйте, {{ contact_name }}!\n\n{{ offer }}",
    )
    campaign_message_set(
        actor=owner,
        campaign=campaign,
        subject="Feliz Navidad, {{ first_name }} de {{ city }}",
        body="Hola {{ first_name }}:\n\n{{ offer }}\n",
    )
    campaign_launch(actor=owner, campaign=campaign)

    _send_all(campaign)

    assert len(smtp.messages) == 2
    (luna,) = smtp.to("luna@cafe.mx")
    assert luna["Subject"] == "Feliz Navidad, Lucía de Puebla"
    assert luna["From"] == "Panadería La Espiga <ventas@espiga.mx>"
    text = luna.get_body(("plain",)).get_content()
    assert "Hola Lucía:" in text and "Rosca con 10 %." in text
    assert "<p>Hola Lucía:</p>" in luna.get_body(("html",)).get_content()
    link = luna["List-Unsubscribe"].strip().strip("<>")
    assert link.startswith("https://crm.espiga.mx/campaigns/unsubscribe/")
    assert link in text
    assert luna["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (volga,) = smtp.to("volga@pekarnya.ru")
    assert volga["Subject"].strip() == "С Рождеством, Пекарня Волга"
    assert "Здравствуйте, Пекарня Волга!" in volga.get_body(("plain",)).get_content()
    assert volga["List-Unsubscribe"] != luna["List-Unsubscribe"]
    assert set(CampaignMember.objects.values_list("state", flat=True)) == {MemberState.SENT}


def test_html_in_a_customers_name_is_escaped_in_the_message(smtp, owner):
    _customer('<b>Café</b> & "Co" <script>x()</script>', "co@cafe.mx")
    campaign = _launched(owner)

    _send_all(campaign)

    (message,) = smtp.messages
    html = message.get_body(("html",)).get_content()
    assert "<b>Café</b>" not in html and "<script>" not in html
    assert "&lt;b&gt;Café&lt;/b&gt;" in html


def test_only_who_may_still_be_mailed_is_mailed(smtp, owner):
    mailed = _customer("Café Luna", "luna@cafe.mx")
    withdrawn = _customer("Se arrepintió", "no@cafe.mx")
    busy = _customer("Muy escrito", "busy@cafe.mx")
    never = consenting(CustomerFactory(name="Nunca quiso", emails=["nunca@cafe.mx"]),
                       consent_email=False)  # fmt: skip
    campaign = _launched(
        owner, conditions=[{"field": "kind", "op": "in", "value": ["business", "person"]}]
    )
    assert _member(never).group == MemberGroup.SET_ASIDE
    # after the launch: one withdraws their consent, one reaches the e-mail limit
    customer_update(actor=None, customer=withdrawn, version=withdrawn.version, consent_email=False)
    contact_limit_set(actor=None, channel="email", max_contacts=1, days=30)
    interaction_record(actor=owner, customer=busy, channel="email", direction="outbound")

    _send_all(campaign)

    assert [message["To"] for message in smtp.messages] == ["luna@cafe.mx"]
    assert _member(mailed).state == MemberState.SENT
    for customer in (withdrawn, busy):
        member = _member(customer)
        assert member.state == MemberState.REFUSED and member.error
    assert _member(never).state == ""


def test_the_hold_out_is_never_mailed(smtp, owner):
    for number in range(20):
        _customer(f"Cliente {number}", f"c{number}@ejemplo.mx")
    campaign = _launched(owner, holdout_percent=50)

    _send_all(campaign)

    held = CampaignMember.objects.filter(group=MemberGroup.HOLDOUT).select_related("customer")
    assert held.count() == 10
    received = {message["To"] for message in smtp.messages}
    assert len(received) == 10
    assert not received & {member.customer.emails.get().email for member in held}


def test_the_link_in_a_message_unsubscribes_once(smtp, owner):
    customer = _customer("Café Luna", "luna@cafe.mx")
    campaign = _launched(owner)
    _send_all(campaign)
    (message,) = smtp.messages
    path = urlparse(message["List-Unsubscribe"].strip().strip("<>")).path
    mail_client = Client(enforce_csrf_checks=True)

    first = mail_client.post(path, "List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")  # fmt: skip
    second = mail_client.post(path, "List-Unsubscribe=One-Click",
                              content_type="application/x-www-form-urlencoded")  # fmt: skip

    assert first.status_code == second.status_code == 200
    customer.refresh_from_db()
    assert not customer.consent_email
    assert customer.history.filter(history_change_reason__contains="Navidad").count() == 1


def test_a_recipient_refused_by_the_server_is_bounced_and_the_others_are_sent(smtp, owner):
    _customer("Café Luna", "luna@cafe.mx")
    nobody = _customer("Nadie", "nadie@cafe.mx")
    _customer("Café Sol", "sol@cafe.mx")
    smtp.refusals["nadie@cafe.mx"] = "550 5.1.1 No such user"
    campaign = _launched(owner)

    _send_all(campaign)

    assert sorted(message["To"] for message in smtp.messages) == ["luna@cafe.mx", "sol@cafe.mx"]
    bounced = _member(nobody)
    assert bounced.state == MemberState.BOUNCED
    assert "550" in bounced.error and "No such user" in bounced.error
    assert campaign_progress(campaign).sent == 2
    assert not Interaction.objects.filter(customer=nobody).exists()


def test_a_recipient_put_off_is_tried_again_later_then_given_up(smtp, owner):
    later = _customer("Luego", "luego@cafe.mx")
    smtp.refusals["luego@cafe.mx"] = "451 4.2.1 Mailbox busy, try later"
    campaign = _launched(owner)

    campaign_send_batch(campaign.pk, limit=10)

    member = _member(later)
    assert (member.state, member.deferrals) == (MemberState.QUEUED, 1)
    assert campaign_send_batch(campaign.pk, limit=10) == 0, "not again at once"
    for _attempt in range(MAX_DEFERRALS - 1):
        CampaignMember.objects.update(claimed_at=timezone.now() - timedelta(hours=1))
        campaign_send_batch(campaign.pk, limit=10)
    member.refresh_from_db()
    assert member.state == MemberState.REFUSED and "451" in member.error
    assert smtp.messages == []


def test_a_crash_in_the_middle_of_a_batch_never_mails_anyone_twice(smtp, owner, monkeypatch):
    customers = [_customer(f"Cliente {n}", f"c{n}@ejemplo.mx") for n in range(4)]
    campaign = _launched(owner)
    real_send = sending._send_one
    calls = []

    def crashing(connection, email):
        calls.append(email.to)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real_send(connection, email)

    monkeypatch.setattr(sending, "_send_one", crashing)
    with pytest.raises(RuntimeError):
        campaign_send_batch(campaign.pk, limit=10)
    monkeypatch.undo()
    states = [_member(customer).state for customer in customers]
    assert states.count(MemberState.SENDING) == 1  # the one the crash struck
    assert set(states) <= {MemberState.SENT, MemberState.SENDING, MemberState.QUEUED}
    struck = customers[states.index(MemberState.SENDING)]
    # much later, the sweep finds the member the crash left being sent
    CampaignMember.objects.filter(state=MemberState.SENDING).update(
        claimed_at=timezone.now() - SENDING_TIMEOUT - timedelta(minutes=1)
    )
    CampaignMember.objects.filter(state=MemberState.QUEUED).update(claimed_at=None)
    assert sweeps_run() >= 1

    _send_all(campaign)

    assert [_member(customer).state for customer in customers] == [
        MemberState.UNKNOWN if customer == struck else MemberState.SENT for customer in customers
    ]
    received = sorted(message["To"] for message in smtp.messages)
    assert received == sorted(
        customer.emails.get().email for customer in customers if customer != struck
    )  # each once, and never the one the crash struck
    assert campaign_progress(campaign).unknown == 1


def test_members_left_sending_are_never_sent_again(smtp, owner):
    left = _customer("A medias", "medias@cafe.mx")
    fresh = _customer("Nuevo", "nuevo@cafe.mx")
    campaign = _launched(owner)
    CampaignMember.objects.filter(customer=left).update(
        state=MemberState.SENDING, claimed_at=timezone.now() - SENDING_TIMEOUT * 2
    )

    _send_all(campaign)

    assert [message["To"] for message in smtp.messages] == ["nuevo@cafe.mx"]
    assert _member(left).state == MemberState.UNKNOWN
    assert _member(fresh).state == MemberState.SENT


def test_the_worker_keeps_the_rate_stops_at_a_pause_and_goes_on_at_a_resume(
    smtp, owner, django_capture_on_commit_callbacks
):
    for number in range(3):
        _customer(f"Cliente {number}", f"c{number}@ejemplo.mx")
    campaign = campaign_draft(owner, MAILABLE, holdout_percent=0, send_rate=6)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_launch(actor=owner, campaign=campaign)
    (task,) = DBTaskResult.objects.all()
    assert task.queue_name == "mail" and task.task_path.endswith("campaign_send")

    before = timezone.now()
    campaign_send.call(*task.args_kwargs["args"])

    assert len(smtp.messages) == 1, "6 a minute: one message per 10 s"
    following = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert following.run_after >= before + timedelta(seconds=10)

    campaign = campaign_pause(actor=owner, campaign=campaign)
    DBTaskResult.objects.all().delete()
    campaign_send.call(*task.args_kwargs["args"])
    assert len(smtp.messages) == 1
    assert not DBTaskResult.objects.exists(), "a paused campaign's worker stops"

    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(actor=owner, campaign=campaign)
    (task,) = DBTaskResult.objects.all()
    campaign_send.call(*task.args_kwargs["args"])
    campaign_send.call(*task.args_kwargs["args"])
    assert len(smtp.messages) == 3
    DBTaskResult.objects.all().delete()
    campaign_send.call(*task.args_kwargs["args"])
    assert not DBTaskResult.objects.exists(), "nothing left: no next batch"
    assert Campaign.objects.get().status == CampaignStatus.RUNNING


def test_a_quick_pause_and_resume_leaves_one_worker_sending_at_the_rate(
    smtp, owner, django_capture_on_commit_callbacks
):
    for number in range(4):
        _customer(f"Cliente {number}", f"c{number}@ejemplo.mx")
    campaign = campaign_draft(owner, MAILABLE, holdout_percent=0, send_rate=6)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_launch(actor=owner, campaign=campaign)
    (first,) = DBTaskResult.objects.all()
    campaign_send.call(*first.args_kwargs["args"])
    (waiting,) = DBTaskResult.objects.exclude(pk=first.pk)

    campaign = campaign_pause(actor=owner, campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(actor=owner, campaign=campaign)
    (resumed,) = DBTaskResult.objects.exclude(pk__in=[first.pk, waiting.pk])

    campaign_send.call(*waiting.args_kwargs["args"])
    assert len(smtp.messages) == 1, "the batch queued before the pause sends nothing"
    assert DBTaskResult.objects.count() == 3, "and queues no next batch"
    campaign_send.call(*resumed.args_kwargs["args"])
    assert len(smtp.messages) == 2, "the resumed round goes on at the rate"


def test_a_message_greets_the_main_contact_else_a_person_by_first_name(smtp, owner):
    _customer("Café Luna", "luna@cafe.mx", contacts=[{"name": "Ana Pérez", "is_primary": True}])
    _customer("María López", "maria@correo.mx", kind="person")
    _customer("Panadería Sol", "sol@pan.mx")
    _send_all(_launched(owner))

    subjects = sorted(message["Subject"] for message in smtp.messages)

    assert subjects == [
        "Feliz Navidad, Ana",
        "Feliz Navidad, María",
        "Feliz Navidad, Panadería Sol",
    ]


def test_each_message_sent_is_an_interaction_on_the_customers_timeline(smtp, owner):
    luna = _customer("Café Luna", "luna@cafe.mx")
    campaign = _launched(owner)

    _send_all(campaign)

    (interaction,) = Interaction.objects.filter(customer=luna)
    assert (interaction.channel, interaction.direction) == ("email", "outbound")
    assert interaction.subject == "Feliz Navidad, Café Luna"
    assert interaction.source == _member(luna)
    assert interaction.staff == owner
    luna.refresh_from_db()
    assert luna.last_contacted_at == interaction.at == _member(luna).contacted_at


def test_a_test_goes_to_its_sender_only_and_records_nothing(smtp, owner):
    owner.email = "dueno@espiga.mx"
    owner.save()
    luna = _customer("Café Luna", "luna@cafe.mx")
    campaign = _launched(owner)

    campaign_test_send(actor=owner, campaign=campaign, customer=luna)

    (message,) = smtp.messages
    assert message["To"] == "dueno@espiga.mx"
    assert message["Subject"] == "[Test] Feliz Navidad, Café Luna"
    assert _member(luna).state == MemberState.QUEUED
    assert not Interaction.objects.exists()


def test_a_test_needs_the_senders_address(smtp, owner):
    _customer("Café Luna", "luna@cafe.mx")
    campaign = campaign_draft(owner, MAILABLE)

    with pytest.raises(ValidationError) as refused:
        campaign_test_send(actor=owner, campaign=campaign)

    assert "e-mail address" in refused.value.message_dict["email"][0]
    assert smtp.messages == []


def test_the_preview_shows_a_recipients_message_and_the_next_one(client, sales, owner):
    luna = _customer("Café Luna", "luna@cafe.mx")
    _customer("Zeta <i>Bar</i>", "zeta@cafe.mx")
    campaign = campaign_draft(owner, MAILABLE)
    client.force_login(sales)

    response = client.get(reverse("campaigns:campaign_preview", args=[campaign.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Feliz Navidad, Café Luna" in page
    assert 'sandbox=""' in page and "srcdoc=" in page
    assert f"?customer={luna.pk + 1}" in page
    after = client.get(response.context["after_url"])
    page = after.content.decode()
    assert "Feliz Navidad, Zeta &lt;i&gt;Bar&lt;/i&gt;" in page and "<i>Bar</i>" not in page
    assert f"?customer={luna.pk}" in page


def test_the_test_send_page_sends_to_oneself_and_readers_may_not(client, smtp, owner, readonly):
    owner.email = "dueno@espiga.mx"
    owner.save()
    luna = _customer("Café Luna", "luna@cafe.mx")
    campaign = campaign_draft(owner, MAILABLE)
    url = reverse("campaigns:campaign_test_send", args=[campaign.pk])
    client.force_login(owner)

    response = client.post(url, {"customer": luna.pk}, follow=True)

    assert response.redirect_chain[-1][0].endswith(f"/preview/?customer={luna.pk}")
    assert "The test was sent to dueno@espiga.mx." in response.content.decode()
    assert [message["To"] for message in smtp.messages] == ["dueno@espiga.mx"]
    client.force_login(readonly)
    assert client.post(url, {"customer": luna.pk}).status_code == 403
    assert len(smtp.messages) == 1


def test_the_progress_fragment_counts_and_polls_while_messages_wait(client, smtp, owner, readonly):
    _customer("Café Luna", "luna@cafe.mx")
    _customer("Nadie", "nadie@cafe.mx")
    smtp.refusals["nadie@cafe.mx"] = "550 No such user"
    campaign = _launched(owner)
    client.force_login(readonly)
    url = reverse("campaigns:campaign_progress", args=[campaign.pk])

    waiting = client.get(url).content.decode()
    _send_all(campaign)
    done = client.get(url).content.decode()
    campaign_pause(actor=owner, campaign=campaign)
    paused = client.get(url).content.decode()

    assert 'hx-trigger="every 2s"' in waiting and "Sending…" in waiting
    assert 'id="progress-queued">2<' in waiting and 'value="0"' in waiting
    assert "hx-trigger" not in done and "Sending finished" in done
    assert 'id="progress-sent">1<' in done and 'id="progress-bounced">1<' in done
    assert 'value="100"' in done
    assert "hx-trigger" not in paused and "Sending paused" in paused
