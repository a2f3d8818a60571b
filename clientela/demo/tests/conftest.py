import pytest


@pytest.fixture(autouse=True)
def data_folder(settings, tmp_path):
    """The demo writes its sample spreadsheet into the data folder: a temporary one here."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR
