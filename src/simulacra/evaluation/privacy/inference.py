"""Attribute inference (Article 29 Working Party, Opinion 05/2014): can the synthetic table reveal a
training record's secret attribute from its other attributes?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..._random import check_random_state
from ...errors import InputError, ParameterError
from ...progress import ProgressCallback
from ...schema import ColumnSpec, TableSchema
from .._encode import as_labels, as_numbers, is_continuous
from ..base import Goal, Metric, MetricResult
from ._common import SQ_TIE_TOL, attack_risk, check_inputs, encode, risk_details

__all__ = ["AttributeInference"]


class AttributeInference(Metric):
    """Attribute-inference risk: guessing a secret column from the nearest synthetic row.

    Follows the inference attack of Giomi et al. (PoPETs 2023; written anew here). For a secret column,
    the attacker knows every other judged column of a target record, finds the nearest synthetic row on
    those columns (Euclidean on the mixed encoding fitted on the training table) and reads off its
    secret. A guess is right when it equals the target's value (categories; missing equals missing) or,
    for numbers, lies within ``tolerance`` times the training range of it. When several synthetic rows
    tie as nearest, the attacker picks one at random: the target's success is the share of tied rows
    whose secret is right.

    Secrets: ``secrets`` if given, else the ``target`` column passed to ``compute``, else the first
    ``max_secrets`` categorical columns in schema order (numeric ones if there are none). Targets: up to
    ``max_targets`` training records (attack) and as many holdout records (control), drawn with
    ``random_state``. Per secret, risk = ``(a - c) / (1 - c)`` clipped to [0, 1] with a 95% interval from
    the two Wilson intervals by the delta method (see ``_common.attack_risk``). The score is the mean
    risk over the secrets; its interval is the mean of the secrets' interval ends (as if their errors
    were fully correlated, hence conservative). Per-secret figures are in ``details``; reference 0.

    Parameters
    ----------
    secrets : the secret columns; ``None`` for the default described above.
    max_secrets : cap on the default secrets.
    max_targets : cap on the training (and holdout) targets.
    tolerance : share of the training range within which a numeric guess counts as right.
    """

    key = "privacy.attribute_inference"
    name = "Attribute-inference risk"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "How much better the nearest synthetic row guesses a training record's secret column than a "
        "holdout record's; 0 = no added risk. Mean over the secret columns."
    )

    def __init__(
        self,
        *,
        secrets: Sequence[str] | None = None,
        max_secrets: int = 5,
        max_targets: int | None = 2_000,
        tolerance: float = 0.05,
    ) -> None:
        self.secrets = secrets
        self.max_secrets = max_secrets
        self.max_targets = max_targets
        self.tolerance = tolerance

    def compute(
        self,
        real: pd.DataFrame,
        synthetic: pd.DataFrame,
        schema: TableSchema,
        *,
        holdout: pd.DataFrame | None = None,
        target: str | None = None,
        random_state: int = 0,
        progress: ProgressCallback | None = None,
    ) -> MetricResult:
        specs, skipped, holdout = check_inputs(self.key, real, synthetic, schema, holdout)
        if len(specs) < 2:
            raise InputError(f"{self.key} needs at least 2 judged columns: a secret and what the attacker knows")
        secrets = self._secrets(specs, target)
        rng = check_random_state(random_state)
        n = min(len(real), len(holdout))
        if self.max_targets is not None:
            n = min(n, self.max_targets)
        t_train = real.iloc[np.sort(rng.choice(len(real), size=n, replace=False))]
        t_hold = holdout.iloc[np.sort(rng.choice(len(holdout), size=n, replace=False))]
        # The mixed encoding is column by column, so the distance on "every column but the secret" is the
        # distance on all columns less the secret's block: one large product serves every secret.
        blocks = [encode([real, t_train, t_hold, synthetic], [spec]) for spec in specs]
        full = [np.hstack([b[i] for b in blocks]) for i in range(4)]
        where = {spec.name: j for j, spec in enumerate(specs)}
        judges = [self._judge(secret, real, synthetic) for secret in secrets]
        hits = []
        for i, targets in ((1, t_train), (2, t_hold)):
            truths = [judge(targets, synthetic) for judge in judges]
            own = [(blocks[where[secret.name]][i], blocks[where[secret.name]][3]) for secret in secrets]
            hits.append(_success(full[i], full[3], own, truths))
        per_secret: dict[str, Any] = {}
        risks, lows, highs = [], [], []
        for j, secret in enumerate(secrets):
            r = attack_risk(float(hits[0][:, j].sum()), n, float(hits[1][:, j].sum()), n)
            per_secret[secret.name] = risk_details(r)
            risks.append(r["risk"])
            lows.append(r["ci"][0])
            highs.append(r["ci"][1])
        details = {"secrets": per_secret, "n_targets": n, "tolerance": self.tolerance}
        ci = (float(np.mean(lows)), float(np.mean(highs)))
        return self.result(float(np.mean(risks)), reference=0.0, ci=ci, details=details, not_evaluated=skipped)

    def _secrets(self, specs: list[ColumnSpec], target: str | None) -> list[ColumnSpec]:
        by_name = {s.name: s for s in specs}
        if self.secrets is not None:
            unknown = sorted(set(self.secrets) - set(by_name))
            if unknown or not self.secrets:
                raise ParameterError(
                    f"{self.key}: secrets {unknown or '[]'} are not judged columns; choose from {sorted(by_name)}"
                )
            return [by_name[c] for c in self.secrets]
        if target is not None:
            if target not in by_name:
                raise ParameterError(
                    f"{self.key}: target {target!r} is not a judged column; choose from {sorted(by_name)}"
                )
            return [by_name[target]]
        categorical = [s for s in specs if not is_continuous(s)]
        return (categorical or list(specs))[: self.max_secrets]

    def _judge(self, secret: ColumnSpec, real: pd.DataFrame, synthetic: pd.DataFrame) -> Any:
        """A function (targets, synthetic) -> boolean matrix: is synthetic row j's secret right for target i."""
        if is_continuous(secret):
            base = as_numbers(real[secret.name], secret).to_numpy(dtype=float)
            finite = base[np.isfinite(base)]
            span = float(finite.max() - finite.min()) if len(finite) else 0.0
            tol = self.tolerance * span

            def numeric(t: pd.DataFrame, syn: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float]:
                a = as_numbers(t[secret.name], secret).to_numpy(dtype=float)
                b = as_numbers(syn[secret.name], secret).to_numpy(dtype=float)
                return a, b, tol

            return numeric

        def labels(t: pd.DataFrame, syn: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, None]:
            joined = pd.concat([as_labels(t[secret.name]), as_labels(syn[secret.name])], ignore_index=True)
            codes, _ = pd.factorize(joined)
            return codes[: len(t)], codes[len(t) :], None

        return labels


