"""Mexican identifiers for the demo: RFCs and CURPs built the way SAT and RENAPO build them.

The letters come from the name (simplified rules: particles skipped, "José"/"María"
passed over in compound given names, rude words defused), the digits from the date;
the check digits are python-stdnum's, so every value passes strict validation.
Homoclaves are random draws from the alphabet SAT uses, not SAT's name hash.
"""

import random
import unicodedata
from datetime import date

from stdnum.mx import curp as stdnum_curp
from stdnum.mx import rfc as stdnum_rfc

# Words left out of names and surnames when taking their letters.
_PARTICLES = frozenset({"DA", "DAS", "DE", "DEL", "DER", "DI", "DIE", "DD", "EL", "LA", "LOS"})
_PARTICLES |= {"LAS", "LE", "LES", "MAC", "MC", "VAN", "VON", "Y"}
_COMMON_FIRST_NAMES = frozenset({"JOSE", "J", "MARIA", "MA"})
_COMPANY_SKIP_WORDS = frozenset(
    {"S", "A", "SA", "DE", "C", "V", "CV", "R", "L", "RL", "SC", "EL", "LA", "LOS", "LAS"}
) | {"Y", "DEL", "EN", "PARA", "POR", "CON", "COMPANIA", "CIA", "SOCIEDAD", "SAPI", "AC"}
# SAT's homoclave alphabet (no 0, no O); stdnum allows only 1-9 and A-V in the first place.
_HOMOCLAVE_FIRST = "123456789ABCDEFGHIJKLMNPQRSTUV"
_HOMOCLAVE_SECOND = "123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
_VOWELS = "AEIOU"


def _letters(text: str) -> str:
    """Upper case A–Z and spaces only: accents dropped, Ñ written as X as RENAPO does."""
    text = text.upper().replace("Ñ", "X")
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if "A" <= c <= "Z" else " " for c in plain)


def _words(text: str) -> list[str]:
    return [w for w in _letters(text).split() if w not in _PARTICLES]


def _given_name(given: str) -> str:
    words = _words(given)
    if len(words) > 1 and words[0] in _COMMON_FIRST_NAMES:
        return words[1]
    return words[0] if words else "X"


def _first_internal(word: str, wanted: str) -> str:
    return next((c for c in word[1:] if c in wanted), "X")


def _person_letters(given: str, paternal: str, maternal: str, blacklist: set[str]) -> str:
    first_surname = "".join(_words(paternal)) or "X"
    second_surname = "".join(_words(maternal))
    name = _given_name(given)
    letters = (
        first_surname[0]
        + _first_internal(first_surname, _VOWELS)
        + (second_surname[:1] or "X")
        + name[0]
    )
    # An identifier that spells a rude word gets an X in its second place.
    return letters[0] + "X" + letters[2:] if letters in blacklist else letters


def _date_digits(day: date) -> str:
    return day.strftime("%y%m%d")


def _homoclave(rng: random.Random) -> str:
    return rng.choice(_HOMOCLAVE_FIRST) + rng.choice(_HOMOCLAVE_SECOND)


def person_rfc(*, given: str, paternal: str, maternal: str, birth: date, rng: random.Random) -> str:
    """A 13-character RFC of a person, with a valid check digit."""
    base = _person_letters(given, paternal, maternal, stdnum_rfc._name_blacklist)
    base += _date_digits(birth) + _homoclave(rng)
    return base + stdnum_rfc.calc_check_digit(base)


def company_rfc(*, legal_name: str, founded: date, rng: random.Random) -> str:
    """A 12-character RFC of a company, with a valid check digit."""
    words = [w for w in _letters(legal_name).split() if w not in _COMPANY_SKIP_WORDS]
    words = words or ["XXX"]
    if len(words) >= 3:
        letters = "".join(w[0] for w in words[:3])
    elif len(words) == 2:
        letters = words[0][0] + words[1][:2]
    else:
        letters = words[0][:3]
    letters = letters.ljust(3, "X")
    base = letters + _date_digits(founded) + _homoclave(rng)
    return base + stdnum_rfc.calc_check_digit(base)


def person_curp(
    *,
    given: str,
    paternal: str,
    maternal: str,
    birth: date,
    female: bool,
    state: str,
    rng: random.Random,
) -> str:
    """An 18-character CURP (state as RENAPO's two letters, "DF" for Mexico City)."""
    first_surname = "".join(_words(paternal)) or "X"
    second_surname = "".join(_words(maternal)) or "X"
    name = _given_name(given)
    consonants = "BCDFGHJKLMNPQRSTVWXYZ"
    base = (
        _person_letters(given, paternal, maternal, stdnum_curp._name_blacklist)
        + _date_digits(birth)
        + ("M" if female else "H")
        + state
        + _first_internal(first_surname, consonants)
        + (_first_internal(second_surname, consonants) if second_surname != "X" else "X")
        + _first_internal(name, consonants)
        # RENAPO's differentiator: a digit for births in the 1900s, a letter after.
        + (str(rng.randrange(10)) if birth.year < 2000 else rng.choice("ABCDEFGHIJ"))
    )
    return base + stdnum_curp.calc_check_digit(base)
