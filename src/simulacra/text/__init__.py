"""Free-text columns: PII scrubbing, a row-conditioned language model, a memorisation guard.

Importing this package loads no torch; the language model (:mod:`simulacra.text.lm`) imports it when a
model is trained or sampled. See docs/text.md.

>>> gen = simulacra.create_generator("gaussian_copula", random_state=0)
>>> gen.fit(df, text="lm")            # the table model, then one language model per free-text column
>>> gen.sample(100)                   # each row's text written from that row
"""

from .config import TextConfig
from .guard import SpanGuard
from .model import MIN_TEXTS, TextModel
from .pii import PII_TYPES, ScrubResult, find_pii, iban_valid, luhn_valid, scrub

__all__ = [
    "MIN_TEXTS",
    "PII_TYPES",
    "ScrubResult",
    "SpanGuard",
    "TextConfig",
    "TextModel",
    "find_pii",
    "iban_valid",
    "luhn_valid",
    "scrub",
]
