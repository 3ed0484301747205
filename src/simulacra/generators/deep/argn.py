"""Autoregressive tabular generator in the TabularARGN line (Tiwald et al., 2025), written for CPUs.

Every model column becomes one token (:mod:`._tokens`: categories with a protected rare token; numbers as
quantile bins decoded smoothly within the bin). A row is generated one column at a time, each column's
softmax predicted by a small head from the embeddings of the columns already known (:mod:`._argn_net`).
Training uses teacher forcing: a summed cross-entropy over all columns in one batched pass. A share of the
rows (``random_order``) is trained in a random column order, so the model can condition on any subset of
columns; the rest use the fixed table order, which unconditional sampling follows. Early stopping on the
validation loss restores the best weights.

That gives, without another model: conditional sampling on any columns (``sample(n, conditions=...)``),
imputation of missing cells (``impute(df)``) and rebalancing of a categorical column
(``sample(n, rebalance={"col": {"value": share}})``).

>>> gen = create_generator("argn", random_state=0).fit(df)
>>> gen.sample(1000, conditions={"sex": "Female"})
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..._random import RandomState, check_random_state, child_seed
from ...errors import ParameterError
from ...progress import ProgressCallback
from ...transformers.base import ModelColumn
from ..base import Generator, _check_n
from ._argn_net import ARGNNet, known_from_ranks, sample_tokens
from ._base import training_problems
from ._tokens import Tokenizer
from ._torch import (
    choose_device,
    cpu_count,
    load_weights,
    steps_per_epoch,
    torch,
    torch_session,
    train_loop,
    weights_of,
)

__all__ = ["ARGNGenerator"]

_VALIDATION_MIN_ROWS = 500
_VALIDATION_FRACTION = 0.1
_VALIDATION_MAX_ROWS = 5000
_THREADED_MIN_ROWS = 2000
_MIN_BATCH = 64
_MIN_STEPS = 20  # steps per epoch the batch size is lowered for (down to _MIN_BATCH rows)
_LR_DECAY = 0.5  # learning rate factor after an epoch without a better validation loss
# a better validation loss must be lower by this share of it (as torch's ReduceLROnPlateau's default
# threshold): on Adult (about 20 nats a row) 0.002 nats; smaller gains are noise of the 5,000 validation rows
_MIN_IMPROVEMENT = 1e-4
_CALIBRATION_ROUNDS = 3
_CALIBRATION_ROWS = 16_384  # rows of each pilot sample (a power of two: a balanced Sobol set)
_CALIBRATION_MAX_STEP = 1.0  # largest change of a logit bias in one round


class ARGNGenerator(Generator):
    """Autoregressive network over tokenised columns (TabularARGN-style).

    Parameters
    ----------
    epochs : most passes over the training rows.
    max_minutes : time budget of ``fit`` in minutes (``None``: no budget); whichever of this, ``epochs``
        and early stopping ends first stops training.
    batch_size : rows per step.
    embedding_dim : size of each column's token embeddings.
    hidden : width of the two hidden layers of each column's head.
    dropout : dropout in the heads.
    learning_rate : Adam learning rate.
    weight_decay : AdamW weight decay.
    max_bins : most quantile bins (tokens) of a numeric column.
    rare_count : categories with fewer training rows share a protected rare token; every numeric bin holds
        at least this many rows.
    protect_extremes : a numeric column's ``rare_count - 1`` smallest and largest training values are pulled
        in to the ``rare_count``-th smallest / largest before binning, so no value of the output lies beyond
        values that at least ``rare_count`` training rows reach (an outlier, such as the one highest income,
        identifies its person). ``False``: the column's own minimum and maximum come back at their training
        rate.
    random_order : share of training rows seen in a random column order (0: fixed order only, fastest to
        learn; conditioning on a column late in the table order is then approximate).
    early_stopping : keep a validation split (tables of 500+ rows) and stop when its loss has not improved for
        ``patience`` epochs; the best weights are kept.
    patience : epochs without a better validation loss before stopping.
    calibrate : after training, shift each column's output biases so that unconditional samples have the
        training data's token shares (three rounds with a pilot sample; each shift shrunk by how far the gap
        exceeds the pilot's and the data's sampling noise). Small errors in each conditional add up along
        the column order; this removes what they do to the marginals.
    quasi_random : sampling draws each row's uniforms from a scrambled Sobol sequence (randomised
        quasi-Monte Carlo): every row is distributed as the model says, and the table as a whole follows the
        model's marginals and pairs with less sampling noise than independent rows (on Adult the all-pairs
        trend error of 26,048 rows falls by about 0.09 points). ``False``: independent rows.
    device : ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
    threads : torch CPU threads; ``None``: every core for tables of 2,000+ rows, one below.
    random_state : seed of fitting and of the default sampling stream.
    locale : Faker locale for PII surrogates.
    """

    name: ClassVar[str] = "argn"
    typical_epochs: ClassVar[int] = 30
    """Epochs a fit with early stopping usually runs (measured: 19-27 on Adult and online_shoppers, 40 on
    credit_default, docs/argn.md); :mod:`simulacra.estimate` plans with it instead of ``epochs``."""

    def __init__(
        self,
        *,
        epochs: int = 200,
        max_minutes: float | None = 10.0,
        batch_size: int = 512,
        embedding_dim: int = 16,
        hidden: int = 128,
        dropout: float = 0.25,
        learning_rate: float = 2e-3,
        weight_decay: float = 1e-5,
        max_bins: int = 128,
        rare_count: int = 5,
        protect_extremes: bool = True,
        random_order: float = 0.5,
        early_stopping: bool = True,
        patience: int = 4,
        calibrate: bool = True,
        quasi_random: bool = True,
        device: str = "auto",
        threads: int | None = None,
        random_state: int | None = None,
        locale: str | None = None,
    ) -> None:
        self.epochs = epochs
        self.max_minutes = max_minutes
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.hidden = hidden
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_bins = max_bins
        self.rare_count = rare_count
        self.protect_extremes = protect_extremes
        self.random_order = random_order
        self.early_stopping = early_stopping
        self.patience = patience
        self.calibrate = calibrate
        self.quasi_random = quasi_random
        self.device = device
        self.threads = threads
        self.random_state = random_state
        self.locale = locale

    # -- parameters ---------------------------------------------------------------------------
    def _validate_params(self) -> None:
        super()._validate_params()
        problems = []

        def int_at_least(key: str, low: int) -> None:
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                problems.append(f"{key}={v!r}; use an integer >= {low}")

        def number_in(key: str, low: float, high: float, what: str) -> None:
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not low <= v <= high:
                problems.append(f"{key}={v!r}; use {what}")

        for key, low in (("epochs", 1), ("batch_size", 2), ("embedding_dim", 1), ("hidden", 1)):
            int_at_least(key, low)
        for key, low in (("max_bins", 2), ("rare_count", 1), ("patience", 1)):
            int_at_least(key, low)
        number_in("dropout", 0.0, 0.9, "a number in [0, 0.9]")
        for key in ("calibrate", "quasi_random", "protect_extremes"):
            if not isinstance(getattr(self, key), (bool, np.bool_)):
                problems.append(f"{key}={getattr(self, key)!r}; use True or False")
        number_in("random_order", 0.0, 1.0, "a share in [0, 1]")
        number_in("weight_decay", 0.0, 1.0, "a number in [0, 1]")
        if (
            isinstance(self.learning_rate, bool)
            or not isinstance(self.learning_rate, (int, float))
            or not 0 < self.learning_rate < 1
        ):
            problems.append(f"learning_rate={self.learning_rate!r}; use a number in (0, 1)")
        problems += training_problems(self.max_minutes, self.early_stopping, self.device, self.threads)
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
        progress.start("tokenize", None)
        self.tokenizer_ = Tokenizer(
            max_bins=int(self.max_bins), rare_count=int(self.rare_count), protect_extremes=bool(self.protect_extremes)
        ).fit(data, columns)
        tokens = self.tokenizer_.encode(data)
        shares = [np.bincount(tokens[:, j], minlength=k) / n for j, k in enumerate(self.tokenizer_.cardinalities)]
        progress.end("tokenize")
        val = None
        if self.early_stopping and n >= _VALIDATION_MIN_ROWS:
            n_val = min(_VALIDATION_MAX_ROWS, round(n * _VALIDATION_FRACTION))
            perm = rng.permutation(n)
            val, tokens = tokens[perm[:n_val]], tokens[np.sort(perm[n_val:])]
        self.device_ = choose_device(self.device)
        self.threads_ = self.threads or (cpu_count() if n >= _THREADED_MIN_ROWS else 1)
        with torch_session(self.threads_, seed=child_seed(rng)):
            self._make_net()
            opt = torch.optim.AdamW(
                self.net_.parameters(), lr=float(self.learning_rate), weight_decay=float(self.weight_decay)
            )
            train = torch.from_numpy(tokens).to(self.device_)
            c = len(columns)
            all_targets = torch.arange(c, device=self.device_)  # also every row's rank in the fixed order
            # small tables take smaller batches, so an epoch (the unit of early stopping) has enough steps
            batch = min(int(self.batch_size), max(_MIN_BATCH, len(train) // _MIN_STEPS), len(train))
            steps = steps_per_epoch(len(train), batch)

            def nll(x: torch.Tensor, ranks: torch.Tensor) -> torch.Tensor:
                return self.net_.nll(x, known_from_ranks(ranks)).mean()

            def ranks_for(rows: int) -> torch.Tensor:
                ranks = all_targets.expand(rows, c).clone()
                shuffled = rng.random(rows) < float(self.random_order)
                if shuffled.any():
                    perm = np.argsort(rng.random((int(shuffled.sum()), c)), axis=1)
                    ranks[torch.from_numpy(shuffled).to(self.device_)] = torch.from_numpy(perm).to(self.device_)
                return ranks

            def epoch() -> dict[str, float]:
                self.net_.train()
                order = torch.from_numpy(rng.permutation(len(train))).to(self.device_)
                total = 0.0
                for s in range(steps):
                    x = train[order[s * batch : (s + 1) * batch]]
                    loss = nll(x, ranks_for(len(x)))
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += float(loss.detach())
                return {"loss": total / steps}

            evaluate = None
            if val is not None:
                val_t = torch.from_numpy(val).to(self.device_)
                # scored in the training mix of orders (drawn once), so early stopping also waits for the
                # conditionals that any-order sampling needs
                val_ranks = ranks_for(len(val_t))

                best = [float("inf")]

                def evaluate() -> float:
                    self.net_.eval()
                    with torch.no_grad():
                        total = sum(
                            float(nll(val_t[i : i + 4096], val_ranks[i : i + 4096])) * len(val_t[i : i + 4096])
                            for i in range(0, len(val_t), 4096)
                        )
                    loss = total / len(val_t)
                    if best[0] == float("inf") or loss < best[0] - max(1e-4, _MIN_IMPROVEMENT * abs(best[0])):
                        best[0] = loss
                    else:  # a plateau: halve the learning rate
                        for group in opt.param_groups:
                            group["lr"] *= _LR_DECAY
                    return -loss

            result = train_loop(
                epoch,
                epochs=int(self.epochs),
                deadline=deadline,
                progress=progress,
                task=f"train {self.name}",
                evaluate=evaluate,
                eval_every=1,
                patience=int(self.patience),
                min_improvement=_MIN_IMPROVEMENT,
                snapshot=lambda: weights_of(self.net_),
                restore=lambda w: load_weights(self.net_, w),
            )
            self.net_.eval()
            gaps = self._calibrate(shares, n, rng, progress, deadline) if self.calibrate else []
        self.training_ = {
            **result.to_dict(),
            "threads": self.threads_,
            "fit_seconds": round(time.perf_counter() - start, 3),
            "validation_nll": None if result.best_score is None else -result.best_score,
            "calibration_tv": gaps,
        }

    def _calibrate(
        self,
        shares: list[np.ndarray],
        n: int,
        rng: np.random.Generator,
        progress: ProgressCallback,
        deadline: float | None = None,
    ) -> list[float]:
        """Shift the output biases so unconditional samples keep the training token shares; returns the mean
        total-variation gap per column of each round's pilot sample (before that round's shift).

        The first round always runs; a further one only when it would end before ``deadline`` (the fit's
        time budget, judged by the last round's time), so calibration overruns the budget by one round at most.

        A gap ``d = share - pilot share`` is shrunk by ``d**2 / (d**2 + v)``, ``v`` the binomial variance of
        the difference (training rows and pilot rows): a gap within sampling noise barely moves the bias, a
        real one is corrected almost fully (the log of the share ratio, at most 1 per round).
        """
        c = len(shares)
        gaps: list[float] = []
        last = 0.0  # seconds of the last round
        progress.start("calibrate", _CALIBRATION_ROUNDS)
        for r in range(_CALIBRATION_ROUNDS):
            began = time.perf_counter()
            if r and deadline is not None and began + last > deadline:
                break
            pilot = self._draw(np.zeros((_CALIBRATION_ROWS, c), dtype=np.int64), np.zeros(c, dtype=bool), rng)
            tv = []
            with torch.no_grad():
                for j, want in enumerate(shares):
                    got = np.bincount(pilot[:, j], minlength=len(want)) / _CALIBRATION_ROWS
                    tv.append(0.5 * float(np.abs(want - got).sum()))
                    d = want - got
                    mid = 0.5 * (want + got)
                    var = mid * (1 - mid) * (1 / n + 1 / _CALIBRATION_ROWS)
                    step = np.log((want + 0.5 / n) / (got + 0.5 / _CALIBRATION_ROWS)) * d**2 / (d**2 + var + 1e-12)
                    step = np.clip(step, -_CALIBRATION_MAX_STEP, _CALIBRATION_MAX_STEP)
                    self.net_.b3[j, 0, : len(want)] += torch.from_numpy(step).to(self.net_.b3)
            gaps.append(round(float(np.mean(tv)), 5))
            progress.advance("calibrate", 1)
            last = time.perf_counter() - began
        progress.end("calibrate")
        return gaps

    def _make_net(self) -> None:
        self.net_ = ARGNNet(
            self.tokenizer_.cardinalities, int(self.embedding_dim), int(self.hidden), float(self.dropout)
        ).to(self.device_)

    # -- sampling -----------------------------------------------------------------------------
    def _draw(self, tokens: np.ndarray, fixed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Fill the free entries of ``tokens``; rows are grouped by their pattern of fixed columns."""
        if fixed.ndim == 1:
            fixed = np.broadcast_to(fixed, tokens.shape)
        out = tokens.copy()
        patterns, group = np.unique(fixed, axis=0, return_inverse=True)
        group = np.asarray(group).reshape(-1)
        with torch_session(self.threads_):
            self.net_.eval()
            for g, pattern in enumerate(patterns):
                rows = np.flatnonzero(group == g)
                order = np.flatnonzero(~pattern)
                out[rows] = sample_tokens(
                    self.net_, out[rows], pattern, order, rng, self.device_, quasi_random=bool(self.quasi_random)
                )
        return out

    def _to_model(self, tokens: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return self.tokenizer_.decode(tokens, rng)

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        c = len(self.columns_)
        tokens = self._draw(np.zeros((n, c), dtype=np.int64), np.zeros(c, dtype=bool), rng)
        out = self._to_model(tokens, rng)
        return pd.DataFrame({col.name: out[col.name] for col in self.columns_})

    def sample(
        self,
        n: int,
        *,
        conditions: Mapping[str, Any] | pd.DataFrame | None = None,
        rebalance: Mapping[str, Mapping[Any, float]] | None = None,
        random_state: RandomState = None,
        progress: ProgressCallback | None = None,
    ) -> pd.DataFrame:
        """``n`` synthetic rows; optionally with some columns given.

        ``conditions``: a dict of fixed values (every row gets them) or a DataFrame of ``n`` rows whose
        non-missing cells are kept and whose missing cells are generated. ``rebalance``: ``{column:
        {category: share}}`` draws that categorical column with the given shares (the other categories share
        the rest in the model's own proportions) and generates the other columns to fit.
        """
        if conditions is None and rebalance is None:
            return super().sample(n, random_state=random_state, progress=progress)
        from ._argn_conditional import conditional_sample

        self._check_fitted()
        _check_n(n)
        rng = self._sample_rng if random_state is None else check_random_state(random_state)
        return conditional_sample(self, n, conditions, rebalance, rng)

    def impute(self, data: pd.DataFrame, *, random_state: RandomState = None) -> pd.DataFrame:
        """A copy of ``data`` whose missing cells are drawn from the model given each row's other cells."""
        from ._argn_conditional import impute

        self._check_fitted()
        rng = self._sample_rng if random_state is None else check_random_state(random_state)
        return impute(self, data, rng)

    # -- state --------------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        return {
            "tokenizer": self.tokenizer_.get_state(),
            "weights": weights_of(self.net_),
            "training": self.training_,
        }

    def _set_state(self, state: Mapping[str, Any], columns: list[ModelColumn]) -> None:
        self.columns_ = columns
        self.tokenizer_ = Tokenizer.from_state(state["tokenizer"], columns)
        self.device_ = choose_device(self.device)
        self._make_net()
        load_weights(self.net_, state["weights"])
        self.net_.eval()
        self.training_ = dict(state.get("training", {}))
        self.threads_ = self.threads or int(self.training_.get("threads", 1))
