"""PII inside free text: detectors (with their checksums), context rules, surrogates, counts, seeding."""

from __future__ import annotations

import pytest

from simulacra.text.pii import find_pii, iban_valid, luhn_valid, scrub


def kinds(text: str, **kw: object) -> list[str]:
    return [k for _, _, k in find_pii(text, **kw)]  # type: ignore[arg-type]


def test_luhn_and_iban_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and iban_valid("DE89370400440532013000")
    assert not iban_valid("GB82 WEST 1234 5698 7654 33") and not iban_valid("hello")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jo.smith+x@mail.example.org today", ["email"]),
        ("see https://example.com/a?b=1. and www.foo.org", ["url", "url"]),
        ("card 4111 1111 1111 1111 please", ["card"]),
        ("IBAN GB82 WEST 1234 5698 7654 32 thanks", ["iban"]),
        ("call +1 (555) 123-4567 or 555.123.4567", ["phone", "phone"]),
        ("Mr. Jenkins met John Smith; my name is Lucy", ["name", "name", "name"]),
    ],
)
def test_detectors_find_each_type(text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 is not Luhn-valid",
        "on 2015-02-16 at 10:30 I paid 1234 dollars for 3 items",
        "Love my Echo, great sound and Alexa answers",
        "flight 1234 was 45 minutes late",
        "email me at home",
    ],
)
def test_no_false_alarm_on_ordinary_text(text: str) -> None:
    assert kinds(text, rare_handles=set(), rare_names=set()) == []


def test_handles_and_lone_names_are_personal_only_when_rare() -> None:
    texts = ["@united thanks"] * 10 + ["@united ask @bob_smith42 about it", "Alexa told Marcus the weather"]
    texts += ["Alexa plays music"] * 200
    out = scrub(texts, random_state=0)
    assert out.counts["handle"] == 1 and out.counts["name"] == 1
    assert out.texts[10].startswith("@united ask @") and "@bob_smith42" not in out.texts[10]  # type: ignore[union-attr]
    assert "Marcus" not in out.texts[11] and out.texts[11].startswith("Alexa told ")  # type: ignore[union-attr]


def test_scrub_replaces_counts_by_type_keeps_missing_and_is_seeded() -> None:
    texts = ["mail jo@example.org or call 555-123-4567", None, "nothing here", "card 4111-1111-1111-1111"]
    a = scrub(texts, random_state=3)
    b = scrub(texts, random_state=3)
    assert a.texts == b.texts
    assert a.texts[1] is None and a.texts[2] == "nothing here"
    assert "jo@example.org" not in a.texts[0] and "555-123-4567" not in a.texts[0]  # type: ignore[operator]
    assert "@" in a.texts[0]  # type: ignore[operator]  # a surrogate e-mail, not a deletion
    assert a.counts["email"] == 1 and a.counts["phone"] == 1 and a.counts["card"] == 1
    assert scrub(texts, random_state=4).texts != a.texts
