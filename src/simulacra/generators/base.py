"""The one generator interface (template method).

Public ``fit`` / ``sample`` / ``save`` / ``load`` live here: they validate, profile when no schema is
given, run the table transformer and persist. A subclass writes only ``_fit``, ``_sample``,
``_get_state`` and ``_set_state``, working on model columns (see :mod:`simulacra.transformers.base`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from .._random import RandomState, check_random_state
from ..errors import ModelFileError, NotFittedError, ParameterError
from ..persistence import read_model, write_model
from ..progress import NO_PROGRESS, ProgressCallback
from ..schema import ColumnKind, TableSchema
from ..text.config import TextConfig
from ..transformers.base import ModelColumn
from ..transformers.table import TableTransformer
from ..validation import check_frame

__all__ = ["Generator", "data_fingerprint", "load"]

DEFAULT_CHUNK_ROWS = 100_000


def data_fingerprint(data: pd.DataFrame) -> dict[str, Any]:
    """Shape and column names of the training data, hashed; no cell values."""
    desc = json.dumps({"columns": [str(c) for c in data.columns], "dtypes": [str(t) for t in data.dtypes]})
    return {
        "n_rows": len(data),
        "n_columns": int(data.shape[1]),
        "columns_sha256": hashlib.sha256(desc.encode()).hexdigest(),
    }


class Generator(ABC):
    """Base class of all generators.

    Parameters are keyword-only and stored unchanged by ``__init__``; validation happens in ``fit``.
    Learned attributes end in ``_``.
    """

    name: ClassVar[str]

    def __init__(self, *, random_state: int | None = None, locale: str | None = None) -> None:
        self.random_state = random_state
        self.locale = locale

    # -- parameters ---------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        sig = inspect.signature(type(self).__init__)
        return {n: getattr(self, n) for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- fit ----------------------------------------------------------------------------------
    def fit(
        self,
        data: pd.DataFrame,
        schema: TableSchema | None = None,
        *,
        progress: ProgressCallback | None = None,
        text: str | TextConfig | None = None,
    ) -> Self:
        """Learn from ``data``. Without ``schema``, the data is profiled first.

        ``text``: how free-text columns are generated. ``None`` or ``"placeholder"``: by the table model's
        placeholder (a word count and common words); ``"lm"`` or a :class:`simulacra.text.TextConfig`: in a
        second stage, by a language model trained on the column and conditioned on the row (needs the
        ``deep`` and ``text`` extras; see docs/text.md).
        """
        progress = progress or NO_PROGRESS
        text_config = _text_config(text)
        self._validate_params()
        check_frame(data)
        if schema is None:
            from ..schema.profile import profile

            schema = profile(data)
        schema.check_columns(data)
        rng = check_random_state(self.random_state)
        progress.start("transform", None)
        transformer = self._make_transformer(data, schema, rng)
        model = transformer.transform(data, rng)
        progress.end("transform")
        self.schema_ = schema
        self.transformer_ = transformer
        self.fingerprint_ = data_fingerprint(data)
        self._fit(model, transformer.model_columns, rng, progress)
        self._fit_text(data, schema, text_config, rng, progress)
        self._sample_rng = check_random_state(self.random_state)
        return self

    def _fit_text(
        self,
        data: pd.DataFrame,
        schema: TableSchema,
        config: TextConfig | None,
        rng: np.random.Generator,
        progress: ProgressCallback,
    ) -> None:
        """Stage two: one language model per free-text column (none with ``config=None``)."""
        self.text_models_: dict[str, Any] = {}
        if config is None:
            return
        from ..text.model import TextModel

        for spec in [c for c in schema if c.kind is ColumnKind.TEXT]:
            self.text_models_[spec.name] = TextModel(column=spec.name, config=config).fit(data, schema, rng, progress)

    def text_summary(self) -> dict[str, Any]:
        """Per free-text column written by a language model: what it was trained on (PII replaced by type,
        epochs, seconds) and the memorisation guard's figures since fit or load. Empty without one."""
        self._check_fitted()
        return {
            name: {**tm.summary_, "guard": tm.guard_summary()} for name, tm in getattr(self, "text_models_", {}).items()
        }

    def _make_transformer(self, data: pd.DataFrame, schema: TableSchema, rng: np.random.Generator) -> Any:
        """The fitted table transformer (the DP generators use one that reads only the schema)."""
        return TableTransformer(schema, locale=self.locale).fit(data, rng)

    @classmethod
    def _transformer_from_state(cls, schema: TableSchema, state: Mapping[str, Any]) -> Any:
        return TableTransformer.from_state(schema, state)

    def _manifest_extra(self) -> dict[str, Any]:
        """More manifest entries (the DP generators add ``privacy``: the ledger's summary)."""
        return {}

    def _validate_params(self) -> None:
        """Check parameter values; subclasses extend and raise :class:`ParameterError`."""
        if self.random_state is not None and not isinstance(self.random_state, (int, np.integer)):
            raise ParameterError(f"random_state must be an int or None, not {self.random_state!r}")

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "transformer_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(data) first")

    # -- sample -------------------------------------------------------------------------------
    def sample(
        self, n: int, *, random_state: RandomState = None, progress: ProgressCallback | None = None
    ) -> pd.DataFrame:
        """``n`` synthetic rows with the input's columns, dtypes and formats.

        The same ``random_state`` gives the same rows. Without one, the generator's own random stream
        (seeded by its ``random_state`` parameter) moves on with every call.
        """
        self._check_fitted()
        _check_n(n)
        rng = self._sample_rng if random_state is None else check_random_state(random_state)
        return pd.concat(list(self.sample_chunks(n, rng=rng, progress=progress)), ignore_index=True)

    def sample_chunks(
        self,
        n: int,
        *,
        rng: np.random.Generator | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        progress: ProgressCallback | None = None,
    ) -> Iterator[pd.DataFrame]:
        """Yield ``n`` rows in chunks of at most ``chunk_rows`` (memory stays flat for large ``n``)."""
        self._check_fitted()
        _check_n(n)
        progress = progress or NO_PROGRESS
        rng = rng if rng is not None else self._sample_rng
        progress.start("sample", n)
        done = 0
        while done < n:
            size = min(chunk_rows, n - done)
            model = self._sample(size, rng)
            frame = self.transformer_.inverse_transform(model, rng)
            for name, tm in getattr(self, "text_models_", {}).items():
                frame[name] = tm.sample(frame, rng)
            yield frame
            done += size
            progress.advance("sample", size)
        progress.end("sample")

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the fitted model to folder ``path`` (manifest.json + arrays.npz; no pickle)."""
        self._check_fitted()
        manifest = {
            "generator": self.name,
            "params": self.get_params(),
            "schema": self.schema_.to_dict(),
            "data_fingerprint": self.fingerprint_,
            "model_columns": [c.to_dict() for c in self.transformer_.model_columns],
            **self._manifest_extra(),
        }
        state = {"transformer": self.transformer_.get_state(), "generator": self._get_state()}
        texts = getattr(self, "text_models_", {})
        if texts:
            manifest["text_models"] = {name: tm.summary_ for name, tm in texts.items()}
            for i, tm in enumerate(texts.values()):  # a fine-tuned pre-trained model's own files, before the manifest
                tm.write_files(Path(path), f"text-model-{i}")
            state["text"] = {name: tm.get_state() for name, tm in texts.items()}
        write_model(path, manifest, state)

    @classmethod
    def load(cls, path: str | Path) -> Generator:
        """Load a model saved by :meth:`save` (see :func:`simulacra.load`)."""
        return load(path)

    # -- subclass hooks -----------------------------------------------------------------------
    @abstractmethod
    def _fit(
        self, model: pd.DataFrame, columns: list[ModelColumn], rng: np.random.Generator, progress: ProgressCallback
    ) -> None:
        """Learn from model columns (continuous float64, discrete int64 codes)."""

    @abstractmethod
    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` rows of model columns."""

    @abstractmethod
    def _get_state(self) -> dict[str, Any]:
        """Learned state: JSON values and numpy arrays."""

    @abstractmethod
    def _set_state(self, state: Mapping[str, Any], columns: list[ModelColumn]) -> None:
        """Restore learned state."""


