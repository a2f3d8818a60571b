"""The floors of the house (docs/decisions/0014): no module imports from a floor above its
own, nor a domain from a later one; inside an app, the records and rules never import
what uses them; only services write in bulk or tell the apps above what happened.

Every ``import`` counts, at the top of a module or inside a function, since a lazy import
is still a dependency. Tests, migrations and the dotted paths handed to registries (read
when called, by the registry) do not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import clientela

ROOT = Path(clientela.__file__).parent
# Each app's floor, lowest first; apps on one floor do not import one another. The
# domains each have a floor of their own, in the order they were built: a later one may
# use an earlier one, never the reverse.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("web", "webhooks", "mail", "sheets"),
    ("customers",),
    ("orders",),
    ("events",),
    ("analytics",),
    ("relations",),
    ("campaigns",),
    ("imports", "demo"),
    ("urls", "settings", "__main__", "wsgi", "asgi"),
)
FLOOR = {app: number for number, apps in enumerate(FLOORS) for app in apps}
# Inside an app: what may not import what.
RECORDS = {"models", "rules", "pressure"}
WORK = {"services", "selectors", "tasks"}
FRONT = {"api", "views", "forms", "urls", "panels", "dashboard", "sheet", "apps", "admin"}
FRONT_PACKAGES = {"management", "templatetags"}
# What only services may do: write many rows beneath the models, tell the apps above.
EMITTERS = {"event_emit", "event_emit_many"}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        name = ".".join(parts).removesuffix(".__init__")
        yield name, path


def _imports(name: str, path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, module, names) of every import of ``clientela`` in the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("clientela."):
                    yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            if module == "clientela" or module.startswith("clientela."):
                yield node.lineno, module, tuple(alias.name for alias in node.names)


def _app(module: str) -> str:
    return module.split(".")[1]


def _furniture(module: str) -> str:
    """What part of its app a module is: ``services`` for ``customers.services.merge``."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 else ""


MODULES = list(_modules())


def test_every_app_has_a_floor():
    apps = {_app(name) for name, _path in MODULES if "." in name}
    assert apps - set(FLOOR) == set(), "add the new app to FLOORS and to decision 0014"


def _targets(module: str, imported: tuple[str, ...]) -> list[str]:
    """What an import names: the module, and each name as a module of it."""
    return [
        target for target in (module, *(f"{module}.{name}" for name in imported)) if "." in target
    ]


def test_no_module_imports_from_its_own_floor_or_above():
    upward = sorted(
        {
            f"{name} (line {line}) imports {module}"
            for name, path in MODULES
            if "." in name
            for line, module, imported in _imports(name, path)
            for target in _targets(module, imported)
            if _app(target) != _app(name) and FLOOR.get(_app(target), -1) >= FLOOR[_app(name)]
        }
    )
    assert upward == []


def test_inside_an_app_records_and_work_never_import_what_uses_them():
    wrong = []
    for name, path in MODULES:
        part = _furniture(name)
        if part in RECORDS:
            forbidden = WORK | FRONT | FRONT_PACKAGES
        elif part == "selectors":  # a service reads through selectors, never the reverse
            forbidden = FRONT | FRONT_PACKAGES | {"services", "tasks"}
        elif part in WORK:
            forbidden = (FRONT | FRONT_PACKAGES) - {part}
        else:
            continue
        wrong += [
            f"{name} (line {line}) imports {module}"
            for line, module, imported in _imports(name, path)
            for target in _targets(module, imported)
            if _app(target) == _app(name) and _furniture(target) in forbidden
        ]
    assert sorted(set(wrong)) == []


def test_only_services_write_in_bulk_or_emit_events():
    users: dict[str, set[str]] = {"the bulk writer": set(), "an event": set()}
    for name, path in MODULES:
        for _line, module, imported in _imports(name, path):
            if module == "clientela.core.bulk":
                users["the bulk writer"].add(name)
            if EMITTERS & set(imported):
                users["an event"].add(name)
    assert all(users.values()), "each is used, so the check checks something"
    strangers = {
        what: sorted(name for name in names if _furniture(name) != "services")
        for what, names in users.items()
    }
    assert strangers == {"the bulk writer": [], "an event": []}
