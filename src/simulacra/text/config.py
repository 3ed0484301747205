"""Settings of the free-text model (a frozen dataclass; no heavy imports)."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import MissingDependencyError, ParameterError

__all__ = ["NO_TRANSFORMERS", "TextConfig", "check_pretrained_folder"]

NO_TRANSFORMERS = (
    "a pre-trained text model folder (--text-model PATH, TextConfig(pretrained=...)) is loaded with the "
    "'transformers' package, which is not installed; install it with: pip install transformers "
    "(or use the built-in language model: --text-model lm)"
)
_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
_TOKENIZER = ("tokenizer.json", "vocab.json", "tokenizer.model", "vocab.txt", "spiece.model")


def check_pretrained_folder(path: str) -> Path:
    """The folder of ``TextConfig.pretrained`` as a Path, or a :class:`ParameterError` saying what is wrong
    with it (it must exist on disk: nothing is ever downloaded)."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise ParameterError(
            f"pre-trained text model folder '{folder}' does not exist; give a local folder in the Hugging Face "
            "format (config.json, weights, tokenizer files), e.g. one written by save_pretrained. Nothing is "
            "downloaded"
        )
    if not folder.is_dir():
        raise ParameterError(f"pre-trained text model '{folder}' is a file; give the folder that holds config.json")
    missing = []
    if not (folder / "config.json").is_file():
        missing.append("config.json")
    if not any((folder / w).is_file() for w in _WEIGHTS):
        missing.append("weights (model.safetensors or pytorch_model.bin)")
    if not any((folder / t).is_file() for t in _TOKENIZER):
        missing.append("tokenizer files (tokenizer.json, or vocab.json and merges.txt)")
    if missing:
        raise ParameterError(
            f"'{folder}' is not a pre-trained model folder in the Hugging Face format: it has no "
            f"{', no '.join(missing)}; save the model and its tokenizer there with save_pretrained"
        )
    return folder