def _private_text_config(text: Any, name: str) -> TextConfig | None:
    """``_text_config`` for a differentially private generator: only a private text model (``epsilon`` set)."""
    config = _text_config(text)
    if config is not None and config.epsilon is None:
        raise ParameterError(
            f"{name} is differentially private and this text model is not: give the text model its own budget "
            "(TextConfig(epsilon=...), --text-epsilon) or fit with text='placeholder'"
        )
    return config


def _text_config(text: Any) -> TextConfig | None:
    """The free-text setting of ``fit``: None (placeholder) or a checked :class:`TextConfig`."""
    if text is None or text == "placeholder":
        return None
    if text == "lm":
        return TextConfig()
    if isinstance(text, TextConfig):
        text.check()
        return text
    raise ParameterError(f"text={text!r}; give 'placeholder', 'lm' or a simulacra.text.TextConfig")


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ParameterError(f"the number of rows to sample must be a positive integer, got {n!r}")


def load(path: str | Path) -> Generator:
    """Load a fitted generator from a folder written by ``save``.

    >>> gen = simulacra.load("model/")
    >>> gen.sample(10)
    """
    from ..registry import create_generator, list_generators

    manifest, state = read_model(path)
    name = manifest.get("generator")
    if name not in list_generators():
        raise ModelFileError(
            f"model '{path}' was made by generator {name!r}, which this simulacra does not have; "
            f"available: {', '.join(list_generators())}"
        )
    try:
        schema = TableSchema.from_dict(manifest["schema"], where=f"model '{path}'")
        params = dict(manifest.get("params", {}))
        gen = create_generator(str(name), **params)
        columns = [ModelColumn.from_dict(c) for c in manifest["model_columns"]]
        gen.transformer_ = type(gen)._transformer_from_state(schema, state["transformer"])
        gen._set_state(state["generator"], columns)
        gen.text_models_ = {}
        if state.get("text"):
            from ..text.model import TextModel

            gen.text_models_ = {str(k): TextModel.from_state(v, schema, Path(path)) for k, v in state["text"].items()}
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ModelFileError(f"model '{path}' is damaged or inconsistent ({type(exc).__name__}: {exc})") from None
    gen.schema_ = schema
    gen.fingerprint_ = manifest.get("data_fingerprint", {})
    gen._sample_rng = check_random_state(gen.random_state)
    return gen
