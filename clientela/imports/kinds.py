"""The kinds of file an import reads and an export writes, by key."""

from __future__ import annotations

from clientela.imports.customers import CUSTOMERS
from clientela.imports.plan import Kind

KINDS: dict[str, Kind] = {kind.key: kind for kind in (CUSTOMERS,)}
