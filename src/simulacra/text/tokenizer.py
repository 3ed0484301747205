"""A byte-level BPE subword tokenizer trained on the column (the ``tokenizers`` package, extra ``text``).

Byte-level: every string (emoji, accents, any script) is encoded without an unknown token. Saved as the
tokenizer's own JSON text inside the model manifest (no pickle).

>>> tok = SubwordTokenizer.train(["a good echo", "a bad echo"], vocab_size=300)
>>> tok.decode(tok.encode("a good echo"))
'a good echo'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._optional import require

__all__ = ["BOS", "EOS", "PAD", "SubwordTokenizer"]

PAD, BOS, EOS = "<pad>", "<s>", "</s>"
_SPECIAL = [PAD, BOS, EOS]


def _tokenizers() -> Any:
    return require("tokenizers", extra="text", purpose="the free-text language model's subword tokenizer")


class SubwordTokenizer:
    """Wraps a trained ``tokenizers.Tokenizer``; ids 0, 1, 2 are padding, start and end of text."""

    def __init__(self, tokenizer: Any) -> None:
        self._tok = tokenizer

    @classmethod
    def train(cls, texts: Sequence[str], *, vocab_size: int = 2000, min_frequency: int = 2) -> SubwordTokenizer:
        tk = _tokenizers()
        tok = tk.Tokenizer(tk.models.BPE())
        tok.pre_tokenizer = tk.pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = tk.decoders.ByteLevel()
        trainer = tk.trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=_SPECIAL,
            initial_alphabet=tk.pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator(list(texts), trainer=trainer)
        return cls(tok)

    @classmethod
    def bytes_only(cls) -> SubwordTokenizer:
        """The 256 bytes and the special tokens, no merge learned from any text (the private model's)."""
        return cls.train([], vocab_size=len(_SPECIAL) + 256, min_frequency=1)

    @classmethod
    def from_json(cls, text: str) -> SubwordTokenizer:
        return cls(_tokenizers().Tokenizer.from_str(text))

    def to_json(self) -> str:
        return str(self._tok.to_str())

    @property
    def vocab_size(self) -> int:
        return int(self._tok.get_vocab_size())

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text).ids)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [list(e.ids) for e in self._tok.encode_batch(list(texts))]

    def decode(self, ids: Sequence[int]) -> str:
        return str(self._tok.decode([int(i) for i in ids if int(i) > 2]))

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        return [str(s) for s in self._tok.decode_batch([[int(i) for i in ids if int(i) > 2] for ids in batch])]
