"""Marginal-based differentially private generators: ``mst`` and ``aim``.

Both measure a few low-order marginals of the discretised table with calibrated Gaussian noise, fit a
graphical model to the noisy measurements (``mbi``, the ``[dp]`` extra) and sample from it. Every look at
the private data is charged to one :class:`~simulacra.privacy.PrivacyLedger` per fit, recorded in the model
manifest (``privacy``) and shown in the report.

Domain rule: bounds and category lists come from the schema the caller passes, which is taken as public
knowledge (``simulacra profile --public`` writes one without data-derived values). Without one, ``fit``
stops with one message naming the columns and the two ways forward: fill a public schema, or set
``domain_share`` so numeric and datetime bounds are estimated privately with that share of the budget
(:mod:`simulacra.privacy.domain`). Categories are never read from the data. A geo column is modelled on a
public H3 grid over its schema region (:mod:`._geo_grid`): a fine cell and its coarse ancestor.

>>> gen = create_generator("mst", epsilon=1.0, delta=1e-9, random_state=0)
>>> gen.fit(df, public_schema).sample(100)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from ..._random import check_random_state
from ...errors import ParameterError, SchemaError
from ...privacy import PrivacyLedger
from ...privacy.domain import estimate_bounds
from ...progress import NO_PROGRESS, ProgressCallback
from ...schema import TableSchema
from ...text.config import TextConfig
from ...transformers.base import ModelColumn
from ...validation import check_frame
from ..base import Generator, _private_text_config
from ._counts import CodeCounts, CountsFactory, MarginalCounts
from ._discretize import DiscreteCodec, domain_problems
from ._pgm import JunctionModel

__all__ = ["AIMGenerator", "MSTGenerator", "missing_domain_message"]


def missing_domain_message(missing: list[str], unsupported: list[str], *, profiled: bool) -> str:
    """The one message for a DP fit without a public domain: the columns and the two ways forward."""
    parts = []
    if missing:
        where = "no schema was given, so no column has a public domain" if profiled else "the schema lacks it for"
        parts.append(
            f"differential privacy needs each column's domain from public knowledge, never read from the data; "
            f"{where}: {', '.join(missing)}. Two ways forward: (1) write a public schema with "
            "`simulacra profile DATA --public -o schema.json`, fill in the bounds and category lists from "
            "public knowledge (a codebook, a data dictionary) and pass it (--schema / fit(data, schema)); or "
            "(2) let numeric and datetime bounds be estimated privately with a share of the budget "
            "(domain_share=0.1, CLI --domain-share 0.1); category lists must still come from the schema"
        )
        if any("(geo:" in m for m in missing):
            parts.append(
                "a geo column is modelled on a public grid over its region: give the region in the schema "
                '(`region`: {"bbox": [minlon, minlat, maxlon, maxlat]} or GeoJSON; CLI --bbox / --region) or, for '
                "a latitude/longitude pair, the minimum and maximum of both columns; domain_share does not "
                "estimate it"
            )
    if unsupported:
        parts.append(
            "the DP generators model categorical, numeric, datetime and (mst, aim) geo columns only; drop or "
            f"recode {', '.join(unsupported)}"
        )
    return "; ".join(parts)


@dataclass(frozen=True)
class CodecEncoder:
    """Private rows -> codes through the schema-only :class:`DiscreteCodec` (draws nothing)."""

    codec: DiscreteCodec

    def __call__(self, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.codec.transform(frame[list(self.codec.schema.names)]).to_numpy(dtype=np.int64))


class _MarginalDP(Generator):
    """Shared machinery: public domain, ledger, discretisation, junction-tree sampling, persistence."""

    name: ClassVar[str]

    def __init__(
        self,
        *,
        epsilon: float = 1.0,
        delta: float = 1e-9,
        bins: int = 20,
        domain_share: float | None = None,
        random_state: int | None = None,
    ) -> None:
        super().__init__(random_state=random_state)
        self.epsilon = epsilon
        self.delta = delta
        self.bins = bins
        self.domain_share = domain_share

    def _validate_params(self) -> None:
        super()._validate_params()
        PrivacyLedger(self.epsilon, self.delta)  # raises ParameterError naming the bad value
        if isinstance(self.bins, bool) or not isinstance(self.bins, int) or not 2 <= self.bins <= 1000:
            raise ParameterError(f"bins must be an integer from 2 to 1000, got {self.bins!r}")
        share = self.domain_share
        if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1):
            raise ParameterError(f"domain_share must be None or a number strictly between 0 and 1, got {share!r}")

    # -- fit ---------------------------------------------------------------------------------------
    def fit(
        self,
        data: pd.DataFrame,
        schema: TableSchema | None = None,
        *,
        progress: ProgressCallback | None = None,
        text: str | TextConfig | None = None,
    ) -> Self:
        """Fit on ``data`` with the public domain in ``schema`` (see the module docstring)."""
        _private_text_config(text, self.name)
        self._validate_params()
        check_frame(data)
        ledger = PrivacyLedger(self.epsilon, self.delta)
        if schema is None:
            names = [repr(str(c)) for c in data.columns]
            raise SchemaError(missing_domain_message(names, [], profiled=True))
        schema.check_columns(data)
        missing, unsupported = domain_problems(schema)
        if missing and self.domain_share is not None and not unsupported:
            rs = self.random_state
            rng = np.random.default_rng(None if rs is None else [int(rs), 7919])
            schema = estimate_bounds(data, schema, ledger, rng, share=float(self.domain_share))
            missing, unsupported = domain_problems(schema)
        if missing or unsupported:
            raise SchemaError(missing_domain_message(missing, unsupported, profiled=False))
        self.privacy_ = ledger
        super().fit(data, schema, progress=progress, text=text)
        # the exact row count is not released (the model's total is a noisy estimate)
        self.fingerprint_ = {k: v for k, v in self.fingerprint_.items() if k != "n_rows"}
        return self

    def _make_transformer(self, data: pd.DataFrame, schema: TableSchema, rng: np.random.Generator) -> Any:
        return DiscreteCodec(schema, bins=self.bins).fit()

    @classmethod
    def _transformer_from_state(cls, schema: TableSchema, state: Mapping[str, Any]) -> Any:
        return DiscreteCodec.from_state(schema, state)

    def _fit(
        self, model: pd.DataFrame, columns: list[ModelColumn], rng: np.random.Generator, progress: ProgressCallback
    ) -> None:
        self._fit_from(CodeCounts(model.to_numpy(dtype=np.int64)), columns, rng, progress)

    def _fit_from(
        self, counts: MarginalCounts, columns: list[ModelColumn], rng: np.random.Generator, progress: ProgressCallback
    ) -> None:
        sizes = [c.n_categories for c in columns]
        ledger = self.privacy_
        progress = progress or NO_PROGRESS
        progress.start(f"fit {self.name}", None)

        def tick(what: str) -> None:
            progress.advance(f"fit {self.name}", 1)

        self.model_, self.mappings_ = self._fit_codes(counts, sizes, ledger, rng, tick)
        progress.end(f"fit {self.name}")

    def fit_counts(
        self,
        counts: CountsFactory,
        schema: TableSchema,
        fingerprint: Mapping[str, Any],
        *,
        progress: ProgressCallback | None = None,
    ) -> Self:
        """Fit from exact marginal histograms instead of rows (a dataset larger than memory, see
        :func:`simulacra.distributed.fit_dataset`): ``counts(encoder, seed)`` gives the histograms of the data
        encoded by ``encoder``. The schema must hold the public domain (``domain_share`` needs rows, so it
        is not used here). Same seed and same data: the same model as :meth:`fit`.
        """
        self._validate_params()
        missing, unsupported = domain_problems(schema)
        if missing or unsupported:
            raise SchemaError(missing_domain_message(missing, unsupported, profiled=False))
        self.privacy_ = PrivacyLedger(self.epsilon, self.delta)
        rng = check_random_state(self.random_state)
        codec = DiscreteCodec(schema, bins=self.bins).fit()
        self.schema_ = schema
        self.transformer_ = codec
        self.fingerprint_ = {k: v for k, v in fingerprint.items() if k != "n_rows"}
        self._fit_from(counts(CodecEncoder(codec), 0), codec.model_columns, rng, progress or NO_PROGRESS)
        self._sample_rng = check_random_state(self.random_state)
        return self

    def _fit_codes(
        self, counts: MarginalCounts, sizes: list[int], ledger: PrivacyLedger, rng: np.random.Generator, tick: Any
    ) -> tuple[JunctionModel, list[np.ndarray] | None]:
        raise NotImplementedError

    # -- sample ------------------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        codes = self.model_.sample(n, rng)
        if self.mappings_ is not None:
            codes = _decompress(codes, self.mappings_, rng)
        for fine, coarse, parent in self.transformer_.geo_hierarchies():
            codes[:, fine] = _consistent_fine(codes, fine, coarse, parent, self._fine_weights(fine, len(parent)), rng)
        names = [c.name for c in self.transformer_.model_columns]
        return pd.DataFrame(codes, columns=names)

    # -- persistence -------------------------------------------------------------------------------
    def _fine_weights(self, j: int, size: int) -> np.ndarray:
        """The model's 1-way counts of fine-cell column ``j`` over the original codes (a merged code's
        count shared evenly among its codes)."""
        counts = np.maximum(np.asarray(self.model_.project((j,)), dtype=np.float64), 0.0)
        if self.mappings_ is None:
            return counts[:size]
        mp = self.mappings_[j]
        return counts[mp] / np.bincount(mp)[mp]

    def _manifest_extra(self) -> dict[str, Any]:
        return {"privacy": self.privacy_.to_dict()}

    def _get_state(self) -> dict[str, Any]:
        return {
            "model": self.model_.get_state(),
            "mappings": None if self.mappings_ is None else [np.asarray(m, dtype=np.int64) for m in self.mappings_],
            "privacy": self.privacy_.to_dict(),
        }

    def _set_state(self, state: Mapping[str, Any], columns: list[ModelColumn]) -> None:
        self.model_ = JunctionModel.from_state(state["model"])
        maps = state.get("mappings")
        self.mappings_ = None if maps is None else [np.asarray(m, dtype=np.int64) for m in maps]
        self.privacy_ = PrivacyLedger.from_dict(state["privacy"])
        if len(self.model_.sizes) != len(columns):
            raise ValueError("the saved model's columns do not match its discretisation")


def _decompress(codes: np.ndarray, mappings: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Compressed codes back to original codes; a merged code becomes one of its originals, uniformly."""
    out = np.empty_like(codes)
    for j, mp in enumerate(mappings):
        k = int(mp.max()) + 1
        if k == len(mp):
            inv = np.empty(k, dtype=np.int64)
            inv[mp] = np.arange(len(mp))
            out[:, j] = inv[codes[:, j]]
            continue
        for c in range(k):
            orig = np.flatnonzero(mp == c)
            rows = codes[:, j] == c
            out[rows, j] = orig[rng.integers(0, len(orig), int(rows.sum()))] if len(orig) > 1 else orig[0]
    return out


