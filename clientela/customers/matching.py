"""Normalised text for search and for telling whether two customers are the same one."""

import re
from functools import lru_cache

from django.core.exceptions import ValidationError
from rapidfuzz import fuzz

from clientela.core.parsing import fold
from clientela.core.validators import normalize_phone

# Company-form words that do not tell two businesses apart ("Panadería Sol, S.A. de C.V.").
LEGAL_FORM_WORDS = frozenset(
    [
        "sa",
        "de",
        "cv",
        "s",
        "rl",
        "sapi",
        "sas",
        "sl",
        "slu",
        "srl",
        "ltda",
        "ltd",
        "inc",
        "llc",
        "cia",
        "y",
        "hnos",
        "hermanos",
        "ooo",
        "oao",
        "zao",
        "pao",
        "ip",
        "ао",
        "ооо",
        "зао",
        "пао",
        "ип",
    ]
)
STREET_WORDS = {
    "av": "avenida",
    "avda": "avenida",
    "c": "calle",
    "cll": "calle",
    "blvd": "boulevard",
    "col": "colonia",
    "no": "",
    "num": "",
    "ул": "улица",
    "д": "",
}
NAME_SIMILARITY = 85
STREET_SIMILARITY = 80


def name_key(name: str) -> str:
    """A customer name reduced to the words that identify it."""
    words: list[str] = []
    joining = False
    for word in fold(name).split():
        # "s a de c v" → "sa de cv": initials written with dots become one word.
        if len(word) == 1 and word.isalpha() and joining:
            words[-1] += word
        else:
            words.append(word)
            joining = len(word) == 1 and word.isalpha()
    return " ".join(w for w in words if w not in LEGAL_FORM_WORDS)


@lru_cache(maxsize=65536)  # an import keys the same streets near each new customer
def street_key(street: str) -> str:
    """A street line with its usual abbreviations written out."""
    words = (STREET_WORDS.get(w, w) for w in fold(street).split())
    return " ".join(w for w in words if w)


def names_similar(a: str, b: str) -> float:
    """Similarity 0–100 of two name keys, word order ignored."""
    return fuzz.token_sort_ratio(a, b)


def streets_similar(a: str, b: str) -> bool:
    """Whether two street keys are the same street and number, give or take a typo."""
    return bool(a and b) and fuzz.token_set_ratio(a, b) >= STREET_SIMILARITY


def search_document(*, names: list[str], tax_id: str, emails: list[str], phones: list[str]) -> str:
    """The folded text a customer is found by: names, tax id, e-mails and phone digits.

    Phones appear as their E.164 digits and their national digits, so that a search for
    ``5512345678`` or ``+52 55 1234 5678`` finds the same customer.
    """
    parts = [fold(n) for n in names if n]
    parts.append(tax_id.lower())
    parts.extend(e.lower() for e in emails)
    for phone in phones:
        digits = re.sub(r"\D", "", phone)
        parts.append(digits)
    return " | ".join(p for p in parts if p)


def search_terms(query: str) -> list[str]:
    """A search box's words, folded the way documents are; a phone-like query becomes digits."""
    stripped = query.strip()
    if re.fullmatch(r"[+\d\s().-]{6,}", stripped):
        try:  # a whole number in any form (044 55…, +52 1 55…) is searched as stored
            return [re.sub(r"\D", "", normalize_phone(stripped))]
        except ValidationError:  # part of a number
            return [re.sub(r"\D", "", stripped)]
    if "@" in stripped:
        return [stripped.lower()]
    return fold(stripped).split()
