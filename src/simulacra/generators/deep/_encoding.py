"""Mode-specific normalisation and one-hot layout shared by the deep generators (numpy only, no torch).

Each continuous model column gets a variational Gaussian mixture (scikit-learn's
``BayesianGaussianMixture`` with a Dirichlet-process prior, fitted on at most ``max_vgm_rows`` rows, so
unused components fade away). A value ``x`` is encoded as a sampled mode ``k`` (drawn from the
posterior over the active components) and a scalar ``(x - mu_k) / (4 sigma_k)`` in ``[-1, 1]``
(Xu et al., "Modeling Tabular Data using Conditional GAN", NeurIPS 2019). With
``numeric_encoding="quantile"`` a continuous column is instead one scalar, its rank-Gauss normal score
``ndtri(F(x)) / 4`` through ``n_quantiles`` stored empirical quantiles (ties spread over their CDF span),
decoded by quantile interpolation; no mode block. Discrete columns are one-hot.

The encoded matrix is laid out as ``[scalars of all continuous columns | one-hot blocks]`` so that a
network applies one ``tanh`` to the first part and one segmented softmax to the rest
(see :class:`Layout`). Posterior and decoding are vectorised over rows.

>>> enc = ModeEncoder(max_vgm_rows=5000).fit(data, columns, rng)
>>> x = enc.transform(data, rng)          # float32 (n, enc.layout.width)
>>> back = enc.decode(x, rng)            # model columns again
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...transformers.base import ModelColumn

__all__ = ["NUMERIC_ENCODINGS", "Layout", "ModeEncoder"]

_MAX_MODES = 10
_MIN_WEIGHT = 0.005
_CLIP = 0.99
_Z_SCALE = 4.0  # quantile encoding: normal score z is stored as z / 4 (|z| <= 3.9)
_U_EPS = 5e-5
NUMERIC_ENCODINGS = ("mode", "quantile")


@dataclass(frozen=True)
class Layout:
    """Where each block sits in the encoded matrix.

    ``n_scalars`` continuous scalars come first; then one softmax block per entry of ``block_widths``
    (continuous columns' modes first, in column order, then discrete columns). ``discrete_blocks[j]``
    is the block index of the j-th discrete model column.
    """

    n_scalars: int
    block_widths: tuple[int, ...]
    discrete_blocks: tuple[int, ...]

    @property
    def block_starts(self) -> np.ndarray:
        return self.n_scalars + np.concatenate([[0], np.cumsum(self.block_widths)[:-1]]).astype(np.int64)

    @property
    def width(self) -> int:
        return self.n_scalars + int(sum(self.block_widths))


class ModeEncoder:
    """Encode model columns for a neural network, and decode network output back to model columns."""

    def __init__(self, max_vgm_rows: int = 5000, numeric_encoding: str = "mode", n_quantiles: int = 1000) -> None:
        if numeric_encoding not in NUMERIC_ENCODINGS:
            raise ValueError(f"numeric_encoding={numeric_encoding!r}; use one of {NUMERIC_ENCODINGS}")
        self.max_vgm_rows = max_vgm_rows
        self.numeric_encoding = numeric_encoding
        self.n_quantiles = n_quantiles

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, data: Mapping[str, np.ndarray], columns: list[ModelColumn], rng: np.random.Generator) -> ModeEncoder:
        self.columns = columns
        from threadpoolctl import threadpool_limits

        self.mixtures: list[dict[str, np.ndarray]] = []
        with threadpool_limits(1):  # one-dimensional fits: BLAS threads only add synchronisation
            for col in columns:
                if col.is_discrete:
                    continue
                x = np.asarray(data[col.name], dtype=float)
                if self.numeric_encoding == "quantile":
                    self.mixtures.append(_fit_quantiles(x, self.n_quantiles))
                else:
                    self.mixtures.append(_fit_vgm(x, self.max_vgm_rows, rng))
        self._build_layout()
        return self

    @property
    def quantile(self) -> bool:
        return self.numeric_encoding == "quantile"

    def _build_layout(self) -> None:
        cont_widths = [] if self.quantile else [len(m["means"]) for m in self.mixtures]
        disc = [c.n_categories for c in self.columns if c.is_discrete]
        self.layout = Layout(
            n_scalars=len(self.mixtures),
            block_widths=tuple(cont_widths + disc),
            discrete_blocks=tuple(range(len(cont_widths), len(cont_widths) + len(disc))),
        )

    @property
    def continuous(self) -> list[ModelColumn]:
        return [c for c in self.columns if not c.is_discrete]

    @property
    def discrete(self) -> list[ModelColumn]:
        return [c for c in self.columns if c.is_discrete]

    # -- transform ----------------------------------------------------------------------------
    def transform(self, data: Mapping[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
        """The encoded float32 matrix (rows, layout.width)."""
        n = len(next(iter(data.values()))) if data else 0
        out = np.zeros((n, self.layout.width), dtype=np.float32)
        starts = self.layout.block_starts
        rows = np.arange(n)
        for i, (col, mix) in enumerate(zip(self.continuous, self.mixtures, strict=True)):
            x = np.asarray(data[col.name], dtype=float)
            if self.quantile:
                out[:, i] = _to_normal_scores(x, mix, rng)
                continue
            post = _posterior(x, mix)
            cum = np.cumsum(post, axis=1)
            k = np.minimum((cum < rng.random(n)[:, None] * cum[:, -1:]).sum(axis=1), post.shape[1] - 1)
            v = (x - mix["means"][k]) / (4.0 * mix["stds"][k])
            out[:, i] = np.clip(v, -_CLIP, _CLIP)
            out[rows, starts[i] + k] = 1.0
        for j, col in enumerate(self.discrete):
            codes = np.asarray(data[col.name], dtype=np.int64)
            out[rows, starts[self.layout.discrete_blocks[j]] + codes] = 1.0
        return out

    def discrete_codes(self, data: Mapping[str, np.ndarray]) -> np.ndarray:
        """(rows, discrete columns) int64 codes."""
        if not self.discrete:
            n = len(next(iter(data.values()))) if data else 0
            return np.zeros((n, 0), dtype=np.int64)
        return np.stack([np.asarray(data[c.name], dtype=np.int64) for c in self.discrete], axis=1)

    # -- decode -------------------------------------------------------------------------------
    def decode(self, scalars: np.ndarray, logits: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Model columns from network output: scalars in [-1, 1] and raw block logits.

        Each block's category (mode or discrete code) is drawn from the softmax of its logits
        (Gumbel-max with ``rng``), so sampling is reproducible and rare categories keep their chance.
        """
        n = len(scalars)
        starts = self.layout.block_starts - self.layout.n_scalars
        picks: list[np.ndarray] = []
        for b, w in enumerate(self.layout.block_widths):
            block = logits[:, starts[b] : starts[b] + w].astype(np.float64)
            gumbel = -np.log(-np.log(rng.random((n, w)) + 1e-20) + 1e-20)
            picks.append(np.argmax(block + gumbel, axis=1))
        out: dict[str, np.ndarray] = {}
        ci = di = 0
        for col in self.columns:
            if col.is_discrete:
                out[col.name] = picks[self.layout.discrete_blocks[di]].astype(np.int64)
                di += 1
            elif self.quantile:
                out[col.name] = _from_normal_scores(scalars[:, ci].astype(np.float64), self.mixtures[ci])
                ci += 1
            else:
                mix = self.mixtures[ci]
                k = picks[ci]
                v = np.clip(scalars[:, ci].astype(np.float64), -1.0, 1.0)
                out[col.name] = v * 4.0 * mix["stds"][k] + mix["means"][k]
                ci += 1
        return out

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "max_vgm_rows": self.max_vgm_rows,
            "numeric_encoding": self.numeric_encoding,
            "n_quantiles": self.n_quantiles,
            "mixtures": self.mixtures,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], columns: list[ModelColumn]) -> ModeEncoder:
        enc = cls(
            int(state["max_vgm_rows"]),
            str(state.get("numeric_encoding", "mode")),
            int(state.get("n_quantiles", 1000)),
        )
        enc.columns = columns
        enc.mixtures = [{k: np.asarray(v, dtype=float) for k, v in m.items()} for m in state["mixtures"]]
        if len(enc.mixtures) != len(enc.continuous):
            raise ValueError("deep model state has a different number of continuous columns than the model")
        enc._build_layout()
        return enc


