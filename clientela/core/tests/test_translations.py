"""The Spanish and Russian catalogs hold every string of the interface, translated."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import clientela

PACKAGE = Path(clientela.__file__).parent
LANGUAGES = ["es", "ru"]


def _catalog(root: Path, language: str):
    with open(root / "locale" / language / "LC_MESSAGES" / "django.po", "rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    catalog = _catalog(PACKAGE, language)
    untranslated = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert untranslated == []


def test_catalogs_hold_every_string_in_the_code(tmp_path):
    """Extract the strings afresh from a copy of the code and compare with the catalogs."""
    copy = tmp_path / "clientela"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    (tmp_path / "extract_settings.py").write_text(
        f"from clientela.settings import *\nLOCALE_PATHS = [{str(copy / 'locale')!r}]\n"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "es",
            "-l",
            "ru",
            "--no-obsolete",
            "-v",
            "0",
        ],
        cwd=copy,
        check=True,
        env={
            "DJANGO_SETTINGS_MODULE": "extract_settings",
            "PYTHONPATH": f"{PACKAGE.parent}:{tmp_path}",
            "CLIENTELA_DATA_DIR": str(tmp_path / "data"),
            "PATH": "/usr/bin:/bin",
        },
    )
    for language in LANGUAGES:
        fresh = {m.id for m in _catalog(copy, language) if m.id}
        assert "Customers" in fresh
        kept = {m.id for m in _catalog(PACKAGE, language) if m.id}
        assert sorted(map(str, fresh - kept)) == [], (
            f"{language}: run `make messages` and translate"
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogs_compile_with_every_placeholder_kept(language):
    """`msgfmt --check` refuses a translation whose placeholders differ from the original."""
    po = PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"
    checked = subprocess.run(
        ["msgfmt", "--check-format", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
