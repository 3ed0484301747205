"""What the deep generators share: parameters, encoding, validation split, training, sampling, state.

A subclass builds its networks (:meth:`DeepGenerator._build`), runs one epoch (:meth:`_epoch`),
produces raw output for sampling (:meth:`_generate`) and names the modules it saves (:meth:`_modules`).

With ``epsilon`` set the fit is differentially private (see :mod:`._dp`): the table's domain comes from the
public schema (:func:`~simulacra.generators.statistical._public_domain.fit_public`), numeric columns are
encoded through the public bounds (a rank-Gauss map of the uniform distribution over them, no statistics of
the data), there is no validation split or early stopping (both would read real rows outside the budget), and
the subclass trains with DP-SGD on ``self.dp_plan_``.
"""

from __future__ import annotations

import time
import warnings
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import pandas as pd

from ..._random import check_random_state, child_seed
from ...errors import ParameterError
from ...privacy import PrivacyLedger
from ...progress import NO_PROGRESS, ProgressCallback
from ...schema import TableSchema
from ...text.config import TextConfig
from ...transformers.base import ModelColumn
from ...validation import check_frame
from ..base import Generator, _private_text_config, data_fingerprint
from ._encoding import NUMERIC_ENCODINGS, ModeEncoder
from ._fidelity import FidelityProxy
from ._torch import Blocks, choose_device, cpu_count, load_weights, torch, torch_session, train_loop, weights_of

__all__ = ["DeepGenerator"]

_CALIBRATION_ROWS = 20_000
_CALIBRATION_STEPS = 3
_VALIDATION_MIN_ROWS = 1000  # smaller tables train on every row and are scored against themselves
_VALIDATION_FRACTION = 0.1
_VALIDATION_MAX_ROWS = 5000
_PROXY_ROWS = 3000
_MIN_EPOCHS = 100  # no early stopping before
_THREADED_MIN_ROWS = 2000  # below, steps are too small for a second thread to pay for its synchronisation


def training_problems(max_minutes: Any, early_stopping: Any, device: Any, threads: Any) -> list[str]:
    """What is wrong with the training parameters every torch generator shares (``gan``, ``vae``, ``argn``)."""
    problems = []
    if max_minutes is not None and (
        isinstance(max_minutes, bool) or not isinstance(max_minutes, (int, float)) or max_minutes <= 0
    ):
        problems.append(f"max_minutes={max_minutes!r}; use a positive number of minutes or None")
    if not isinstance(early_stopping, bool):
        problems.append(f"early_stopping={early_stopping!r}; use True or False")
    if not isinstance(device, str) or not (device in ("auto", "cpu") or device.startswith("cuda")):
        problems.append(f"device={device!r}; use 'auto', 'cpu' or 'cuda'")
    elif device.startswith("cuda") and not torch.cuda.is_available():
        problems.append(f"device={device!r} but CUDA is not available here; use 'auto' or 'cpu'")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        problems.append(f"threads={threads!r}; use a positive integer or None (every core)")
    return problems


