"""Settings of the free-text model (a frozen dataclass; no heavy imports)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..errors import ParameterError

__all__ = ["TextConfig"]


@dataclass(frozen=True)
class TextConfig:
    """Settings of the free-text model (the defaults fit 10,000 tweets in about 10 minutes on one core)."""

    epochs: int = 30
    """Passes over the texts at most (early stopping on a 5% validation share usually ends sooner)."""
    max_minutes: float = 12.0
    """Training time budget; an epoch that would end after it does not start."""
    max_texts: int = 10_000
    """Texts used for training at most (a random subset of the column when it has more)."""
    vocab_size: int = 2000
    embed: int = 128
    hidden: int = 256
    dropout: float = 0.1
    layers: int = 1
    """GRU layers."""
    tie: bool = False
    """Tie the output layer to the token embeddings (through a projection to their width)."""
    lr_decay: float = 1.0
    """Factor on the learning rate after an epoch without a better validation loss (1: constant)."""
    patience: int = 2
    """Epochs without a better validation loss before training stops."""
    early_stopping: bool = True
    """False: train for ``epochs`` or ``max_minutes`` and keep the last weights, not the best on validation
    (a closer fit to the training texts; the memorisation guard still rejects replayed spans)."""
    batch_size: int = 64
    lr: float = 3e-3
    max_tokens: int = 128
    """Subwords per text at most; longer texts are cut in training and in sampling."""
    temperature: float = 0.9
    top_p: float = 0.95
    guard_span: int = 8
    """Words in a span that, found in at most ``guard_max_records`` training records, rejects a text."""
    guard_max_records: int = 1
    guard_tries: int = 8
    """Resampling rounds for rejected texts; texts rejected every time are cut before the repeated span."""
    scrub_pii: bool = True
    threads: int = 1
    epsilon: float | None = None
    """Differential privacy: train by DP-SGD within this budget (see :mod:`simulacra.text.dp`); None: not DP."""
    delta: float = 1e-9
    max_grad_norm: float = 1.0
    """DP-SGD's per-example clipping norm."""

    def check(self) -> None:
        problems = []
        positive = ("epochs", "vocab_size", "embed", "hidden", "batch_size", "max_tokens", "guard_span", "threads")
        for name in (*positive, "layers", "patience"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                problems.append(f"{name} must be a positive integer, got {v!r}")
        if not self.max_minutes > 0:
            problems.append(f"max_minutes must be positive, got {self.max_minutes!r}")
        if not 0 <= self.dropout < 1:
            problems.append(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not 0 < self.lr_decay <= 1:
            problems.append(f"lr_decay must be in (0, 1], got {self.lr_decay!r}")
        if not self.temperature > 0:
            problems.append(f"temperature must be positive, got {self.temperature!r}")
        if not 0 < self.top_p <= 1:
            problems.append(f"top_p must be in (0, 1], got {self.top_p!r}")
        if self.vocab_size < 260:
            problems.append(
                f"vocab_size must be at least 260 (the 256 bytes and special tokens), got {self.vocab_size}"
            )
        if self.epsilon is not None:
            eps = self.epsilon
            if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
                problems.append(f"epsilon must be a positive number or None, got {eps!r}")
            if not 0 < self.delta < 1:
                problems.append(f"delta must be in (0, 1), got {self.delta!r}")
            if not self.max_grad_norm > 0:
                problems.append(f"max_grad_norm must be positive, got {self.max_grad_norm!r}")
        if problems:
            raise ParameterError("text model settings: " + "; ".join(problems))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TextConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ParameterError(f"text model settings have no {unknown}; known settings: {sorted(known)}")
        return cls(**dict(d))
