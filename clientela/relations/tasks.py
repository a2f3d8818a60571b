"""Work of relationship work that is due at a time: the scheduler runs these every
minute (``core.background.clock_register``)."""

from clientela.relations.services import activities_due_emit, agenda_digests_send


def activities_due_tick() -> int:
    """Tell webhooks of the activities that fell due since the last minute."""
    return activities_due_emit()


def agenda_digests_tick() -> int:
    """Queue the morning digests due now."""
    return agenda_digests_send()
