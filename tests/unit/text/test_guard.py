"""The memorisation guard: rejects texts repeating a long span of a single training record."""

from __future__ import annotations

import numpy as np

from simulacra.text.guard import SpanGuard, ngrams

TRAIN = [
    "my neighbour's dog barks every single night at three in the morning",
    "the speaker sounds great and setup took two minutes",
    "the speaker sounds great and setup took two minutes",  # a span found in two records is a common phrase
]


def test_rejects_a_span_of_one_record_not_a_common_one_or_short_overlap() -> None:
    g = SpanGuard.build(TRAIN, span=8, max_records=1, rng=np.random.default_rng(0))
    flags = g.replays(
        [
            "Honestly, the dog barks every single night at three in the morning!",  # 9 words of record 0
            "the speaker sounds great and setup took two minutes",  # in two records: allowed
            "every single night the speaker sounds great",  # short overlaps only
            "",
        ]
    )
    assert flags.tolist() == [True, False, False, False]


def test_trim_cuts_before_the_repeated_span_and_state_round_trips() -> None:
    g = SpanGuard.build(TRAIN, span=8, rng=np.random.default_rng(0))
    text = "Well, the dog barks every single night at three in the morning"
    cut = g.trim(text)
    assert not g.replays([cut])[0] and text.startswith(cut) and len(cut) < len(text)
    g2 = SpanGuard.from_state(g.to_state())
    assert g2.replays([text]).tolist() == [True]
    assert "dog" not in str(g.to_state())  # digests only, no words


def test_ngrams_are_lowercase_words() -> None:
    assert ngrams("A b, C!", 2) == {"a b", "b c"}
