"""One free-text column's model: PII scrubbing, subword tokenizer, row-conditioned LM, memorisation guard.

Used in two stages by every generator (see :mod:`simulacra.generators.base`): the table generator makes
the other columns and a placeholder text (whose word count follows the row), then :meth:`TextModel.sample`
writes each row's text from that row. Fitting:

1. the column's texts (at most ``max_texts``, drawn at random) are scrubbed of personal data
   (:func:`simulacra.text.pii.scrub`; counts by type kept in :attr:`TextModel.summary_`);
2. a byte-level BPE tokenizer is trained on them, the guard indexes their long spans;
3. the LM is trained on (row codes, subword ids) for ``epochs`` or ``max_minutes``, whichever ends first.

A column with fewer than ``MIN_TEXTS`` texts keeps the placeholder (the summary says so).
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._random import child_seed
from ..errors import ModelFileError
from ..progress import NO_PROGRESS, ProgressCallback
from ..schema import TableSchema
from .condition import ConditionEncoder, word_counts
from .config import TextConfig
from .guard import SpanGuard

__all__ = ["MIN_TEXTS", "TextModel"]

logger = logging.getLogger(__name__)

MIN_TEXTS = 20


def _clean(text: str) -> str:
    """Drop what no reader wants: broken byte sequences (decoded as U+FFFD) and control characters other
    than line breaks and tabs (a byte-level model can emit any byte)."""
    if text.isprintable() and "\ufffd" not in text:
        return text
    return "".join(c for c in text if c in "\n\t" or (c != "\ufffd" and unicodedata.category(c) not in ("Cc", "Cs")))


class TextModel:
    """The model of one free-text column (see the module docstring)."""

    def __init__(self, *, column: str, config: TextConfig | None = None) -> None:
        self.column = column
        self.config = config
        self.model_: Any = None  # the GRU or transformer (torch), once fitted

    @property
    def _cfg(self) -> TextConfig:
        return self.config or TextConfig()

    def fit(
        self,
        data: pd.DataFrame,
        schema: TableSchema,
        rng: np.random.Generator,
        progress: ProgressCallback | None = None,
    ) -> TextModel:
        from .pii import scrub

        cfg = self._cfg
        cfg.check()
        progress = progress or NO_PROGRESS
        start = time.perf_counter()
        col = data[self.column]
        present = np.flatnonzero(col.notna().to_numpy())
        if len(present) > cfg.max_texts:
            present = np.sort(rng.choice(present, size=cfg.max_texts, replace=False))
        frame = data.iloc[present].reset_index(drop=True)
        originals = frame[self.column].astype(str).tolist()
        self.summary_: dict[str, Any] = {"column": self.column, "n_texts": len(originals)}
        self.summary_["has_empty"] = any(not t.strip() for t in originals)
        self.guard_counts_ = {"drawn": 0, "rejected": 0, "trimmed": 0}
        if len(originals) < MIN_TEXTS:
            self.status_ = "placeholder"
            self.summary_["status"] = f"placeholder: only {len(originals)} texts (the language model needs {MIN_TEXTS})"
            logger.warning("text column %s keeps the placeholder: too few texts to train on", self.column)
            return self
        self.status_ = "lm"
        self.summary_["status"] = "language model"
        private = cfg.epsilon is not None
        if private:  # the sample of at most max_texts is a public function of the row count and the seed
            self.summary_["has_empty"] = True  # not looked at: no data-dependent rule
        texts = originals
        if cfg.scrub_pii:
            result = scrub(originals, random_state=child_seed(rng), locale=None, column_stats=not private)
            texts = [t if t is not None else "" for t in result.texts]
            if not private:  # the counts are a statistic of the texts: kept only outside DP
                self.summary_["pii_replaced"] = result.counts
        if private:
            self._fit_private(schema, texts, originals, rng, progress, start, frame)
        elif cfg.pretrained is not None:
            self._fit_pretrained(frame, schema, texts, originals, rng, progress, start)
        else:
            self._fit_lm(frame, schema, texts, originals, rng, progress, start)
        return self

    def _fit_private(
        self,
        schema: TableSchema,
        texts: list[str],
        originals: list[str],
        rng: np.random.Generator,
        progress: ProgressCallback,
        start: float,
        frame: pd.DataFrame,
    ) -> None:
        from .._optional import require
        from ..generators.deep._torch import torch_session, weights_of
        from ..privacy import PrivacyLedger
        from .dp import LENGTH_EDGES, train_lm_private
        from .tokenizer import SubwordTokenizer

        require("opacus", extra="dp", purpose="the differentially private text model")
        cfg = self._cfg
        ledger = PrivacyLedger(float(cfg.epsilon), float(cfg.delta))  # type: ignore[arg-type]
        self.tokenizer_ = SubwordTokenizer.bytes_only()
        self.guard_ = SpanGuard.build([], span=cfg.guard_span, max_records=cfg.guard_max_records, rng=rng)
        self.encoder_ = ConditionEncoder().fit_public(schema, self.column, LENGTH_EDGES)
        codes = self.encoder_.codes(frame, word_counts(pd.Series(originals)))
        ids = [s[: cfg.max_tokens] for s in self.tokenizer_.encode_batch(texts)]
        with torch_session(cfg.threads, seed=child_seed(rng)):
            model, result, plan = train_lm_private(
                ids,
                codes,
                cfg,
                vocab=self.tokenizer_.vocab_size,
                cards=self.encoder_.cardinalities,
                ledger=ledger,
                deadline=start + 60.0 * cfg.max_minutes,
                rng=rng,
                progress=progress,
            )
        self.model_ = model
        self.weights_ = weights_of(model)
        self.summary_.update(
            model="gru",
            vocab_size=self.tokenizer_.vocab_size,
            conditioned_on=self.encoder_.names,
            training={"epochs_run": result.epochs_run, "stopped_by": result.stopped_by, "dp_sgd": plan},
            privacy=ledger.to_dict(),
            fit_seconds=round(time.perf_counter() - start, 2),
        )

    def _guard_and_conditions(
        self,
        frame: pd.DataFrame,
        schema: TableSchema,
        texts: list[str],
        originals: list[str],
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Build the memorisation guard over the (scrubbed) texts and the row-condition encoder; return each
        training row's condition codes (the non-private fits; DP uses public bins and an empty guard)."""
        cfg = self._cfg
        self.guard_ = SpanGuard.build(texts, span=cfg.guard_span, max_records=cfg.guard_max_records, rng=rng)
        self.encoder_ = ConditionEncoder().fit(frame, schema, self.column)
        return self.encoder_.codes(frame, word_counts(pd.Series(originals)))

    def _fit_lm(
        self,
        frame: pd.DataFrame,
        schema: TableSchema,
        texts: list[str],
        originals: list[str],
        rng: np.random.Generator,
        progress: ProgressCallback,
        start: float,
    ) -> None:
        from ..generators.deep._torch import cpu_count, torch_session, weights_of
        from .lm import train_lm, trains_in_bfloat16
        from .tokenizer import SubwordTokenizer

        cfg = self._cfg
        progress.start("text-prepare", None)
        self.tokenizer_ = SubwordTokenizer.train(texts, vocab_size=cfg.vocab_size)
        codes = self._guard_and_conditions(frame, schema, texts, originals, rng)
        ids = [s[: cfg.max_tokens] for s in self.tokenizer_.encode_batch(texts)]
        progress.end("text-prepare")
        deadline = start + 60.0 * cfg.max_minutes
        with torch_session(cfg.threads, seed=child_seed(rng)):
            model, result = train_lm(
                ids,
                codes,
                cfg,
                vocab=self.tokenizer_.vocab_size,
                cards=self.encoder_.cardinalities,
                deadline=deadline,
                rng=rng,
                progress=progress,
            )
        self.model_ = model
        self.weights_ = weights_of(model)
        self.summary_.update(
            vocab_size=self.tokenizer_.vocab_size,
            conditioned_on=self.encoder_.names,
            model=cfg.model_arch,
            training={
                **result.to_dict(),
                "bfloat16": trains_in_bfloat16(cfg),
                "threads": cfg.threads or cpu_count(),
            },
            fit_seconds=round(time.perf_counter() - start, 2),
        )

    def _fit_pretrained(
        self,
        frame: pd.DataFrame,
        schema: TableSchema,
        texts: list[str],
        originals: list[str],
        rng: np.random.Generator,
        progress: ProgressCallback,
        start: float,
    ) -> None:
        from ..generators.deep._torch import torch_session
        from .config import check_pretrained_folder
        from .pretrained import encode, finetune, load_pretrained

        cfg = self._cfg
        folder = check_pretrained_folder(str(cfg.pretrained))
        progress.start("text-prepare", None)
        codes = self._guard_and_conditions(frame, schema, texts, originals, rng)
        with torch_session(cfg.threads, seed=child_seed(rng)):
            self.hf_model_, self.hf_tokenizer_ = load_pretrained(folder)
            seqs = encode(self.hf_tokenizer_, self.encoder_.describe(codes), texts, cfg.max_tokens)
            progress.end("text-prepare")
            result = finetune(
                self.hf_model_,
                self.hf_tokenizer_,
                seqs,
                epochs=cfg.epochs,
                batch_size=cfg.finetune_batch_size,
                lr=cfg.finetune_lr,
                deadline=start + 60.0 * cfg.max_minutes,
                patience=cfg.patience,
                early_stopping=True,  # a pre-trained model over-fits fast: keep its best weights on validation
                rng=rng,
                progress=progress,
            )
        self.summary_.update(
            pretrained={
                "folder": folder.name,
                "model_type": str(getattr(self.hf_model_.config, "model_type", "?")),
                "parameters": int(sum(p.numel() for p in self.hf_model_.parameters())),
            },
            vocab_size=len(self.hf_tokenizer_),
            conditioned_on=self.encoder_.names,
            training=result.to_dict(),
            fit_seconds=round(time.perf_counter() - start, 2),
        )

    @property
    def _pretrained(self) -> bool:
        return getattr(self, "hf_model_", None) is not None

    # -- sample -------------------------------------------------------------------------------------
    def sample(self, frame: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
        """The column's texts for the generated rows ``frame`` (missing where the table made it missing)."""
        col = frame[self.column]
        if self.status_ != "lm":
            return col
        from ..generators.deep._torch import torch_session
        from .lm import sample_texts

        cfg = self._cfg
        pretrained = self._pretrained
        present = np.flatnonzero(col.notna().to_numpy())
        out = col.astype(object).copy()
        if len(present) == 0:
            return out
        rows = frame.iloc[present].reset_index(drop=True)
        codes = self.encoder_.codes(rows, word_counts(rows[self.column]))
        texts: list[str] = [""] * len(rows)
        pending = np.arange(len(rows))
        with torch_session(cfg.threads):
            for _ in range(cfg.guard_tries):
                seed = child_seed(rng)
                if pretrained:
                    drawn = [_clean(t) for t in self._generate_pretrained(codes[pending], seed)]
                else:
                    ids = sample_texts(
                        self.model_,
                        codes[pending],
                        max_tokens=cfg.max_tokens,
                        temperature=cfg.temperature,
                        top_p=cfg.top_p,
                        seed=seed,
                        rerank=cfg.rerank,
                    )
                    drawn = [_clean(t) for t in self.tokenizer_.decode_batch(ids)]
                bad = self.guard_.replays(drawn)
                self.guard_counts_["drawn"] += len(drawn)
                self.guard_counts_["rejected"] += int(bad.sum())
                if not self.summary_.get("has_empty", True):  # an empty text where the column has none
                    bad |= np.array([not t.strip() for t in drawn], dtype=bool)
                for i, t in zip(pending.tolist(), drawn, strict=True):
                    texts[i] = t
                pending = pending[bad]
                if len(pending) == 0:
                    break
        placeholder = rows[self.column].astype(str).tolist()
        for i in pending.tolist():
            cut = self.guard_.trim(texts[i])
            if cut != texts[i]:
                self.guard_counts_["trimmed"] += 1
            texts[i] = cut if cut.strip() or self.summary_.get("has_empty", True) else placeholder[i]
        out.iloc[present] = texts
        return out.astype(col.dtype) if str(col.dtype) != "object" else out

    def _generate_pretrained(self, codes: np.ndarray, seed: int) -> list[str]:
        from ..generators.deep._torch import torch
        from .pretrained import generate

        cfg = self._cfg
        with torch.random.fork_rng(devices=[]):  # transformers draws from torch's global generator
            torch.manual_seed(seed)
            return generate(
                self.hf_model_,
                self.hf_tokenizer_,
                self.encoder_.describe(codes),
                max_tokens=cfg.max_tokens,
                temperature=cfg.temperature,
                top_p=cfg.top_p,
                batch=4 * cfg.finetune_batch_size,
            )

    def write_files(self, folder: Path, name: str) -> None:
        """Before the manifest is written: a fine-tuned pre-trained model goes into ``folder/name`` (its
        safetensors weights, config and tokenizer files); :meth:`get_state` then names the files."""
        if not self._pretrained:
            return
        from .pretrained import export_model

        self.saved_ = {"folder": name, **export_model(self.hf_model_, self.hf_tokenizer_, folder / name)}

    def guard_summary(self) -> dict[str, Any]:
        """Texts drawn, rejected by the guard (and the rate) and cut, since fit or load."""
        g: dict[str, Any] = dict(self.guard_counts_)
        g["rejection_rate"] = g["rejected"] / g["drawn"] if g["drawn"] else None
        return g

    # -- state --------------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "column": self.column,
            "config": asdict(self._cfg),
            "status": self.status_,
            "summary": self.summary_,
        }
        if self.status_ == "lm" and self._pretrained:
            saved = getattr(self, "saved_", None)
            if saved is None:
                raise ModelFileError("a fine-tuned pre-trained text model is saved with the generator's save(path)")
            state.update(guard=self.guard_.to_state(), encoder=self.encoder_.get_state(), pretrained=saved)
        elif self.status_ == "lm":
            state.update(
                tokenizer=self.tokenizer_.to_json(),
                guard=self.guard_.to_state(),
                encoder=self.encoder_.get_state(),
                weights=self.weights_,
            )
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, Any], schema: TableSchema, folder: Path | None = None) -> TextModel:
        """``folder``: the model folder (where a fine-tuned pre-trained model's files are)."""
        cfg = TextConfig.from_dict(state["config"])
        self = cls(column=str(state["column"]), config=cfg)
        self.status_ = str(state["status"])
        self.summary_ = dict(state["summary"])
        self.guard_counts_ = {"drawn": 0, "rejected": 0, "trimmed": 0}
        if self.status_ == "lm" and "pretrained" in state:
            from .pretrained import import_model

            if folder is None:
                raise ModelFileError("a fine-tuned pre-trained text model is loaded from its model folder")
            self.saved_ = dict(state["pretrained"])
            self.guard_ = SpanGuard.from_state(state["guard"])
            self.encoder_ = ConditionEncoder.from_state(state["encoder"], schema)
            self.hf_model_, self.hf_tokenizer_ = import_model(folder / str(self.saved_["folder"]), self.saved_)
        elif self.status_ == "lm":
            from .lm import lm_from_weights
            from .tokenizer import SubwordTokenizer

            self.tokenizer_ = SubwordTokenizer.from_json(str(state["tokenizer"]))
            self.guard_ = SpanGuard.from_state(state["guard"])
            self.encoder_ = ConditionEncoder.from_state(state["encoder"], schema)
            self.weights_ = {str(k): np.asarray(v) for k, v in state["weights"].items()}
            self.model_ = lm_from_weights(self.weights_, cfg, self.tokenizer_.vocab_size, self.encoder_.cardinalities)
        return self
