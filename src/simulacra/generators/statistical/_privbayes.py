"""PrivBayes (Zhang, Cormode, Procopiuc, Srivastava & Xiao, TODS 2017): the network and its noisy conditionals.

Inputs are integer code matrices (``n x d``, column ``j`` in ``0 .. sizes[j]-1``). Neighbouring data sets
differ by adding or removing one record (the ledger's convention). Three private steps, each charged to the
ledger before it looks at the data:

1. **Row count** (for theta-usefulness): Gaussian noise on ``n`` (L2 sensitivity 1).
2. **Network** (share ``beta`` of the rest): the first attribute is drawn uniformly (no data); each later
   attribute and its parent set are chosen by the exponential mechanism over the candidates
   ``(X, Pi)``, ``X`` not yet in the network, ``Pi`` a subset of it of at most ``degree`` attributes whose
   table ``|X| * |Pi|`` is theta-useful (below). The score is the paper's R score on the count scale::

       q(X, Pi) = n * R(X, Pi) = 1/2 * sum_{x, pi} | c(x, pi) - c(x) c(pi) / n |

   (``R`` is the total-variation distance between the joint of ``(X, Pi)`` and the product of its
   marginals; it never decreases when a parent is added, so only the largest useful parent sets compete.)

   *Sensitivity of q (derived here; unit-tested).* Add one record ``z = (x0, pi0)`` to a data set of ``n``
   records, and write ``A = c(x0)``, ``B = c(pi0)``, ``E(x, pi) = c(x) c(pi) / n``. The observed counts
   change in one cell by 1. The expected counts change by
   ``-c(x)c(pi)/(n(n+1))`` off row ``x0`` and column ``pi0`` (total ``(n-A)(n-B)/(n(n+1))``),
   ``c(pi)(n-A)/(n(n+1))`` along row ``x0`` off ``pi0`` (total ``(n-A)(n-B)/(n(n+1))``), the same along
   column ``pi0``, and ``(nA + nB + n - AB)/(n(n+1))`` in cell ``(x0, pi0)``. Their absolute sum is
   ``[3(n-A)(n-B) + nA + nB + n - AB] / (n(n+1))``, decreasing in ``A`` and in ``B``, so at most
   ``(3n+1)/(n+1) < 3``. By the triangle inequality ``|q' - q| <= 1/2 * (1 + 3) = 2``; removal is the same
   step backwards, and for ``n = 0`` both scores are 0. So ``Delta_q = 2`` (:data:`R_SENSITIVITY`), and it is
   tight: adding a record with an unseen ``x`` and an unseen ``pi`` to an independent table moves ``q`` by
   ``2 - O(1/n)``. (The paper's bound ``3/n + 2/n^2`` on ``R`` is for replace-one neighbours with ``n``
   public.) The ``d - 1`` choices split the network budget equally: each costs ``rho_net / (d - 1)``, i.e.
   ``epsilon = sqrt(8 rho)`` in the exponential mechanism (bounded range, Cesar & Rogers 2021).

3. **Conditionals** (the rest): for each attribute, the joint histogram of ``(X, Pi)`` with Gaussian noise
   (or Laplace, ``mechanism="laplace"``). One record changes one cell of each histogram by 1, so each has L1
   and L2 sensitivity 1; the ``d`` histograms split the budget equally: ``sigma = 1 / sqrt(2 rho_cond / d)``
   (Laplace: ``b = 1 / sqrt(2 rho_cond / d)``, charged as pure DP with ``rho = epsilon^2 / 2``). Negative
   counts are clipped to 0 and each parent configuration's row normalised (post-processing: free).

Theta-usefulness (the paper's Sec. 4.3, adapted to Gaussian noise): a table of ``C`` cells is useful when the
average count ``n / C`` is at least ``theta`` noise standard deviations, i.e. ``C <= n_noisy / (theta sigma)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ...privacy import PrivacyLedger
from ...privacy.mechanisms import exponential_mechanism, gaussian_mechanism, gaussian_sigma, laplace_mechanism
from ...progress import NO_PROGRESS, ProgressCallback
from ._counts import MarginalCounts

__all__ = [
    "R_SENSITIVITY",
    "Network",
    "conditional_noise_scale",
    "fit_network",
    "r_score",
    "sample_network",
]

#: L1 sensitivity of the count-scale R score under add/remove-one neighbours (derivation above).
R_SENSITIVITY = 2.0
#: share of the zCDP budget spent on the noisy row count used by theta-usefulness
COUNT_SHARE = 0.02


def _flat(codes: np.ndarray, sizes: Sequence[int], cols: Sequence[int]) -> tuple[np.ndarray, int]:
    """Flattened index of the configuration of ``cols`` per row (0 for an empty set) and the number of configs."""
    if not cols:
        return np.zeros(len(codes), dtype=np.int64), 1
    shape = tuple(int(sizes[j]) for j in cols)
    return np.ravel_multi_index(tuple(codes[:, j] for j in cols), shape).astype(np.int64), int(np.prod(shape))


def joint_counts(codes: np.ndarray, sizes: Sequence[int], child: int, parents: Sequence[int]) -> np.ndarray:
    """Counts of (parent configuration, child value): shape ``(n_configs, sizes[child])``."""
    pidx, n_configs = _flat(codes, sizes, parents)
    flat = pidx * int(sizes[child]) + codes[:, child]
    counts = np.bincount(flat, minlength=n_configs * int(sizes[child]))
    return counts.reshape(n_configs, int(sizes[child])).astype(np.float64)


def r_score(counts: np.ndarray) -> float:
    """``q = 1/2 * sum |c(x, pi) - c(x) c(pi) / n|`` of a (configs x values) count table (0 when empty)."""
    n = float(counts.sum())
    if n <= 0:
        return 0.0
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / n
    return 0.5 * float(np.abs(counts - expected).sum())


def conditional_noise_scale(rho_cond: float, n_attributes: int) -> float:
    """Noise scale of each of the ``n_attributes`` conditional histograms (L2 sensitivity 1 each)."""
    return gaussian_sigma(rho_cond / n_attributes, 1.0)


@dataclass
class Network:
    """The learned Bayesian network: attributes in sampling order, each with its parents and conditional
    table ``cpt[order position]`` of shape ``(n parent configs, size of the attribute)``."""

    sizes: list[int]
    order: list[int]
    parents: list[list[int]]
    cpts: list[np.ndarray] = field(default_factory=list)
    n_noisy: float = 0.0
    max_cells: float = 0.0


def _candidates(
    chosen: Sequence[int], remaining: Sequence[int], sizes: Sequence[int], degree: int, max_cells: float
) -> list[tuple[int, tuple[int, ...]]]:
    """``(X, Pi)`` pairs: for each ``X``, the parent sets of the largest size that keeps the table useful."""
    out: list[tuple[int, tuple[int, ...]]] = []
    for x in remaining:
        for size in range(min(degree, len(chosen)), -1, -1):
            sets = [
                ps
                for ps in itertools.combinations(chosen, size)
                if sizes[x] * math.prod(sizes[j] for j in ps) <= max_cells
            ]
            if sets or size == 0:
                out.extend((x, ps) for ps in (sets or [()]))
                break
    return out


def fit_network(
    counts: MarginalCounts,
    sizes: Sequence[int],
    *,
    ledger: PrivacyLedger,
    rng: np.random.Generator,
    degree: int,
    beta: float,
    theta: float,
    mechanism: str = "gaussian",
    progress: ProgressCallback = NO_PROGRESS,
) -> Network:
    """Learn the network and its noisy conditionals, spending the whole of ``ledger``'s remaining budget.

    The data is read only through ``counts``: the row count, one batch of joint counts per network step
    (the candidates not scored before), and one batch for the conditionals."""
    d = len(sizes)
    sizes = [int(s) for s in sizes]
    if d == 0:
        return Network(sizes=[], order=[], parents=[])
    rho = ledger.remaining_rho
    rho_count = COUNT_SHARE * rho
    rho_net = beta * (rho - rho_count) if d > 1 else 0.0
    rho_cond = rho - rho_count - rho_net
    # 1. noisy row count (theta-usefulness only)
    n_noisy = float(
        gaussian_mechanism(
            np.array([float(counts([(0,)], sizes)[0].sum())]),
            sensitivity=1.0,
            rho=rho_count,
            ledger=ledger,
            label="row count",
            rng=rng,
            stage="row count",
        )[0]
    )
    sigma = conditional_noise_scale(rho_cond, d)
    max_cells = max(1.0, n_noisy / (theta * sigma))
    # 2. network: the first attribute uniformly at random (data-independent), the others by the exponential mechanism
    order = [int(rng.integers(d))]
    parents: list[list[int]] = [[]]
    cache: dict[tuple[int, tuple[int, ...]], float] = {}
    progress.start("privbayes network", d)
    progress.advance("privbayes network")
    for step in range(1, d):
        remaining = [j for j in range(d) if j not in order]
        cands = _candidates(order, remaining, sizes, degree, max_cells)
        keys = [(x, tuple(sorted(ps))) for x, ps in cands]
        new = list(dict.fromkeys(k for k in keys if k not in cache and k[1]))
        for key, table in zip(new, counts([(*ps, x) for x, ps in new], sizes), strict=True):
            cache[key] = r_score(table.reshape(-1, sizes[key[0]]))
        scores = np.array([cache.get(key, 0.0) for key in keys])
        pick = exponential_mechanism(
            scores,
            sensitivity=R_SENSITIVITY,
            rho=rho_net / (d - 1),
            ledger=ledger,
            label=f"network step {step}",
            rng=rng,
            stage="network",
        )
        x, ps = cands[pick]
        order.append(x)
        parents.append(list(ps))
        progress.advance("privbayes network")
    progress.end("privbayes network")
    # 3. noisy conditionals
    net = Network(sizes=sizes, order=order, parents=parents, n_noisy=n_noisy, max_cells=max_cells)
    progress.start("privbayes conditionals", d)
    tables = counts([(*parents[pos], x) for pos, x in enumerate(order)], sizes)
    for pos, x in enumerate(order):
        joint = tables[pos].reshape(-1, sizes[x])
        label = f"conditional {pos + 1}"
        if mechanism == "laplace":
            eps_each = math.sqrt(2.0 * rho_cond / d)
            noisy = laplace_mechanism(
                joint, sensitivity=1.0, epsilon=eps_each, ledger=ledger, label=label, rng=rng, stage="conditionals"
            )
        else:
            noisy = gaussian_mechanism(
                joint, sensitivity=1.0, rho=rho_cond / d, ledger=ledger, label=label, rng=rng, stage="conditionals"
            )
        net.cpts.append(_normalise(noisy))
        progress.advance("privbayes conditionals")
    progress.end("privbayes conditionals")
    return net


def _normalise(noisy: np.ndarray) -> np.ndarray:
    """Rows of a noisy (configs x values) table as distributions; empty rows fall back to the overall marginal."""
    table = np.clip(noisy, 0.0, None)
    marginal = table.sum(axis=0)
    marginal = marginal / marginal.sum() if marginal.sum() > 0 else np.full(table.shape[1], 1.0 / table.shape[1])
    totals = table.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(totals > 0, table / np.where(totals > 0, totals, 1.0), marginal[None, :])
    return out


def sample_network(net: Network, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` rows of codes drawn attribute by attribute in the network's order."""
    codes = np.zeros((n, len(net.sizes)), dtype=np.int64)
    for pos, x in enumerate(net.order):
        pidx, _ = _flat(codes, net.sizes, net.parents[pos])
        cdf = np.cumsum(net.cpts[pos], axis=1)[pidx]
        u = rng.random(n)[:, None] * cdf[:, -1:]
        codes[:, x] = np.minimum((u >= cdf).sum(axis=1), net.sizes[x] - 1)
    return codes