def _success(
    query: np.ndarray,
    syn: np.ndarray,
    own: list[tuple[np.ndarray, np.ndarray]],
    truths: list[tuple[np.ndarray, np.ndarray, Any]],
    budget: int = 8_000_000,
) -> np.ndarray:
    """Per target and secret, the share of the nearest synthetic rows (on the other columns) that guess right.

    ``own[j]`` holds the secret's encoded block for the targets and the synthetic rows; its contribution
    is taken out of the all-column squared distance. ``|q|^2`` is left out (constant along a row).
    """
    out = np.zeros((len(query), len(own)))
    syn_m2t = np.ascontiguousarray(-2.0 * syn.T)
    syn_sq = np.einsum("ij,ij->i", syn, syn)
    own_t = [(q, np.ascontiguousarray(-2.0 * s.T), np.einsum("ij,ij->i", s, s)) for q, s in own]
    step = max(16, budget // max(len(syn), 1))
    for start in range(0, len(query), step):
        rows = slice(start, start + step)
        g_all = query[rows] @ syn_m2t
        g_all += syn_sq[None, :]
        for j, ((q_own, s_m2t, s_sq), (truth, guess, tol)) in enumerate(zip(own_t, truths, strict=True)):
            g = q_own[rows] @ s_m2t
            g += s_sq[None, :]
            np.subtract(g_all, g, out=g)
            r_idx, c_idx = np.nonzero(g <= (g.min(axis=1) + SQ_TIE_TOL)[:, None])
            t, y = truth[rows][r_idx], guess[c_idx]
            right = (y == t) if tol is None else (np.abs(y - t) <= tol) | (np.isnan(y) & np.isnan(t))
            n_rows = g.shape[0]
            ties = np.bincount(r_idx, minlength=n_rows)
            out[rows, j] = np.bincount(r_idx, weights=right.astype(float), minlength=n_rows) / ties
    return out
