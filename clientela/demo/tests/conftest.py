import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The demo hashes five passwords; a fast hasher keeps the tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