def _consistent_fine(
    codes: np.ndarray, fine: int, coarse: int, parent: np.ndarray, weights: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Fine-cell codes that lie in their row's coarse cell: a row whose fine cell is not a child of its
    coarse cell draws one of the coarse cell's children in proportion to the model's fine counts (uniformly
    if they are all zero). The coarse cell is measured over far fewer cells, so its counts are far less
    noisy; the fine counts place points within it. Post-processing of the model: no budget."""
    out = codes[:, fine].copy()
    bad = parent[out] != codes[:, coarse]
    if not bad.any():
        return out
    order = np.argsort(parent, kind="stable")
    starts = np.searchsorted(parent[order], np.arange(int(parent.max()) + 2))
    for c in np.unique(codes[bad, coarse]):
        rows = np.flatnonzero(bad & (codes[:, coarse] == c))
        children = order[starts[c] : starts[c + 1]]
        if not len(children):
            continue
        w = weights[children]
        p = w / w.sum() if w.sum() > 0 else np.full(len(children), 1.0 / len(children))
        out[rows] = children[rng.choice(len(children), size=len(rows), p=p)]
    return out


class MSTGenerator(_MarginalDP):
    """MST (McKenna, Miklau & Sheldon 2021): noisy 1-way marginals, a private maximum spanning tree of
    pairs, noisy 2-way marginals on its edges, a graphical model fitted by ``mbi``.

    Parameters
    ----------
    epsilon, delta : the privacy target ((epsilon, delta)-DP for the whole fit, domain estimation included).
    bins : equal-width bins for numeric and datetime columns over the schema's bounds.
    domain_share : share of the budget for privately estimating bounds missing from the schema (``None``:
        the schema must hold them).
    iters : mirror-descent iterations of the final model fit.
    random_state : seed; the same seed gives the same model and rows.
    """

    name = "mst"

    def __init__(
        self,
        *,
        epsilon: float = 1.0,
        delta: float = 1e-9,
        bins: int = 20,
        domain_share: float | None = None,
        iters: int = 1000,
        random_state: int | None = None,
    ) -> None:
        super().__init__(epsilon=epsilon, delta=delta, bins=bins, domain_share=domain_share, random_state=random_state)
        self.iters = iters

    def _validate_params(self) -> None:
        super()._validate_params()
        _check_int("iters", self.iters, 1)

    def _fit_codes(
        self, counts: MarginalCounts, sizes: list[int], ledger: PrivacyLedger, rng: np.random.Generator, tick: Any
    ) -> tuple[JunctionModel, list[np.ndarray] | None]:
        from ._select import mst

        return mst(counts, sizes, ledger, rng, rho=ledger.remaining_rho, iters=self.iters, tick=tick)


class AIMGenerator(_MarginalDP):
    """AIM (McKenna, Mullins, Sheldon & Miklau 2022): adaptive, workload-aware selection of marginals
    to measure, each round choosing the worst-approximated candidate under the exponential mechanism.

    Parameters
    ----------
    epsilon, delta, bins, domain_share, random_state : as for :class:`MSTGenerator`.
    degree : the workload is every ``degree``-way marginal (3 matches NIST's k-marginal score).
    rounds : planned number of adaptive rounds after the 1-way marginals (``None``: two per column; AIM's
        paper plans ``16 * n_columns``, far slower for little gain at small epsilon). Rounds end early when
        AIM's annealing halves the noise.
    max_model_size : cap on the graphical model, in millions of cells of its junction tree (AIM's
        80 MB of float64 is 10.5).
    max_cells : candidate marginals with more cells are never measured.
    per_round : selections that share one model re-estimation (1 is AIM as published; more is faster,
        since each new model structure costs a JAX compilation).
    compress : merge each column's values whose noisy 1-way count is below 3 sigma into one cell (MST's
        domain compression, post-processing of the noisy counts), so rare values do not dilute the
        measurements of larger marginals.
    iters, final_iters : mirror-descent iterations per round (warm-started) and for the final fit.
    """

    name = "aim"

    def __init__(
        self,
        *,
        epsilon: float = 1.0,
        delta: float = 1e-9,
        bins: int = 20,
        domain_share: float | None = None,
        degree: int = 3,
        rounds: int | None = None,
        max_model_size: float = 10.0,
        max_cells: int = 10_000,
        per_round: int = 4,
        compress: bool = True,
        iters: int = 100,
        final_iters: int = 1000,
        random_state: int | None = None,
    ) -> None:
        super().__init__(epsilon=epsilon, delta=delta, bins=bins, domain_share=domain_share, random_state=random_state)
        self.degree = degree
        self.rounds = rounds
        self.per_round = per_round
        self.compress = compress
        self.max_model_size = max_model_size
        self.max_cells = max_cells
        self.iters = iters
        self.final_iters = final_iters

    def _validate_params(self) -> None:
        super()._validate_params()
        _check_int("degree", self.degree, 1)
        if self.rounds is not None:
            _check_int("rounds", self.rounds, 1)
        _check_int("max_cells", self.max_cells, 1)
        _check_int("per_round", self.per_round, 1)
        _check_int("iters", self.iters, 1)
        _check_int("final_iters", self.final_iters, 1)
        m = self.max_model_size
        if isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 < m < math.inf:
            raise ParameterError(f"max_model_size must be a positive number (millions of cells), got {m!r}")

    def _fit_codes(
        self, counts: MarginalCounts, sizes: list[int], ledger: PrivacyLedger, rng: np.random.Generator, tick: Any
    ) -> tuple[JunctionModel, list[np.ndarray] | None]:
        from ._select import aim

        d = len(sizes)
        workload = list(itertools.combinations(range(d), min(self.degree, d)))
        rounds = self.rounds if self.rounds is not None else max(1, 2 * d)
        return aim(
            counts, sizes, ledger, rng, rho=ledger.remaining_rho, workload=workload, rounds=rounds,
            max_model_cells=self.max_model_size * 1e6, max_cells=self.max_cells, iters=self.iters,
            final_iters=self.final_iters, per_round=self.per_round, compress=self.compress, tick=tick,
        )  # fmt: skip


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ParameterError(f"{name} must be an integer >= {low}, got {value!r}")
