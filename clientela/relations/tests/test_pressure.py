"""The consent and pressure rules alone: which contact is refused, and what it says."""

from datetime import UTC, datetime, timedelta

from clientela.relations.pressure import Limit, consent_refusal, limit_refusal

DAY = timedelta(days=1)
NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
FOUR_IN_30 = [Limit(max_contacts=4, days=30)]


def test_a_channel_without_consent_is_refused_naming_the_consent():
    refusal = consent_refusal(consents={"consent_phone": False}, channel="phone", replying=False)
    assert refusal is not None and refusal.field == "channel" and not refusal.overridable
    assert "agrees to calls" in refusal.message


def test_a_reply_needs_no_consent_and_channels_without_one_never_do():
    assert consent_refusal(consents={}, channel="phone", replying=True) is None
    assert consent_refusal(consents={}, channel="in_person", replying=False) is None
    assert (
        consent_refusal(consents={"consent_sms": True}, channel="whatsapp", replying=False) is None
    )
    assert consent_refusal(consents={"consent_sms": False}, channel="whatsapp", replying=False)


def test_the_fifth_contact_in_30_days_is_refused_with_the_count_and_the_day_it_frees():
    contacts = [("phone", NOW - n * 5 * DAY) for n in range(1, 5)]  # 5, 10, 15, 20 days ago
    refusal = limit_refusal(contacts=contacts, limits=FOUR_IN_30, channel="email", at=NOW)
    assert refusal is not None and refusal.field == "override_reason" and refusal.overridable
    assert "At most 4 outbound contacts in 30 days" in refusal.message
    assert "has 4" in refusal.message
    # The oldest of the four, 20 days ago (26 May), leaves the window 30 days after it.
    assert "from 05/26/2026 to 06/10/2026" in refusal.message
    assert "the next one fits from 06/25/2026" in refusal.message


def test_contacts_outside_the_window_do_not_count():
    contacts = [("phone", NOW - 31 * DAY), *(("phone", NOW - n * DAY) for n in (1, 2, 3))]
    assert limit_refusal(contacts=contacts, limits=FOUR_IN_30, channel="phone", at=NOW) is None


def test_contacts_planned_after_it_count_too():
    planned = [("phone", NOW + n * DAY) for n in (1, 2, 3, 4)]
    assert limit_refusal(contacts=planned, limits=FOUR_IN_30, channel="phone", at=NOW)
    # Far enough before them, the window holds fewer.
    assert (
        limit_refusal(contacts=planned, limits=FOUR_IN_30, channel="phone", at=NOW - 28 * DAY)
        is None
    )


def test_a_channel_limit_counts_only_its_channel():
    limits = [Limit(max_contacts=1, days=7, channel="email")]
    contacts = [("phone", NOW - DAY), ("email", NOW - 2 * DAY)]
    assert limit_refusal(contacts=contacts, limits=limits, channel="phone", at=NOW) is None
    refusal = limit_refusal(contacts=contacts, limits=limits, channel="email", at=NOW)
    assert refusal is not None and "by E-mail in 7 days" in refusal.message
