"""What the deep generators share: parameters, encoding, validation split, training, sampling, state.

A subclass builds its networks (:meth:`DeepGenerator._build`), runs one epoch (:meth:`_epoch`),
produces raw output for sampling (:meth:`_generate`) and names the modules it saves (:meth:`_modules`).
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..._random import child_seed
from ...errors import ParameterError
from ...progress import ProgressCallback
from ...transformers.base import ModelColumn
from ..base import Generator
from ._encoding import NUMERIC_ENCODINGS, ModeEncoder
from ._fidelity import FidelityProxy
from ._torch import Blocks, choose_device, cpu_count, load_weights, torch, torch_session, train_loop, weights_of

__all__ = ["DeepGenerator"]

_VALIDATION_MIN_ROWS = 1000  # smaller tables train on every row and are scored against themselves
_VALIDATION_FRACTION = 0.1
_VALIDATION_MAX_ROWS = 5000
_PROXY_ROWS = 3000
_MIN_EPOCHS = 100  # no early stopping before
_THREADED_MIN_ROWS = 2000  # below, steps are too small for a second thread to pay for its synchronisation


class DeepGenerator(Generator):
    """Base of ``gan`` and ``vae``; parameters are documented on the subclasses."""

    epochs: int
    max_minutes: float | None
    batch_size: int
    early_stopping: bool
    device: str
    threads: int | None
    numeric_encoding: str

    # -- parameters ---------------------------------------------------------------------------
    def _problems(self) -> list[str]:
        problems = []
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            problems.append(f"epochs={self.epochs!r}; use an integer >= 1")
        if self.max_minutes is not None and (
            isinstance(self.max_minutes, bool)
            or not isinstance(self.max_minutes, (int, float))
            or self.max_minutes <= 0
        ):
            problems.append(f"max_minutes={self.max_minutes!r}; use a positive number of minutes or None")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 2:
            problems.append(f"batch_size={self.batch_size!r}; use an integer >= 2")
        if self.numeric_encoding not in NUMERIC_ENCODINGS:
            problems.append(f"numeric_encoding={self.numeric_encoding!r}; use one of {', '.join(NUMERIC_ENCODINGS)}")
        if not isinstance(self.early_stopping, bool):
            problems.append(f"early_stopping={self.early_stopping!r}; use True or False")
        if not isinstance(self.device, str) or not (self.device in ("auto", "cpu") or self.device.startswith("cuda")):
            problems.append(f"device={self.device!r}; use 'auto', 'cpu' or 'cuda'")
        elif self.device.startswith("cuda") and not torch.cuda.is_available():
            problems.append(f"device={self.device!r} but CUDA is not available here; use 'auto' or 'cpu'")
        if self.threads is not None and (
            isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1
        ):
            problems.append(f"threads={self.threads!r}; use a positive integer or None (every core)")
        return problems

    def _validate_params(self) -> None:
        super()._validate_params()
        problems = self._problems()
        if problems:
            raise ParameterError(f"{self.name}: " + "; ".join(problems))

    # -- fit ----------------------------------------------------------------------------------
    def _fit(
        self, model: pd.DataFrame, columns: list[ModelColumn], rng: np.random.Generator, progress: ProgressCallback
    ) -> None:
        start = time.perf_counter()
        deadline = None if self.max_minutes is None else start + 60.0 * float(self.max_minutes)
        self.columns_ = columns
        data = {c.name: model[c.name].to_numpy() for c in columns}
        n = len(model)
        if self.early_stopping and n >= _VALIDATION_MIN_ROWS:
            n_val = min(_VALIDATION_MAX_ROWS, round(n * _VALIDATION_FRACTION))
            perm = rng.permutation(n)
            val = {k: v[perm[:n_val]] for k, v in data.items()}
            data = {k: v[np.sort(perm[n_val:])] for k, v in data.items()}
        else:
            val = data
        progress.start("encode", None)
        self.encoder_ = ModeEncoder(numeric_encoding=self.numeric_encoding).fit(data, columns, rng)
        x = self.encoder_.transform(data, rng)
        progress.end("encode")
        self.device_ = choose_device(self.device)
        self.threads_ = self.threads or (cpu_count() if n >= _THREADED_MIN_ROWS else 1)
        with torch_session(self.threads_, seed=child_seed(rng)):
            self.blocks_ = Blocks(self.encoder_.layout, self.device_)
            self._build(x, self.encoder_.discrete_codes(data), rng)
            evaluate = None
            if self.early_stopping:
                proxy = FidelityProxy(val, columns, rng, rare_reference=data, sample_rows=_PROXY_ROWS)
                eval_rng = np.random.default_rng(child_seed(rng))

                def evaluate() -> float:
                    return proxy.score(self._sample_columns(_PROXY_ROWS, eval_rng))

            result = train_loop(
                lambda: self._epoch(rng),
                epochs=self.epochs,
                deadline=deadline,
                progress=progress,
                task=f"train {self.name}",
                evaluate=evaluate,
                eval_every=max(1, min(10, self.epochs // 30)),
                patience=8,
                min_epochs=min(self.epochs, _MIN_EPOCHS),
                snapshot=self._snapshot,
                restore=self._load_snapshot,
            )
        self.training_ = {
            **result.to_dict(),
            "threads": self.threads_,
            "fit_seconds": round(time.perf_counter() - start, 3),
        }
        self._end_fit()

    def _snapshot(self) -> dict[str, dict[str, np.ndarray]]:
        return {k: weights_of(m) for k, m in self._modules().items()}

    def _load_snapshot(self, snapshot: Mapping[str, Mapping[str, Any]]) -> None:
        for k, m in self._modules().items():
            load_weights(m, snapshot[k])

    def _sample_columns(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        scalars, logits = self._generate(n, rng)
        return self.encoder_.decode(scalars, logits, rng)

    # -- sample -------------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        with torch_session(self.threads_):
            out = self._sample_columns(n, rng)
        return pd.DataFrame({c.name: out[c.name] for c in self.columns_})

    # -- state --------------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder_.get_state(),
            "weights": {k: weights_of(m) for k, m in self._modules().items()},
            "extra": self._extra_state(),
            "training": self.training_,
        }

    def _set_state(self, state: Mapping[str, Any], columns: list[ModelColumn]) -> None:
        self.columns_ = columns
        self.encoder_ = ModeEncoder.from_state(state["encoder"], columns)
        self.device_ = choose_device(self.device)
        self.blocks_ = Blocks(self.encoder_.layout, self.device_)
        self._restore(state["extra"])
        self._load_snapshot(state["weights"])
        self.training_ = dict(state.get("training", {}))
        self.threads_ = self.threads or int(self.training_.get("threads", 1))

    # -- subclass hooks -----------------------------------------------------------------------
    @abstractmethod
    def _build(self, x: np.ndarray, codes: np.ndarray, rng: np.random.Generator) -> None:
        """Create networks and optimisers for the encoded training rows ``x`` (discrete ``codes``)."""

    @abstractmethod
    def _epoch(self, rng: np.random.Generator) -> dict[str, float]:
        """One pass over the training rows; returns mean losses."""

    @abstractmethod
    def _generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` rows of raw output: scalars in [-1, 1] and block logits (numpy), in eval mode."""

    @abstractmethod
    def _modules(self) -> dict[str, torch.nn.Module]:
        """The modules whose weights make up the saved model."""

    def _extra_state(self) -> dict[str, Any]:
        """Learned values other than weights that sampling needs (JSON values and arrays)."""
        return {}

    @abstractmethod
    def _restore(self, extra: Mapping[str, Any]) -> None:
        """Rebuild the sampling modules (before their weights are loaded) from ``_extra_state``."""

    def _end_fit(self) -> None:
        """Drop training-only objects (optimisers, training tensors)."""