@dataclass(frozen=True)
class TextConfig:
    """Settings of the free-text model. The default is a small causal transformer (256 wide, 3 blocks, 4
    heads, dropout 0.1, bfloat16 products where the CPU has them) trained for ``max_minutes`` (12) with a
    warm-up and a cosine learning rate, keeping the last weights; with ``epsilon`` the GRU trained by DP-SGD.
    ``arch="gru"`` gives the recurrent model (the default before the transformer), whose own defaults
    (constant rate, early stopping on the validation share) apply where a setting is left at None."""

    epochs: int = 30
    """Passes over the texts at most (early stopping on a 5% validation share usually ends sooner)."""
    max_minutes: float = 12.0
    """Training time budget; an epoch that would end after it does not start."""
    max_texts: int = 10_000
    """Texts used for training at most (a random subset of the column when it has more)."""
    arch: str = "auto"
    """The language model: ``"transformer"`` (:class:`simulacra.text.transformer.CondTransformer`, sized by
    ``width``, ``blocks`` and ``heads``), ``"gru"`` (:class:`simulacra.text.lm.CondGRU`, sized by ``embed``
    and ``hidden``), or ``"auto"``: the transformer, or the GRU when ``epsilon`` is set (DP-SGD trains a
    GRU). :attr:`model_arch` is the one used."""
    vocab_size: int = 2000
    embed: int = 128
    hidden: int = 256
    dropout: float = 0.1
    layers: int = 1
    """GRU layers."""
    tie: bool = False
    """Tie the output layer to the token embeddings (through a projection to their width)."""
    width: int = 256
    """Transformer only: the model width (embeddings and attention); a multiple of ``heads``."""
    blocks: int = 3
    """Transformer only: the number of blocks (attention + feed-forward)."""
    heads: int = 4
    """Transformer only: attention heads per block."""
    warmup: int | None = None
    """Steps of linear learning-rate warm-up (0: none); None: 200 for the transformer, 0 for the GRU."""
    schedule: str | None = None
    """``"cosine"``: the learning rate falls along a cosine to a tenth of ``lr`` over ``max_minutes`` or
    ``epochs``, whichever ends first;
    ``"constant"``; None: cosine for the transformer, constant for the GRU."""
    lr_decay: float = 1.0
    """Factor on the learning rate after an epoch without a better validation loss (1: constant)."""
    patience: int = 2
    """Epochs without a better validation loss before training stops."""
    early_stopping: bool | None = None
    """True: stop after ``patience`` epochs without a better validation loss and keep the best weights;
    False: train for ``epochs`` or ``max_minutes`` and keep the last weights (a closer fit to the training
    texts; the memorisation guard still rejects replayed spans); None: False for the transformer (its cosine
    rate ends small), True for the GRU. A ``pretrained`` model always keeps its best weights."""
    batch_size: int = 64
    lr: float | None = None
    """Adam's learning rate; None: 3e-3 for the GRU, 1e-3 for the transformer."""
    max_tokens: int = 128
    """Subwords per text at most; longer texts are cut in training and in sampling."""
    temperature: float = 0.9
    top_p: float = 0.95
    rerank: int = 1
    """Texts drawn per row, keeping the one the model finds most likely (mean log-probability per subword);
    1: no reranking. Sampling takes ``rerank`` times as long."""
    guard_span: int = 8
    """Words in a span that, found in at most ``guard_max_records`` training records, rejects a text."""
    guard_max_records: int = 1
    guard_tries: int = 8
    """Resampling rounds for rejected texts; texts rejected every time are cut before the repeated span."""
    scrub_pii: bool = True
    pretrained: str | None = None
    """A local folder with a pre-trained causal language model in the Hugging Face format (config.json,
    safetensors or .bin weights, tokenizer files), fine-tuned on the column instead of training the GRU or
    transformer from scratch; needs ``pip install transformers``; never downloads (see
    :mod:`simulacra.text.pretrained`). The settings of the own model (``arch``, sizes, ``lr``,
    ``vocab_size``) are then not used."""
    finetune_lr: float = 5e-5
    """Learning rate of the fine-tuning of a ``pretrained`` model (AdamW)."""
    finetune_batch_size: int = 16
    """Texts per fine-tuning step of a ``pretrained`` model (and per sampling step, times four)."""
    precision: str = "auto"
    """Transformer training arithmetic: ``"bfloat16"`` (matrix products in bfloat16 under autocast, weights,
    attention and loss in float32), ``"float32"``, or ``"auto"``: bfloat16 where the CPU multiplies bfloat16
    natively (AVX512-BF16 or AMX; 1.6x the steps per minute on an AMD EPYC core), else float32. The GRU and
    sampling always run in float32."""
    threads: int | None = None
    """Torch threads for training and sampling; None: every core the process may use (on the 2-core machine
    two threads run about 1.7x the steps per minute of one in float32, 1.6x in bfloat16)."""
    epsilon: float | None = None
    """Differential privacy: train by DP-SGD within this budget (see :mod:`simulacra.text.dp`); None: not DP."""
    delta: float = 1e-9
    max_grad_norm: float = 1.0
    """DP-SGD's per-example clipping norm."""

    @classmethod
    def transformer(cls, **overrides: Any) -> TextConfig:
        """The transformer explicitly (``arch="transformer"``; its defaults are the default model's: 256 wide,
        3 blocks, 4 heads, dropout 0.1, lr 1e-3 with 200 warm-up steps and a cosine to the time budget, the
        last weights kept). ``overrides``: any other setting."""
        return cls(**{"arch": "transformer", **overrides})

    @classmethod
    def gru(cls, **overrides: Any) -> TextConfig:
        """The recurrent model (``arch="gru"``: 256 units, lr 3e-3, constant rate, early stopping on the
        validation share keeping the best weights), the default text model before the transformer."""
        return cls(**{"arch": "gru", **overrides})

    @property
    def model_arch(self) -> str:
        """``"transformer"`` or ``"gru"``: ``arch``, with ``"auto"`` resolved (the GRU under ``epsilon``)."""
        if self.arch == "auto":
            return "gru" if self.epsilon is not None else "transformer"
        return self.arch

    @property
    def learning_rate(self) -> float:
        """``lr``, or the architecture's default."""
        if self.lr is not None:
            return float(self.lr)
        return 1e-3 if self.model_arch == "transformer" and self.epsilon is None else 3e-3

    @property
    def warmup_steps(self) -> int:
        """``warmup``, or the architecture's default (200 for the transformer, 0 for the GRU)."""
        if self.warmup is not None:
            return int(self.warmup)
        return 200 if self.model_arch == "transformer" else 0

    @property
    def lr_schedule(self) -> str:
        """``schedule``, or the architecture's default (cosine for the transformer, constant for the GRU)."""
        if self.schedule is not None:
            return self.schedule
        return "cosine" if self.model_arch == "transformer" else "constant"

    @property
    def keep_best(self) -> bool:
        """``early_stopping``, or the architecture's default (the last weights for the transformer)."""
        if self.early_stopping is not None:
            return bool(self.early_stopping)
        return self.model_arch != "transformer"

    def check(self) -> None:
        problems = []
        positive = (
            "epochs",
            "vocab_size",
            "embed",
            "hidden",
            "batch_size",
            "max_tokens",
            "guard_span",
            "width",
            "blocks",
            "heads",
            "finetune_batch_size",
            "rerank",
        )
        for name in (*positive, "layers", "patience"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                problems.append(f"{name} must be a positive integer, got {v!r}")
        if self.threads is not None and (
            isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1
        ):
            problems.append(f"threads must be a positive integer or None (every available core), got {self.threads!r}")
        if self.arch not in ("auto", "gru", "transformer"):
            problems.append(f"arch must be 'auto', 'gru' or 'transformer', got {self.arch!r}")
        if isinstance(self.width, int) and isinstance(self.heads, int) and self.heads > 0 and self.width % self.heads:
            problems.append(f"width ({self.width}) must be a multiple of heads ({self.heads})")
        if self.precision not in ("auto", "float32", "bfloat16"):
            problems.append(f"precision must be 'auto', 'float32' or 'bfloat16', got {self.precision!r}")
        if self.schedule not in (None, "constant", "cosine"):
            problems.append(f"schedule must be 'constant' or 'cosine', got {self.schedule!r}")
        if self.warmup is not None and (
            isinstance(self.warmup, bool) or not isinstance(self.warmup, int) or self.warmup < 0
        ):
            problems.append(f"warmup must be a non-negative integer or None, got {self.warmup!r}")
        if self.arch == "transformer" and self.epsilon is not None:
            problems.append("the differentially private text model is a GRU: use arch='gru' with epsilon")
        if self.pretrained is not None:
            if not isinstance(self.pretrained, str) or not self.pretrained.strip():
                problems.append(f"pretrained must be the path of a local model folder or None, got {self.pretrained!r}")
            elif self.epsilon is not None:
                problems.append("a pre-trained model is fine-tuned without DP: it cannot go with epsilon")
            if not self.finetune_lr > 0:
                problems.append(f"finetune_lr must be positive, got {self.finetune_lr!r}")
        if self.lr is not None and (
            isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not self.lr > 0
        ):
            problems.append(f"lr must be a positive number or None, got {self.lr!r}")
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
        if self.pretrained is not None:
            check_pretrained_folder(self.pretrained)
            if importlib.util.find_spec("transformers") is None:
                raise MissingDependencyError(NO_TRANSFORMERS)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TextConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ParameterError(f"text model settings have no {unknown}; known settings: {sorted(known)}")
        return cls(**dict(d))
