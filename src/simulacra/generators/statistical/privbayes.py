"""``privbayes``: a differentially private Bayesian network (Zhang et al., TODS 2017), written for simulacra.

The model learns a network of degree ``degree`` by the exponential mechanism and releases each attribute's
conditional table with calibrated noise; sampling draws attributes in network order. The maths and the
sensitivities are in :mod:`simulacra.generators.statistical._privbayes`; the public-domain rules (no
bounds or category lists read from the private data) in :mod:`._public_domain`.

Needs numpy only (no JAX, no torch): it is registered with the ``dp`` extra for grouping but imports without it.

>>> gen = create_generator("privbayes", epsilon=1.0, delta=1e-9, random_state=0)
>>> gen.fit(data, public_schema).sample(1000)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from ..._random import check_random_state
from ...errors import ParameterError
from ...privacy import PrivacyLedger
from ...progress import NO_PROGRESS, ProgressCallback
from ...schema import TableSchema
from ...text.config import TextConfig
from ...transformers.base import ModelColumn
from ...transformers.table import TableTransformer
from ...validation import check_frame
from ..base import Generator, _private_text_config, data_fingerprint
from ._counts import CodeCounts, CountsFactory, MarginalCounts
from ._privbayes import Network, fit_network, sample_network
from ._public_domain import (
    BinnedDomain,
    PublicFit,
    check_domain_share,
    check_missing,
    check_public_domain,
    fit_public,
    fit_public_transformer,
    public_frame,
)

__all__ = ["PrivBayesGenerator"]

_MECHANISMS = ("gaussian", "laplace")


@dataclass(frozen=True)
class PublicEncoder:
    """Private rows -> privbayes codes through the transformer fitted on public values and the binned
    domain; refuses missing cells the public schema does not allow (names columns, never values)."""

    schema: TableSchema
    transformer: TableTransformer
    domain: BinnedDomain
    columns: list[ModelColumn]

    def __call__(self, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        check_missing(frame, self.schema, "privbayes")
        model = self.transformer.transform(frame[list(self.schema.names)], rng)
        return np.asarray(self.domain.encode(model, self.columns))


class PrivBayesGenerator(Generator):
    """Differentially private Bayesian network (PrivBayes).

    Parameters
    ----------
    epsilon, delta : the privacy target; the whole budget is spent in one fit (zCDP accounting, converted
        to ``(epsilon, delta)``; see :mod:`simulacra.privacy.accountant`).
    degree : the most parents an attribute may have (``k`` in the paper); fewer where the table would
        not be theta-useful.
    beta : share of the budget spent on learning the network (the paper's recommended 0.3); the rest
        goes to the conditional tables (after 2% for a noisy row count).
    theta : usefulness threshold: a conditional table is allowed only if its average count is at least
        ``theta`` noise standard deviations (the paper's recommended 4).
    bins : equal-width bins for numeric and datetime columns between their public bounds, plus one code for
        each bound itself (integer columns whose range holds at most ``max(bins, 128)`` values keep one code
        per value).
    mechanism : noise of the conditional tables: ``"gaussian"`` (default) or ``"laplace"``.
    domain_share : share of the budget for privately estimating numeric and datetime bounds the schema
        lacks (``None``: the schema must give them; see :mod:`simulacra.privacy.domain`).
    random_state : seed for fitting (noise included) and the default sampling stream.
    locale : kept for the common generator interface.

    The data's domain must be public: ``fit`` needs a schema with ``minimum``/``maximum`` for numeric and
    datetime columns and ``categories`` for categorical ones (``simulacra profile --public``).
    """

    name: ClassVar[str] = "privbayes"

    def __init__(
        self,
        *,
        epsilon: float = 1.0,
        delta: float = 1e-9,
        degree: int = 2,
        beta: float = 0.3,
        theta: float = 4.0,
        bins: int = 20,
        mechanism: str = "gaussian",
        domain_share: float | None = None,
        random_state: int | None = None,
        locale: str | None = None,
    ) -> None:
        self.epsilon = epsilon
        self.delta = delta
        self.degree = degree
        self.beta = beta
        self.theta = theta
        self.bins = bins
        self.mechanism = mechanism
        self.domain_share = domain_share
        self.random_state = random_state
        self.locale = locale

    def _validate_params(self) -> None:
        super()._validate_params()
        problems = []
        if isinstance(self.degree, bool) or not isinstance(self.degree, int) or self.degree < 0:
            problems.append(f"degree={self.degree!r}; use an integer >= 0 (typical 2 or 3)")
        if isinstance(self.beta, bool) or not isinstance(self.beta, (int, float)) or not 0 < self.beta < 1:
            problems.append(f"beta={self.beta!r}; use a share strictly between 0 and 1 (typical 0.3)")
        if isinstance(self.theta, bool) or not isinstance(self.theta, (int, float)) or not self.theta > 0:
            problems.append(f"theta={self.theta!r}; use a positive number (typical 4)")
        if isinstance(self.bins, bool) or not isinstance(self.bins, int) or self.bins < 2:
            problems.append(f"bins={self.bins!r}; use an integer >= 2 (typical 10 to 32)")
        if self.mechanism not in _MECHANISMS:
            problems.append(f"mechanism={self.mechanism!r}; choose one of {', '.join(_MECHANISMS)}")
        problems += check_domain_share("privbayes", self.domain_share)
        if problems:
            raise ParameterError("privbayes: " + "; ".join(problems))
        PrivacyLedger(self.epsilon, self.delta)  # checks epsilon and delta

    # -- fit: the public-domain path replaces the data-fitted transformer ----------------------
    def fit(
        self,
        data: pd.DataFrame,
        schema: TableSchema | None = None,
        *,
        progress: ProgressCallback | None = None,
        text: str | TextConfig | None = None,
    ) -> Self:
        """Learn from ``data`` with the domain taken from ``schema`` (required: it must be public)."""
        text_config = _private_text_config(text, self.name)
        progress = progress or NO_PROGRESS
        self._validate_params()
        check_frame(data)
        rng = check_random_state(self.random_state)
        progress.start("transform", None)
        self._ledger = PrivacyLedger(self.epsilon, self.delta)
        public = fit_public(
            "privbayes", data, schema, rng, self.locale, ledger=self._ledger, domain_share=self.domain_share
        )
        self.domain_ = BinnedDomain.build(public, self.bins)
        progress.end("transform")
        self.schema_ = public.schema
        self.transformer_ = transformer = public.transformer
        model = public.model
        self._fit(model, transformer.model_columns, rng, progress)
        # the row count is private: the manifest keeps the noisy count the fit released, not the true one
        self.fingerprint_ = {**data_fingerprint(data), "n_rows": round(self.network_.n_noisy)}
        self._fit_text(data, self.schema_, text_config, rng, progress)
        self._sample_rng = check_random_state(self.random_state)
        return self

    def _fit(
        self, model: pd.DataFrame, columns: list[ModelColumn], rng: np.random.Generator, progress: ProgressCallback
    ) -> None:
        self.columns_ = columns
        ledger = self.__dict__.pop("_ledger")  # made in fit: domain estimation may have charged it already
        self._fit_network(CodeCounts(self.domain_.encode(model, columns)), ledger, rng, progress)

    def _fit_network(
        self, counts: MarginalCounts, ledger: PrivacyLedger, rng: np.random.Generator, progress: ProgressCallback
    ) -> None:
        self.network_ = fit_network(
            counts,
            self.domain_.sizes,
            ledger=ledger,
            rng=rng,
            degree=self.degree,
            beta=self.beta,
            theta=self.theta,
            mechanism=self.mechanism,
            progress=progress,
        )
        self.ledger_ = ledger
        self.privacy_ = {"generator": "privbayes", "mechanism": f"PrivBayes ({self.mechanism})", **ledger.to_dict()}

    def fit_counts(
        self,
        counts: CountsFactory,
        schema: TableSchema,
        fingerprint: Mapping[str, Any],
        *,
        progress: ProgressCallback | None = None,
    ) -> Self:
        """Fit from exact joint counts instead of rows (a dataset larger than memory, see
        :func:`simulacra.distributed.fit_dataset`): ``counts(encoder, seed)`` gives the histograms of the data
        encoded by ``encoder``, the public transformer and :class:`BinnedDomain` built here from the schema
        alone. The schema must hold the public domain (``domain_share`` needs rows, so it is refused)."""
        progress = progress or NO_PROGRESS
        self._validate_params()
        if self.domain_share is not None:
            raise ParameterError(
                "privbayes: domain_share estimates bounds from rows, which a fit from counts does not read; give "
                "every bound in the public schema and leave domain_share unset"
            )
        rng = check_random_state(self.random_state)
        ledger = PrivacyLedger(self.epsilon, self.delta)
        checked = check_public_domain(schema, "privbayes", pd.DataFrame())  # rows only for domain_share
        transformer = fit_public_transformer(checked, rng, self.locale)
        public_model = transformer.transform(public_frame(checked), rng)
        public = PublicFit(checked, transformer, public_model.head(0), public_model)
        self.domain_ = BinnedDomain.build(public, self.bins)
        self.schema_ = checked
        self.transformer_ = transformer
        self.columns_ = transformer.model_columns
        encoder = PublicEncoder(checked, transformer, self.domain_, self.columns_)
        self._fit_network(counts(encoder, int(rng.integers(2**62))), ledger, rng, progress)
        self.fingerprint_ = {**fingerprint, "n_rows": round(self.network_.n_noisy)}
        self._sample_rng = check_random_state(self.random_state)
        return self

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        if not self.columns_:
            return pd.DataFrame(index=pd.RangeIndex(n))
        codes = sample_network(self.network_, n, rng)
        return self.domain_.decode(codes, self.columns_, rng)

    def _manifest_extra(self) -> dict[str, Any]:
        """The ledger's summary as the manifest's ``privacy`` entry (where the base class asks for extras)."""
        return {"privacy": self.privacy_}

    # -- state --------------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        net = self.network_
        return {
            "domain": self.domain_.to_state(),
            "order": [int(x) for x in net.order],
            "parents": [[int(p) for p in ps] for ps in net.parents],
            "cpts": [np.asarray(c, dtype=np.float64) for c in net.cpts],
            "n_noisy": float(net.n_noisy),
            "max_cells": float(net.max_cells),
            "privacy": self.privacy_,
        }

    def _set_state(self, state: Mapping[str, Any], columns: list[ModelColumn]) -> None:
        self.columns_ = columns
        self.domain_ = BinnedDomain.from_state(state["domain"])
        sizes = self.domain_.sizes
        cpts = [np.asarray(c, dtype=np.float64) for c in state["cpts"]]
        order = [int(x) for x in state["order"]]
        parents = [[int(p) for p in ps] for ps in state["parents"]]
        if len(sizes) != len(columns) or sorted(order) != list(range(len(columns))) or len(cpts) != len(order):
            raise ValueError("privbayes state does not match the model columns")
        for pos, x in enumerate(order):
            n_configs = int(np.prod([sizes[p] for p in parents[pos]])) if parents[pos] else 1
            if cpts[pos].shape != (n_configs, sizes[x]):
                raise ValueError(f"privbayes conditional table {pos} has shape {cpts[pos].shape}")
        self.network_ = Network(
            sizes=sizes,
            order=order,
            parents=parents,
            cpts=cpts,
            n_noisy=float(state["n_noisy"]),
            max_cells=float(state["max_cells"]),
        )
        self.privacy_ = dict(state["privacy"])
        self.ledger_ = PrivacyLedger.from_dict(self.privacy_)