def _fit_vgm(x: np.ndarray, max_rows: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Active components (weight >= 0.5%) of a Dirichlet-process Gaussian mixture on <= max_rows values."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture

    if len(x) > max_rows:
        x = x[rng.choice(len(x), max_rows, replace=False)]
    scale = float(np.std(x)) or 1.0
    n_unique = len(np.unique(x))
    if n_unique < 2:
        return {"means": np.array([float(x[0]) if len(x) else 0.0]), "stds": np.array([1.0]), "weights": np.ones(1)}
    vgm = BayesianGaussianMixture(
        n_components=min(_MAX_MODES, n_unique),
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=1e-3,
        max_iter=100,
        n_init=1,
        random_state=int(rng.integers(0, 2**31 - 1)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vgm.fit(x.reshape(-1, 1))
    weights = np.asarray(vgm.weights_, dtype=float)
    keep = weights >= _MIN_WEIGHT
    if not keep.any():
        keep = weights == weights.max()
    means = np.asarray(vgm.means_, dtype=float).reshape(-1)[keep]
    stds = np.sqrt(np.asarray(vgm.covariances_, dtype=float).reshape(-1)[keep])
    stds = np.maximum(stds, 1e-6 * scale)
    w = weights[keep] / weights[keep].sum()
    return {"means": means, "stds": stds, "weights": w}


def _posterior(x: np.ndarray, mix: Mapping[str, np.ndarray]) -> np.ndarray:
    """(rows, modes) posterior probability of each mode for each value."""
    z = (x[:, None] - mix["means"][None, :]) / mix["stds"][None, :]
    logp = np.log(mix["weights"])[None, :] - np.log(mix["stds"])[None, :] - 0.5 * z * z
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return p / p.sum(axis=1, keepdims=True)


def _fit_quantiles(x: np.ndarray, n_quantiles: int) -> dict[str, np.ndarray]:
    """Empirical quantiles at ``m`` evenly spaced probabilities 0 .. 1 (min and max included).

    Columns with at most ``m`` distinct values (counts, zero-inflated amounts, coded numbers) keep the
    inverted-CDF quantiles, so decoding gives back only observed values at their observed rates;
    the others interpolate linearly between quantiles.
    """
    x = x[np.isfinite(x)]
    if len(x) == 0:
        x = np.zeros(1)
    m = int(max(2, min(n_quantiles, len(x))))
    step = len(np.unique(x)) <= m
    probs = np.linspace(0.0, 1.0, m)
    values = np.quantile(x, probs, method="inverted_cdf" if step else "linear")
    return {"values": np.asarray(values, dtype=float), "step": np.array([1.0 if step else 0.0])}


def _to_normal_scores(x: np.ndarray, q: Mapping[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Rank-Gauss: empirical CDF through the quantile grid (ties spread uniformly over their span), then
    the standard normal quantile, scaled into [-1, 1]."""
    from scipy.special import ndtri

    values = q["values"]
    m = len(values)
    lo = np.searchsorted(values, x, side="left")
    hi = np.searchsorted(values, x, side="right")
    tie = hi > lo
    idx = np.empty(len(x))
    idx[tie] = lo[tie] - 0.5 + rng.random(int(tie.sum())) * (hi[tie] - lo[tie])
    left = np.clip(lo[~tie] - 1, 0, m - 1)
    right = np.clip(lo[~tie], 0, m - 1)
    gap = values[right] - values[left]
    frac = np.where(gap > 0, (x[~tie] - values[left]) / np.where(gap > 0, gap, 1.0), 0.5)
    idx[~tie] = left + np.clip(frac, 0.0, 1.0)
    u = np.clip(idx / (m - 1), _U_EPS, 1.0 - _U_EPS)
    return (ndtri(u) / _Z_SCALE).astype(np.float32)


def _from_normal_scores(v: np.ndarray, q: Mapping[str, np.ndarray]) -> np.ndarray:
    """Inverse of :func:`_to_normal_scores` by quantile interpolation (step for few distinct values)."""
    from scipy.special import ndtr

    values = q["values"]
    m = len(values)
    idx = ndtr(np.clip(v, -1.0, 1.0) * _Z_SCALE) * (m - 1)
    if float(q["step"][0]) > 0:
        return np.asarray(values[np.clip(np.rint(idx).astype(np.int64), 0, m - 1)])
    return np.interp(idx, np.arange(m), values)