class DeepGenerator(Generator):
    """Base of ``gan`` and ``vae``; parameters are documented on the subclasses."""

    epochs: int
    max_minutes: float | None
    batch_size: int
    early_stopping: bool
    device: str
    threads: int | None
    numeric_encoding: str
    epsilon: float | None = None
    delta: float = 1e-9
    max_grad_norm: float = 1.0
    domain_share: float | None = None
    calibrate: bool = True
    dp_plan_: Any = None
    calibration_: np.ndarray | None = None

    # -- parameters ---------------------------------------------------------------------------
    def _problems(self) -> list[str]:
        problems = []
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            problems.append(f"epochs={self.epochs!r}; use an integer >= 1")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 2:
            problems.append(f"batch_size={self.batch_size!r}; use an integer >= 2")
        if self.numeric_encoding not in NUMERIC_ENCODINGS:
            problems.append(f"numeric_encoding={self.numeric_encoding!r}; use one of {', '.join(NUMERIC_ENCODINGS)}")
        problems += training_problems(self.max_minutes, self.early_stopping, self.device, self.threads)
        if not isinstance(self.calibrate, bool):
            problems.append(f"calibrate={self.calibrate!r}; use True or False")
        if self.epsilon is not None:
            try:
                PrivacyLedger(self.epsilon, self.delta)
            except ParameterError as exc:
                problems.append(str(exc))
            if (
                isinstance(self.max_grad_norm, bool)
                or not isinstance(self.max_grad_norm, (int, float))
                or not 0 < self.max_grad_norm < float("inf")
            ):
                problems.append(f"max_grad_norm={self.max_grad_norm!r}; use a positive number (typical 1.0)")
            from ..statistical._public_domain import check_domain_share

            problems += check_domain_share(self.name, self.domain_share)
        return problems

    def _validate_params(self) -> None:
        super()._validate_params()
        problems = self._problems()
        if problems:
            raise ParameterError(f"{self.name}: " + "; ".join(problems))

    # -- fit ----------------------------------------------------------------------------------
    def fit(
        self,
        data: pd.DataFrame,
        schema: TableSchema | None = None,
        *,
        progress: ProgressCallback | None = None,
        text: str | TextConfig | None = None,
    ) -> Self:
        """Learn from ``data``; with ``epsilon`` set, by DP-SGD with the domain from ``schema`` (must be public)."""
        if self.epsilon is None:
            return super().fit(data, schema, progress=progress, text=text)
        text_config = _private_text_config(text, self.name)
        from ..statistical._public_domain import fit_public

        progress = progress or NO_PROGRESS
        self._validate_params()
        check_frame(data)
        rng = check_random_state(self.random_state)
        progress.start("transform", None)
        self._ledger = PrivacyLedger(float(self.epsilon), float(self.delta))
        public = fit_public(
            self.name, data, schema, rng, self.locale, ledger=self._ledger, domain_share=self.domain_share
        )
        progress.end("transform")
        self.schema_ = public.schema
        self.transformer_ = public.transformer
        self.fingerprint_ = data_fingerprint(data)
        self._public_model = public.public_model
        try:
            self._fit(public.model, public.transformer.model_columns, rng, progress)
        finally:
            del self._public_model
        self._fit_text(data, self.schema_, text_config, rng, progress)
        self._sample_rng = check_random_state(self.random_state)
        return self

    def _fit_encoder(
        self, data: Mapping[str, np.ndarray], columns: list[ModelColumn], rng: np.random.Generator
    ) -> None:
        if self.epsilon is None:
            self.encoder_ = ModeEncoder(numeric_encoding=self.numeric_encoding).fit(data, columns, rng)
            return
        # DP: no statistics of the data; each numeric column's normal scores come from the uniform
        # distribution over its public bounds (a grid of 1,001 points between them)
        grid: dict[str, np.ndarray] = {}
        for c in columns:
            if c.is_discrete:
                grid[c.name] = np.zeros(2, dtype=np.int64)
            else:
                bounds = self._public_model[c.name].to_numpy(dtype=float)
                grid[c.name] = np.linspace(float(bounds.min()), float(bounds.max()), 1001)
        self.encoder_ = ModeEncoder(numeric_encoding="quantile", n_quantiles=1000).fit(grid, columns, rng)

    def _fit(
        self, model: pd.DataFrame, columns: list[ModelColumn], rng: np.random.Generator, progress: ProgressCallback
    ) -> None:
        start = time.perf_counter()
        deadline = None if self.max_minutes is None else start + 60.0 * float(self.max_minutes)
        self.columns_ = columns
        data = {c.name: model[c.name].to_numpy() for c in columns}
        n = len(model)
        private = self.epsilon is not None
        early_stopping = self.early_stopping and not private
        if early_stopping and n >= _VALIDATION_MIN_ROWS:
            n_val = min(_VALIDATION_MAX_ROWS, round(n * _VALIDATION_FRACTION))
            perm = rng.permutation(n)
            val = {k: v[perm[:n_val]] for k, v in data.items()}
            data = {k: v[np.sort(perm[n_val:])] for k, v in data.items()}
        else:
            val = data
        progress.start("encode", None)
        self._fit_encoder(data, columns, rng)
        x = self.encoder_.transform(data, rng)
        progress.end("encode")
        ledger = None
        if private:
            from ._dp import DPSGDPlan

            ledger = self.__dict__.pop("_ledger")  # made in fit: domain estimation may have charged it already
            self.dp_plan_ = DPSGDPlan(
                n_rows=n,
                batch_size=self.batch_size,
                epochs=self.epochs,
                max_grad_norm=float(self.max_grad_norm),
                ledger=ledger,
            )
        self.device_ = choose_device(self.device)
        self.threads_ = self.threads or (cpu_count() if n >= _THREADED_MIN_ROWS else 1)
        with torch_session(self.threads_, seed=child_seed(rng)):
            self.blocks_ = Blocks(self.encoder_.layout, self.device_)
            self._build(x, self.encoder_.discrete_codes(data), rng)
            evaluate = None
            if early_stopping:
                proxy = FidelityProxy(val, columns, rng, rare_reference=data, sample_rows=_PROXY_ROWS)
                eval_rng = np.random.default_rng(child_seed(rng))

                def evaluate() -> float:
                    return proxy.score(self._sample_columns(_PROXY_ROWS, eval_rng))

            with warnings.catch_warnings():
                # under DP-SGD, Opacus' per-example hooks on the first layer make torch warn that no input
                # needs a gradient (true, and harmless)
                warnings.filterwarnings("ignore", message="Full backward hook is firing")
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
            self.calibration_ = None
            if self.calibrate and not private:
                self.calibration_ = self._calibrate(self.encoder_.discrete_codes(data), rng)
        self.training_ = {
            **result.to_dict(),
            "threads": self.threads_,
            "fit_seconds": round(time.perf_counter() - start, 3),
        }
        self.privacy_: dict[str, Any] | None = None
        if ledger is not None:
            self.training_["dp_sgd"] = self.dp_plan_.summary()
            self.privacy_ = {"generator": self.name, "mechanism": "DP-SGD (opacus)", **ledger.to_dict()}
            self.dp_plan_ = None
        self._end_fit()

    def _snapshot(self) -> dict[str, dict[str, np.ndarray]]:
        return {k: weights_of(m) for k, m in self._modules().items()}

    def _load_snapshot(self, snapshot: Mapping[str, Mapping[str, Any]]) -> None:
        for k, m in self._modules().items():
            load_weights(m, snapshot[k])

    def _sample_columns(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        scalars, logits = self._generate(n, rng)
        if self.calibration_ is not None:
            logits = logits + self.calibration_[None, :]
        return self.encoder_.decode(scalars, logits, rng)

    def _calibrate(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
        """Logit offsets that bring each discrete column's expected category rates to the training rates.

        A network under-draws rare categories (the VAE gave education=Preschool, 0.2% of Adult, at a tenth
        of its rate). Offsets per category, added to the logits before sampling, fix each block's marginal
        while keeping how the row's latent moves the category (a per-category shift of log-odds: the
        "logit adjustment" of Menon et al., ICLR 2021). Three fixed-point steps on the mean softmax of
        ``_CALIBRATION_ROWS`` generated rows (same latents each step): ``b += log(target) - log(expected)``,
        clipped to +-8; categories absent from training are never drawn. Uses the training category rates,
        which the model's validation already reads; not under DP."""
        layout = self.encoder_.layout
        if not layout.discrete_blocks:
            return None
        starts = layout.block_starts - layout.n_scalars
        width = int(sum(layout.block_widths))
        bias = np.zeros(width)
        targets = {}
        for j, b in enumerate(layout.discrete_blocks):
            w = int(layout.block_widths[b])
            targets[b] = np.bincount(codes[:, j], minlength=w)[:w] / max(1, len(codes))
        seed = child_seed(rng)
        for _ in range(_CALIBRATION_STEPS):
            _, logits = self._generate(_CALIBRATION_ROWS, np.random.default_rng(seed))
            logits = logits.astype(np.float64) + bias[None, :]
            for b, target in targets.items():
                lo, hi = int(starts[b]), int(starts[b]) + len(target)
                block = logits[:, lo:hi]
                e = np.exp(block - block.max(axis=1, keepdims=True))
                expected = (e / e.sum(axis=1, keepdims=True)).mean(axis=0)
                seen = target > 0
                step = np.log(np.maximum(target, 1e-12)) - np.log(np.maximum(expected, 1e-12))
                bias[lo:hi] = np.where(seen, np.clip(bias[lo:hi] + step, -8.0, 8.0), -30.0)
        return bias.astype(np.float32)

    # -- sample -------------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        with torch_session(self.threads_):
            out = self._sample_columns(n, rng)
        return pd.DataFrame({c.name: out[c.name] for c in self.columns_})

    def _manifest_extra(self) -> dict[str, Any]:
        """With DP, the ledger's summary as the manifest's ``privacy`` entry (where the base class asks)."""
        privacy = getattr(self, "privacy_", None)
        return {"privacy": privacy} if privacy is not None else {}

    # -- state --------------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder_.get_state(),
            "weights": {k: weights_of(m) for k, m in self._modules().items()},
            "extra": self._extra_state(),
            "calibration": self.calibration_,
            "training": self.training_,
            **({"privacy": self.privacy_} if self.privacy_ is not None else {}),
        }

    def _set_state(self, state: Mapping[str, Any], columns: list[ModelColumn]) -> None:
        self.columns_ = columns
        self.encoder_ = ModeEncoder.from_state(state["encoder"], columns)
        self.device_ = choose_device(self.device)
        self.blocks_ = Blocks(self.encoder_.layout, self.device_)
        self._restore(state["extra"])
        self._load_snapshot(state["weights"])
        calibration = state.get("calibration")
        self.calibration_ = None if calibration is None else np.asarray(calibration, dtype=np.float32)
        self.training_ = dict(state.get("training", {}))
        self.privacy_ = dict(state["privacy"]) if state.get("privacy") is not None else None
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
