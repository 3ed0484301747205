"""Membership inference: can an attacker who holds the synthetic table tell training records from others?"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from ..._random import check_random_state
from ...errors import InputError
from ...progress import ProgressCallback
from ...schema import TableSchema
from ..base import Goal, Metric, MetricResult
from ._common import Z95, check_inputs, encode, nearest, subsample

__all__ = ["MembershipInference"]

EPS = 1e-6
"""Added to distances before taking logs, so that a record found verbatim (distance 0) scores finitely."""


def hanley_mcneil(auc: float, n_pos: int, n_neg: int) -> tuple[float, float]:
    """95% interval of a ROC AUC from Hanley & McNeil (Radiology, 1982)."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    se = math.sqrt(max(var, 0.0))
    return max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se)


class MembershipInference(Metric):
    """ROC AUC of a density-ratio membership attack in the spirit of DOMIAS.

    DOMIAS (van Breugel, Sun, Qian & van der Schaar, "Membership Inference Attacks against Synthetic Data
    through Overfitting Detection", AISTATS 2023) scores a candidate record ``x`` by the ratio of the
    synthetic data's density to the population's density at ``x``: a generator that overfits puts extra
    mass on its training records. Here both densities are 1-nearest-neighbour estimates on the mixed
    encoding (``p(x) ∝ 1 / (n r(x)^D)``, with ``r`` the distance to the nearest row), so the ratio is a
    monotone function of ``log(r_reference(x) + ε) - log(r_synthetic(x) + ε)``, which is the attack score
    (the dimension ``D`` and the sizes only rescale or shift it and leave the AUC unchanged).

    Candidates: ``m`` members drawn from the training table and ``m`` non-members drawn from the holdout,
    with ``m = min(|train|, |holdout| // 2, max_records)``; the rest of the holdout, disjoint from those
    non-members, is the attacker's reference sample of the population. Score = ROC AUC of the attack
    score for members vs non-members (0.5: no leak; 1: every member recognised), 95% interval by Hanley
    & McNeil; reference 0.5. ``details`` also gives the AUC of the plain distance attack (score = minus
    the distance to the closest synthetic row) and the attacker's advantage ``2 AUC - 1``.

    Parameters
    ----------
    max_records : cap on the members (= non-members) scored.
    max_synthetic : cap on the synthetic rows searched, subsampled with ``random_state``.
    """

    key = "privacy.membership_inference"
    name = "Membership inference (DOMIAS-style AUC)"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "ROC AUC of an attack that tells training records from holdout records by the synthetic data's "
        "density relative to a reference sample; 0.5 = no membership signal."
    )

    def __init__(self, *, max_records: int | None = 5_000, max_synthetic: int | None = 50_000) -> None:
        self.max_records = max_records
        self.max_synthetic = max_synthetic

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
        if len(holdout) < 2:
            raise InputError(f"{self.key} needs at least 2 holdout rows (non-members and a reference sample)")
        rng = check_random_state(random_state)
        m = min(len(real), len(holdout) // 2)
        if self.max_records is not None:
            m = min(m, self.max_records)
        perm = rng.permutation(len(holdout))
        non_idx, ref_idx = perm[:m], perm[m:]
        mem_idx = rng.choice(len(real), size=m, replace=False)
        syn_idx = subsample(len(synthetic), self.max_synthetic, rng)
        candidates = pd.concat([real.iloc[mem_idx], holdout.iloc[non_idx]], ignore_index=True)
        _, x_cand, x_syn, x_ref = encode([real, candidates, synthetic.iloc[syn_idx], holdout.iloc[ref_idx]], specs)
        r_syn = nearest(x_cand, x_syn)[0][:, 0]
        r_ref = nearest(x_cand, x_ref)[0][:, 0]
        labels = np.r_[np.ones(m), np.zeros(m)]
        score = np.log(r_ref + EPS) - np.log(r_syn + EPS)
        auc = float(roc_auc_score(labels, score))
        auc_dist = float(roc_auc_score(labels, -r_syn))
        details = {
            "attack": "1-NN density ratio synthetic / reference (DOMIAS-style)",
            "n_members": m,
            "n_non_members": m,
            "n_reference": len(ref_idx),
            "n_synthetic_used": len(syn_idx),
            "advantage": 2 * auc - 1,
            "distance_attack_auc": auc_dist,
            "distance_attack_ci": list(hanley_mcneil(auc_dist, m, m)),
            "share_members_found_verbatim": float((r_syn[:m] <= EPS).mean()),
            "share_non_members_found_verbatim": float((r_syn[m:] <= EPS).mean()),
        }
        return self.result(auc, reference=0.5, ci=hanley_mcneil(auc, m, m), details=details, not_evaluated=skipped)
