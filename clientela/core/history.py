"""Field-level history of records (django-simple-history), with its manager built once."""

from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

_managers: dict[tuple, type] = {}


class _OnceBuiltHistoryManager(HistoryManager):
    """simple-history's manager, whose class for a queryset class is made once: the
    library makes a new one (inspecting every queryset method) each time a record's
    ``history`` is read, which it does for every history row it writes."""

    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        key = (cls, queryset_class, class_name)
        if key not in _managers:
            _managers[key] = super().from_queryset(queryset_class, class_name)
        return _managers[key]


class History(HistoricalRecords):
    """``HistoricalRecords`` for every model that keeps its history."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("history_manager", _OnceBuiltHistoryManager)
        super().__init__(*args, **kwargs)
