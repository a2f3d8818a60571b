"""The web import's runs and the mappings people save for next time.

An ``ImportRun`` follows one file through the wizard: uploaded (stored in
``DATA_DIR/imports``), planning (its mapping kept, the dry run made by the background
worker; a dry run that fails takes it back to uploaded, with the ``error``), planned (the
dry run's report kept), running in the background worker, then done, refused (rows were
refused: nothing was imported) or failed (an error undid everything). Its files are
named after its ``token``:

- ``<token>.xlsx|.csv``: the upload, deleted as soon as the run ends;
- ``<token>.progress``: the rows read so far, while it is planned or runs (the import's
  single transaction hides its own writes from the page that follows it);
- ``<token>-refused.xlsx``: the refused rows of an ended run, to correct and import again.

Files of runs never applied and refused rows are deleted ``FILES_KEPT`` after the upload
(``import_files_sweep``, run on every upload and at the start of every import).

A ``SavedMapping`` is a kind's mapping (header → field key) for a set of headers: a file
with the same headers, in any order, is mapped the same way next time.
"""

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clientela.core.models import BaseModel
from clientela.sheets.mapping import header_key

FILES_KEPT = timedelta(days=1)


def imports_dir() -> Path:
    """The folder uploads and refused rows are kept in (created when missing)."""
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def headers_signature(headers: list[str]) -> str:
    """The same for the same headers in any order, language-independent of case/accents."""
    keys = sorted({header_key(header) for header in headers} - {""})
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PLANNING = "planning", _("Checking")
    PLANNED = "planned", _("Checked")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Imported")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", pgettext_lazy("import run", "Failed")


ENDED = (ImportState.DONE, ImportState.REFUSED, ImportState.FAILED)


class ImportRun(BaseModel):
    """One file going through the import wizard (see the module)."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=40)
    file_name = models.CharField(_("file"), max_length=255)
    # The language of the person who uploaded it: the background work reports in it.
    language = models.CharField(max_length=8, default=settings.LANGUAGE_CODE)
    suffix = models.CharField(max_length=8, blank=True)
    has_upload = models.BooleanField(default=False)
    has_refused_file = models.BooleanField(default=False)
    sheets = models.JSONField(default=list, blank=True)
    sheet = models.CharField(_("sheet"), max_length=255, blank=True)
    headers = models.JSONField(default=list, blank=True)
    # Column index (as text: JSON keys) → field key.
    mapping = models.JSONField(default=dict, blank=True)
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    state = models.CharField(
        _("state"), max_length=12, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    # Rows per action (create, update, unchanged, refused): planned, then done.
    counts = models.JSONField(default=dict, blank=True)
    plan = models.JSONField(_("dry run"), null=True, blank=True)
    report = models.JSONField(_("report"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # When the background worker began the dry run (None while it waits for it).
    plan_started_at = models.DateTimeField(null=True, blank=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def upload_path(self) -> Path:
        return imports_dir() / f"{self.token}{self.suffix}"

    @property
    def beat_name(self) -> str:
        """The name of its sign of life while a worker checks or applies it
        (``core.heartbeat``)."""
        return f"import-{self.token}"

    @property
    def progress_path(self) -> Path:
        return imports_dir() / f"{self.token}.progress"

    @property
    def refused_path(self) -> Path:
        return imports_dir() / f"{self.token}-refused.xlsx"

    @property
    def columns(self) -> dict[int, str]:
        """The mapping with column indexes as numbers."""
        return {int(index): key for index, key in self.mapping.items()}

    @property
    def ended(self) -> bool:
        return self.state in ENDED


class SavedMapping(BaseModel):
    """Which column holds which field, for a kind's files with these headers."""

    kind = models.CharField(_("kind"), max_length=40)
    signature = models.CharField(max_length=64)
    headers = models.JSONField(default=list)
    # Header text → field key (``mapping_to_json``).
    mapping = models.JSONField(default=dict)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        constraints = [
            models.UniqueConstraint(fields=["kind", "signature"], name="saved_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {', '.join(self.headers)}"
