"""Recognise personal data in text columns by their values; column names only break ties.

Each rule is a per-value test; a column is PII of that type when at least ``MATCH_RATE`` of its sampled
non-missing values pass (``NAME_HINT_RATE`` when the column name hints at the type). Evidence gives the
rule and the share, never a value.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd

from .kinds import PiiType

__all__ = ["MATCH_RATE", "detect_pii"]

MATCH_RATE = 0.8
NAME_HINT_RATE = 0.5
MIN_DISTINCT_FOR_NAMES = 20
DISTINCT_NAME_RATE = 0.4

_EMAIL = re.compile(r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PHONE_CHARS = re.compile(r"\+?[\d\s().\-/]{7,25}")
_SSN = re.compile(r"\d{3}-\d{2}-\d{4}")
_DNI = re.compile(r"(\d{8})-?([A-Z])")
_NIE = re.compile(r"([XYZ])-?(\d{7})-?([A-Z])")
_NINO = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
_HANDLE = re.compile(r"@?[A-Za-z0-9_.]{2,30}")
_HOUSE_NUMBER = re.compile(r"^\s*(\d+[A-Za-z]?|[A-Z]{2,4}\s+\d+)[\s,]")
_STREET_PREFIX = re.compile(
    r"\b(calle|c/|carrer|avenida|avda|avinguda|paseo|passeig|plaza|pla[çc]a|rue|boulevard|via|viale|piazza|"
    r"stra(ss|ß)e|rua|travessera|ronda|camino)\b",
    re.IGNORECASE,
)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NAME_LOCALES = (
    "en_US", "en_GB", "en_IE", "en_NZ", "es_ES", "es_MX", "es_AR", "es_CO", "es_CL", "fr_FR", "fr_CA",
    "de_DE", "de_AT", "it_IT", "pt_BR", "pt_PT", "nl_NL", "nl_BE", "pl_PL", "sv_SE", "da_DK", "no_NO",
    "fi_FI", "ro_RO", "cs_CZ", "hu_HU", "tr_TR", "ga_IE", "id_ID",
)  # fmt: skip
_NAME_SPLIT = re.compile(r"[\s&,/+()\-]+|\b(?:and|y|i|et|und)\b", re.IGNORECASE)

_HINTS: dict[PiiType, tuple[str, ...]] = {
    PiiType.EMAIL: ("email", "mail"),
    PiiType.PHONE: ("phone", "tel", "mobile", "fax", "cell"),
    PiiType.FIRST_NAME: ("first", "given", "forename", "name"),
    PiiType.LAST_NAME: ("last", "surname", "family"),
    PiiType.PERSON_NAME: ("name", "fullname", "person", "customer", "contact"),
    PiiType.STREET_ADDRESS: ("address", "street", "addr"),
    PiiType.USERNAME: ("user", "username", "handle", "screen", "login", "nick", "account", "name"),
    PiiType.NATIONAL_ID: ("ssn", "nif", "dni", "nie", "nino", "national"),
    PiiType.IBAN: ("iban", "account"),
}


def _fold(text: str) -> str:
    """Lower case without accents: ``"Joaquín"`` -> ``"joaquin"``."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _listed(names: object) -> tuple[object, ...]:
    """Faker keeps names in tuples, lists or (weighted) dicts; some locales expose properties."""
    if isinstance(names, (tuple, list, dict, set, frozenset)):
        return tuple(names)
    return ()


@lru_cache(maxsize=1)
def _name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """First and last names of several Latin-script Faker locales, accent-folded."""
    first: set[str] = set()
    last: set[str] = set()
    for loc in _NAME_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except (ImportError, AttributeError):  # pragma: no cover - depends on the Faker version
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            first.update(_fold(str(n)) for n in _listed(getattr(provider, attr, ())))
        last.update(_fold(str(n)) for n in _listed(getattr(provider, "last_names", ())))
    return frozenset(first), frozenset(last)


@lru_cache(maxsize=1)
def _street_words() -> frozenset[str]:
    words = {"st", "ave", "rd", "blvd", "ln", "dr", "ct", "pl", "sq", "hwy", "pkwy", "ter", "cir", "apt", "suite"}
    try:
        provider = importlib.import_module("faker.providers.address.en_US").Provider
        words.update(s.lower() for s in getattr(provider, "street_suffixes", ()))
        provider_gb = importlib.import_module("faker.providers.address.en_GB").Provider
        words.update(s.lower() for s in getattr(provider_gb, "street_suffixes", ()))
    except (ImportError, AttributeError):  # pragma: no cover
        words.update({"street", "avenue", "road", "lane", "drive", "court", "way", "place", "square"})
    return frozenset(words)


def _is_phone(value: str) -> bool:
    v = value.strip()
    if not _PHONE_CHARS.fullmatch(v):
        return False
    digits = sum(ch.isdigit() for ch in v)
    if not 7 <= digits <= 15:
        return False
    if v.startswith("+") or "(" in v:
        return True
    groups = [g for g in re.split(r"[\s().\-/]+", v) if g]
    return len(groups) >= 3


def _is_national_id(value: str) -> bool:
    v = value.strip().upper()
    if _SSN.fullmatch(v) or _NINO.fullmatch(v):
        return True
    m = _DNI.fullmatch(v)
    if m:
        return _DNI_LETTERS[int(m.group(1)) % 23] == m.group(2)
    m = _NIE.fullmatch(v)
    if m:
        number = int(str("XYZ".index(m.group(1))) + m.group(2))
        return _DNI_LETTERS[number % 23] == m.group(3)
    return False


def _is_iban(value: str) -> bool:
    v = value.replace(" ", "").upper()
    if not _IBAN.fullmatch(v):
        return False
    moved = v[4:] + v[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def _is_address(value: str) -> bool:
    if _STREET_PREFIX.search(value) and any(ch.isdigit() for ch in value):
        return True
    first_line = value.strip().splitlines()[0] if value.strip() else ""
    if not _HOUSE_NUMBER.match(first_line + " "):
        return False
    words = {w.lower().strip(".,") for w in first_line.split()[1:]}
    return bool(words & _street_words())


def _name_tokens(value: str) -> list[str]:
    return [t for t in _NAME_SPLIT.split(_fold(value)) if t and t.isalpha()]


def _hinted(pii: PiiType, tokens: list[str]) -> bool:
    return any(t in _HINTS[pii] for t in tokens)


def detect_pii(values: pd.Series, tokens: list[str]) -> tuple[PiiType, str] | None:
    """The PII type of a text column, from a sample of its non-missing values, or ``None``.

    ``values`` are distinct-weighted by occurrence (a plain sample of rows); ``tokens`` are the column
    name's tokens, used only to lower the threshold or pick between two types that both fit.
    """
    if len(values) == 0:
        return None
    counts = values.astype(str).value_counts()
    text = pd.Series(counts.index.astype(str), index=counts.index)
    weights = counts.to_numpy()
    n = int(weights.sum())

    def rate(test: Callable[[str], bool]) -> float:
        hits = np.fromiter((test(v) for v in text), dtype=bool, count=len(text))
        return float(weights[hits].sum()) / n

    def passes(pii: PiiType, share: float) -> bool:
        return share >= MATCH_RATE or (share >= NAME_HINT_RATE and _hinted(pii, tokens))

    for pii, test, what in (
        (PiiType.EMAIL, lambda v: bool(_EMAIL.fullmatch(v.strip())), "look like e-mail addresses"),
        (PiiType.IBAN, _is_iban, "are IBANs with a valid mod-97 checksum"),
        (PiiType.NATIONAL_ID, _is_national_id, "look like national id numbers (SSN/DNI/NIE/NINO)"),
        (PiiType.PHONE, _is_phone, "look like phone numbers (7-15 digits with separators or +code)"),
        (PiiType.STREET_ADDRESS, _is_address, "look like street addresses (house number + street word)"),
    ):
        share = rate(test)
        if passes(pii, share):
            return pii, f"{100 * share:.0f}% of sampled values {what}: pii {pii.value}"

    distinct = len(text)
    if distinct >= MIN_DISTINCT_FOR_NAMES or (distinct >= 5 and _hinted(PiiType.PERSON_NAME, tokens)):
        found = _detect_names(text.tolist(), weights, tokens)
        if found is not None:
            return found
    handles = rate(lambda v: bool(_HANDLE.fullmatch(v)) and not v.isdigit())
    at_sign = rate(lambda v: v.startswith("@") and bool(_HANDLE.fullmatch(v)))
    if distinct >= 5 and (at_sign >= MATCH_RATE or (handles >= 0.95 and _hinted(PiiType.USERNAME, tokens))):
        return PiiType.USERNAME, (
            f"{100 * handles:.0f}% of sampled values are single tokens of letters, digits and '_' "
            "and the column name hints at users: pii username"
        )
    return None


def _detect_names(text: list[str], weights: np.ndarray, tokens: list[str]) -> tuple[PiiType, str] | None:
    """``text``: distinct values; ``weights``: how often each occurs."""
    first, last = _name_lists()
    split = [_name_tokens(v) for v in text]
    n = float(weights.sum())

    def share(hits: list[bool]) -> float:
        return float(weights[np.asarray(hits, dtype=bool)].sum()) / n

    full = share([2 <= len(ts) <= 4 and ts[0] in first and ts[-1] in last for ts in split])
    if full >= MATCH_RATE or (full >= NAME_HINT_RATE and _hinted(PiiType.PERSON_NAME, tokens)):
        return PiiType.PERSON_NAME, (
            f"{100 * full:.0f}% of sampled values are a known first name followed by a known last name: pii person_name"
        )
    if share([len(ts) == 1 for ts in split]) < 0.5:
        return None
    is_first = [bool(ts) and all(t in first for t in ts) for ts in split]
    is_last = [bool(ts) and all(t in last for t in ts) for ts in split]
    first_share, last_share = share(is_first), share(is_last)
    # A few frequent values that happen to be names (a city called Washington, a race called White)
    # must not make a column of names: the distinct values have to be names too.
    if max(float(np.mean(is_first)), float(np.mean(is_last))) < DISTINCT_NAME_RATE:
        return None
    hinted_last = _hinted(PiiType.LAST_NAME, tokens)
    if (hinted_last or last_share > first_share + 0.2) and (
        last_share >= MATCH_RATE or (last_share >= NAME_HINT_RATE and hinted_last)
    ):
        return PiiType.LAST_NAME, f"{100 * last_share:.0f}% of sampled values are known last names: pii last_name"
    if first_share >= MATCH_RATE or (first_share >= NAME_HINT_RATE and _hinted(PiiType.FIRST_NAME, tokens)):
        return PiiType.FIRST_NAME, (
            f"{100 * first_share:.0f}% of sampled values are known first names (Faker lists of "
            f"{len(_NAME_LOCALES)} locales): pii first_name"
        )
    return None
