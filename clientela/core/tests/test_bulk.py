"""The bulk writer is the services' alone (the layering rule of docs/architecture.md)."""

from pathlib import Path

import clientela

ROOT = Path(clientela.__file__).parent


def test_only_services_write_through_the_bulk_writer():
    users = {
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if "clientela.core.bulk" in path.read_text(encoding="utf-8") and "tests" not in path.parts
    }
    assert users, "the bulk writer is used"
    assert {
        user
        for user in users
        if not ("services" in Path(user).parts or user.endswith("services.py"))
    } == set()
