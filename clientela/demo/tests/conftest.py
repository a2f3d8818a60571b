import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The demo hashes five passwords; a fast hasher keeps the tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def data_folder(settings, tmp_path):
    """The demo writes its sample spreadsheet into the data folder: a temporary one here."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR
