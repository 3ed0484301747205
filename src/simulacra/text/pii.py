"""Personal data inside free text: find it and replace it with surrogates before any model sees the text.

Detected, in this order (an earlier type claims its characters first):

``email``   ``name@host.tld``
``url``     ``http(s)://...`` and ``www....``
``iban``    two letters, two check digits and 11-30 letters/digits (spaces allowed), mod-97 checked
``card``    13-19 digits (spaces or dashes allowed), Luhn checked
``phone``   7-15 digits in the usual shapes (``+1 (555) 123-4567``, ``555.123.4567``, ``0612345678``)
``handle``  ``@user`` mentions that occur in fewer than ``min_records`` records (a frequent handle is a
            brand, ``@united``; a rare one is most likely a person)
``name``    person names: a capitalised word of Faker's first-name list followed by one of its last-name
            list; any capitalised word after a cue (``Mr.``, ``Mrs.``, ``Ms.``, ``Dr.``, ``my name is``,
            ``named``, ``called``); a capitalised first name alone when it is rare in the column (fewer
            than ``max(min_records, 1%)`` of the records: a frequent one, ``Alexa``, is a product)

Surrogates come from Faker, seeded from ``random_state``, so the same input and seed give the same output.
Counts by type are returned; the text itself is never logged.

>>> out = scrub(["mail me at jo@example.org"], random_state=0)
>>> out.counts["email"]
1
"""

from __future__ import annotations

import importlib
import itertools
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .._random import RandomState, check_random_state, child_seed

__all__ = ["PII_TYPES", "ScrubResult", "find_pii", "iban_valid", "luhn_valid", "name_lists", "scrub"]

PII_TYPES = ("email", "url", "iban", "card", "phone", "handle", "name")

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?!\w)")
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_CUE = re.compile(
    r"\b(?:(?:Mr|Mrs|Ms|Dr|Miss|Mx)\.?|[Mm]y name is|[Nn]amed|[Cc]alled)\s+([A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+)?)"
)
_CAPWORD = re.compile(r"\b[A-Z][a-z'’]+\b")
_TRAILING = ".,;:!?)]}'\""


@dataclass
class ScrubResult:
    """Texts with personal data replaced, and how many of each type were replaced."""

    texts: list[str | None]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PII_TYPES, 0))


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a digit string (card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return len(digits) >= 2 and total % 10 == 0


def iban_valid(text: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN (spaces ignored)."""
    s = text.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    moved = s[4:] + s[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


@lru_cache(maxsize=8)
def name_lists(locale: str | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """First and last names of Faker's person provider for ``locale`` (and always en_US)."""
    first: set[str] = set()
    last: set[str] = set()
    for loc in {"en_US", (locale or "en_US").replace("-", "_")}:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            first.update(str(n) for n in getattr(provider, attr, ()) or ())
        last.update(str(n) for n in getattr(provider, "last_names", ()) or ())
    return frozenset(n for n in first if n[:1].isupper()), frozenset(n for n in last if n[:1].isupper())


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def find_pii(
    text: str, *, rare_handles: set[str] | None = None, rare_names: set[str] | None = None, locale: str | None = None
) -> list[tuple[int, int, str]]:
    """Spans ``(start, end, type)`` of personal data in ``text``, not overlapping, sorted by start.

    ``rare_handles`` / ``rare_names``: the handles and lone first names to treat as personal (see
    :func:`scrub`, which computes them over the column); ``None`` treats every handle and no lone name so.
    """
    taken = [False] * len(text)
    spans: list[tuple[int, int, str]] = []

    def claim(start: int, end: int, kind: str) -> None:
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        if end <= start or any(taken[start:end]):
            return
        taken[start:end] = [True] * (end - start)
        spans.append((start, end, kind))

    for m in _EMAIL.finditer(text):
        claim(m.start(), m.end(), "email")
    for m in _URL.finditer(text):
        claim(m.start(), m.end(), "url")
    for m in _IBAN.finditer(text):
        if iban_valid(m.group()):
            claim(m.start(), m.end(), "iban")
    for m in _CARD.finditer(text):
        d = _digits(m.group())
        if 13 <= len(d) <= 19 and luhn_valid(d):
            claim(m.start(), m.end(), "card")
    for m in _PHONE.finditer(text):
        d = _digits(m.group())
        if 7 <= len(d) <= 15 and not _looks_like_date(m.group()):
            claim(m.start(), m.end(), "phone")
    for m in _HANDLE.finditer(text):
        if rare_handles is None or m.group().lower() in rare_handles:
            claim(m.start(), m.end(), "handle")
    first, last = name_lists(locale)
    for m in _CUE.finditer(text):
        claim(m.start(1), m.end(1), "name")
    words = list(_CAPWORD.finditer(text))
    for a, b in itertools.pairwise(words):
        if a.group() in first and b.group() in last and text[a.end() : b.start()].strip() == "":
            claim(a.start(), b.end(), "name")
    if rare_names:
        for w in words:
            if w.group() in rare_names:
                claim(w.start(), w.end(), "name")
    return sorted(spans)


def _url_surrogate(url: str, rnd: Any) -> str:
    """The same scheme and host (a host is a site, not a person: ``t.co``, ``amazon.com``) with a path of
    fresh characters of the same classes (letters stay letters, digits digits, punctuation is kept)."""
    m = re.match(r"((?:https?://)?[^/?#\s]+)(.*)", url, flags=re.IGNORECASE | re.S)
    if m is None:
        return url
    path = []
    for c in m.group(2):
        if c.isdigit():
            path.append(rnd.choice(string.digits))
        elif c.isalpha():
            path.append(rnd.choice(string.ascii_uppercase if c.isupper() else string.ascii_lowercase))
        else:
            path.append(c)
    return m.group(1) + "".join(path)


def _looks_like_date(s: str) -> bool:
    return bool(re.fullmatch(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}", s.strip()))


def _column_stats(texts: Sequence[str], min_records: int, locale: str | None) -> tuple[set[str], set[str]]:
    """Handles and lone first names rare enough in the column to be taken as a person's."""
    handles: Counter[str] = Counter()
    names: Counter[str] = Counter()
    first, _ = name_lists(locale)
    for t in texts:
        handles.update({h.lower() for h in _HANDLE.findall(t)})
        names.update({w for w in _CAPWORD.findall(t) if w in first})
    cut_names = max(min_records, int(0.01 * len(texts)))
    return {h for h, c in handles.items() if c < min_records}, {n for n, c in names.items() if c < cut_names}


def scrub(
    texts: Sequence[str | None],
    *,
    random_state: RandomState = None,
    locale: str | None = None,
    min_records: int = 5,
    column_stats: bool = True,
) -> ScrubResult:
    """Replace personal data in every text by a Faker surrogate of the same type (see the module docstring).

    Missing texts (``None``) stay missing. ``min_records``: handles and lone first names found in fewer
    records than this are taken as personal. ``column_stats=False``: record-local rules only (every
    handle is replaced, lone first names are not), for the differentially private text model.
    """
    from faker import Faker

    rng = check_random_state(random_state)
    fake = Faker(locale or "en_US")
    fake.seed_instance(child_seed(rng))
    present = [t for t in texts if isinstance(t, str)]
    rare_handles: set[str] | None
    rare_handles, rare_names = _column_stats(present, min_records, locale) if column_stats else (None, set())
    makers: dict[str, Callable[[str], str]] = {
        "email": lambda s: fake.email(),
        "url": lambda s: _url_surrogate(s, fake.random),
        "iban": lambda s: fake.iban(),
        "card": lambda s: fake.credit_card_number(),
        "phone": lambda s: fake.numerify("###-###-####"),
        "handle": lambda s: "@" + fake.user_name(),
        "name": lambda s: fake.name() if " " in s.strip() else fake.first_name(),
    }
    counts = dict.fromkeys(PII_TYPES, 0)
    out: list[str | None] = []
    for t in texts:
        if not isinstance(t, str):
            out.append(None)
            continue
        spans = find_pii(t, rare_handles=rare_handles, rare_names=rare_names, locale=locale)
        if not spans:
            out.append(t)
            continue
        pieces: list[str] = []
        pos = 0
        for start, end, kind in spans:
            pieces.append(t[pos:start])
            pieces.append(makers[kind](t[start:end]))
            counts[kind] += 1
            pos = end
        pieces.append(t[pos:])
        out.append("".join(pieces))
    return ScrubResult(out, counts)
