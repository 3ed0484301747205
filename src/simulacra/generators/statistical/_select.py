"""The MST and AIM algorithms on integer code matrices, every release charged to the privacy ledger.

MST (McKenna, Miklau & Sheldon 2021), budget ``rho`` split in three equal parts:
  1. measure every 1-way marginal with Gaussian noise (each histogram has L2 sensitivity 1 under
     add/remove-one; ``d`` of them share ``rho/3``: ``sigma = sqrt(d / (2 rho/3))``);
     values whose noisy count is below ``3 sigma`` are merged into one cell (domain compression);
  2. pick ``d - 1`` pairs forming a maximum spanning tree, one exponential-mechanism step per edge
     (score: L1 distance between the pair's true counts and the independence model fitted on step 1;
     one record moves a score by at most 1, so the score sensitivity is 1; ``rho/3`` over ``d - 1`` steps);
  3. measure the chosen pairs (``rho/3`` over ``d - 1`` histograms), fit the graphical model.

AIM (McKenna, Mullins, Sheldon & Miklau 2022), adaptive and workload-aware. Every 1-way marginal is
  measured first with ``init_share`` (10 %) of the budget (AIM's paper spends what ``d`` of its ``16 d``
  rounds would, 5.6 %); the rest is planned over ``rounds`` rounds. Each round spends ``10 %`` of its
  budget on choosing the worst-approximated candidate
  marginal by the exponential mechanism (score ``w_c (|x_c - model_c|_1 - sqrt(2/pi) sigma n_c)``,
  sensitivity ``max w_c``), ``90 %`` on measuring it; when a measurement barely moved the model, the
  noise is halved for later rounds (AIM's annealing); the last round spends whatever is left. Candidates
  are the workload's marginals and their subsets, limited so the model's junction tree stays under
  ``max_model_size`` cells times the share of the budget spent (AIM's size filter).

  Our one change for speed: ``per_round`` selections (each charged as its own round) may share one model
  re-estimation; every re-estimation of a new model structure costs a JAX compilation of several seconds,
  which dominates AIM's time. The annealing test then sums the batch's changes and expected noise.
  Candidate scores read the model's marginals exactly where one junction-tree clique holds the candidate,
  else from rows sampled from the model (model only, no data: no budget).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from ...privacy import PrivacyLedger, exponential_mechanism, gaussian_sigma
from ._counts import Clique, MarginalCounts
from ._pgm import JunctionModel, Measurement, estimate

__all__ = ["aim", "compress_one_way", "mst"]

Tick = Callable[[str], None]


def _measure(
    x: np.ndarray,
    clique: Clique,
    rho: float,
    ledger: PrivacyLedger,
    rng: np.random.Generator,
    label: str,
    stage: str,
) -> Measurement:
    """Gaussian histogram of one marginal's exact counts ``x`` (L2 sensitivity 1) charged at ``rho``."""
    sigma = gaussian_sigma(rho, 1.0)
    ledger.charge(label, mechanism="gaussian", rho=rho, sensitivity=1.0, noise_scale=sigma, stage=stage)
    return Measurement(clique, x + rng.normal(0.0, sigma, size=x.size), sigma)


def compress_one_way(y: np.ndarray, sigma: float) -> np.ndarray:
    """MST's domain compression: codes whose noisy count is below ``3 sigma`` share one merged code.

    Returns ``mapping`` (original code -> compressed code); the merged code, if any, is the last.
    Uses only the noisy (already private) counts.
    """
    keep = y >= 3.0 * sigma
    if keep.all() or (keep.sum() == 0 and y.size == 1):
        return np.arange(y.size)
    mapping = np.empty(y.size, dtype=np.int64)
    mapping[keep] = np.arange(int(keep.sum()))
    mapping[~keep] = int(keep.sum())
    return mapping


def _compressed_measurement(m: Measurement, mapping: np.ndarray) -> Measurement:
    k = int(mapping.max()) + 1
    merged = np.bincount(mapping, minlength=k)
    y = np.bincount(mapping, weights=m.y, minlength=k)
    w = 1.0 / np.sqrt(merged.astype(float))
    return Measurement(m.clique, y * w, m.sigma, None if np.all(merged == 1) else w)


def mst(
    counts: MarginalCounts,
    sizes: Sequence[int],
    ledger: PrivacyLedger,
    rng: np.random.Generator,
    *,
    rho: float,
    iters: int,
    tick: Tick,
) -> tuple[JunctionModel, list[np.ndarray]]:
    """Fit MST from exact marginal ``counts`` (two requests: the 1-way marginals, then every pair after
    compression); returns the model over compressed codes and each column's compression mapping."""
    d = len(sizes)
    third = rho / 3.0
    exact = counts([(j,) for j in range(d)], sizes)
    one_way = [
        _measure(exact[j], (j,), third / d, ledger, rng, f"1-way marginal {j}", "1-way marginals") for j in range(d)
    ]
    tick("measured 1-way marginals")
    mappings = [compress_one_way(m.y, m.sigma) for m in one_way]
    csizes = [int(mp.max()) + 1 for mp in mappings]
    measurements = [_compressed_measurement(m, mappings[j]) for j, m in enumerate(one_way)]
    if d >= 2:
        # independence model from the noisy 1-way counts (clipped, scaled to a common total)
        probs = []
        for j, m in enumerate(measurements):
            w = m.weights if m.weights is not None else np.ones(csizes[j])
            p = np.maximum(m.y / w, 0.0)
            probs.append(p / p.sum() if p.sum() > 0 else np.full(csizes[j], 1.0 / csizes[j]))
        total = max(1.0, float(np.median([np.sum(np.maximum(m.y, 0)) for m in one_way])))
        pairs = list(itertools.combinations(range(d), 2))
        pair_counts = dict(zip(pairs, counts(pairs, csizes, mappings), strict=True))
        scores = {}
        for a, b in pairs:
            x = pair_counts[(a, b)]
            xhat = total * np.outer(probs[a], probs[b]).ravel()
            scores[(a, b)] = float(np.abs(x - xhat).sum())
        tick("scored pairs")
        parent = list(range(d))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        chosen: list[Clique] = []
        rho_step = third / (d - 1)
        for step in range(d - 1):
            cands = [e for e in pairs if find(e[0]) != find(e[1])]
            pick = exponential_mechanism(
                np.array([scores[e] for e in cands]),
                sensitivity=1.0,
                rho=rho_step,
                ledger=ledger,
                label=f"tree edge {step + 1}",
                rng=rng,
                stage="selection",
            )
            a, b = cands[pick]
            parent[find(a)] = find(b)
            chosen.append((a, b))
        tick("selected tree")
        for a, b in chosen:
            measurements.append(
                _measure(
                    pair_counts[(a, b)],
                    (a, b),
                    third / (d - 1),
                    ledger,
                    rng,
                    f"2-way marginal {a},{b}",
                    "2-way marginals",
                )
            )
        tick("measured 2-way marginals")
    else:
        # one column: the rest of the budget measures its marginal once more
        x = np.bincount(mappings[0], weights=exact[0], minlength=csizes[0]) if d else np.zeros(1)
        measurements.append(_measure(x, (0,), 2 * third, ledger, rng, "1-way marginal 0 (again)", "1-way marginals"))
    model = estimate(csizes, measurements, iters=iters)
    tick("estimated model")
    return JunctionModel.from_mbi(model, csizes), mappings


def junction_cells(sizes: Sequence[int], cliques: Sequence[Clique]) -> float:
    """Cells in a junction tree of ``cliques`` (AIM's model size, counted in cells), by greedy elimination.

    Each step eliminates the column whose neighbourhood clique is smallest; the cliques formed are those
    of a triangulation. Only the model's structure is read (never the data), so AIM's size filter
    costs no budget; it is a pure-Python bitmask version of what ``mbi`` builds, fast enough to run for
    every candidate in every round.
    """
    d = len(sizes)
    nbr = [0] * d
    for c in cliques:
        mask = 0
        for j in c:
            mask |= 1 << j
        for j in c:
            nbr[j] |= mask & ~(1 << j)
    alive = (1 << d) - 1
    formed: list[int] = []

    def cells(mask: int) -> float:
        out = 1.0
        j = 0
        while mask:
            if mask & 1:
                out *= sizes[j]
            mask >>= 1
            j += 1
        return out

    for _ in range(d):
        best, best_cost = -1, math.inf
        m = alive
        while m:
            low = m & -m
            v = low.bit_length() - 1
            m ^= low
            cost = cells((nbr[v] & alive) | low)
            if cost < best_cost:
                best, best_cost = v, cost
        clique = (nbr[best] & alive) | (1 << best)
        formed.append(clique)
        for u in range(d):
            if clique >> u & 1 and u != best:
                nbr[u] |= clique & ~(1 << u)
        alive &= ~(1 << best)
    maximal = [c for c in formed if not any(c != o and c & o == c for o in formed)]
    return float(sum(cells(c) for c in set(maximal)))


def aim(
    counts: MarginalCounts,
    sizes: Sequence[int],
    ledger: PrivacyLedger,
    rng: np.random.Generator,
    *,
    rho: float,
    workload: Sequence[Clique],
    rounds: int,
    max_model_cells: float,
    max_cells: int,
    iters: int,
    final_iters: int,
    tick: Tick,
    per_round: int = 1,
    init_share: float = 0.1,
    compress: bool = True,
    probe_rows: int = 50_000,
) -> tuple[JunctionModel, list[np.ndarray] | None]:
    """Fit AIM over ``workload`` (cliques of column indices); see the module docstring."""
    d = len(sizes)
    # candidates: the workload's marginals and their subsets, weighted by overlap with the workload
    weights: dict[Clique, float] = {}
    for w in workload:
        for r in range(1, len(w) + 1):
            for sub in itertools.combinations(sorted(w), r):
                weights.setdefault(sub, 0.0)
    wmat = np.zeros((len(workload), d))
    for i, w in enumerate(workload):
        wmat[i, list(w)] = 1.0
    per_column = wmat.sum(axis=0)  # |c & w| summed over the workload = sum over c's columns of their counts
    for c in weights:
        weights[c] = float(per_column[list(c)].sum())
    # 1-way marginals first, with ``init_share`` of the budget; the rest over ``rounds`` adaptive rounds
    rho_init = init_share * rho
    exact = counts([(j,) for j in range(d)], sizes)
    one_way = [
        _measure(exact[j], (j,), rho_init / d, ledger, rng, f"1-way marginal {j}", "1-way marginals") for j in range(d)
    ]
    mappings: list[np.ndarray] | None = None
    if compress:  # MST's domain compression from the noisy 1-way counts (post-processing: no budget)
        mappings = [compress_one_way(m.y, m.sigma) for m in one_way]
        sizes = [int(mp.max()) + 1 for mp in mappings]
        measurements = [_compressed_measurement(m, mappings[j]) for j, m in enumerate(one_way)]
    else:
        measurements = list(one_way)
    cands = [c for c in weights if math.prod(sizes[j] for j in c) <= max_cells]
    answers = dict(zip(cands, counts(cands, sizes, mappings), strict=True))
    rho_used = rho_init
    rho_round = (rho - rho_init) / rounds
    sigma = math.sqrt(1 / (2 * 0.9 * rho_round))
    eps = math.sqrt(8 * 0.1 * rho_round)
    model = estimate(sizes, measurements, iters=iters)
    tick("measured 1-way marginals")
    jm = JunctionModel.from_mbi(model, sizes)
    in_model: set[Clique] = {(j,) for j in range(d)}
    t = 0
    terminate = False
    while not terminate:
        probe = _Probe(jm, probe_rows, rng)
        batch: list[tuple[Clique, np.ndarray]] = []
        for _ in range(per_round):
            left = rho - rho_used
            if left <= rho * 1e-9:
                terminate = True
                break
            if left < 2 * (0.5 / sigma**2 + eps**2 / 8):
                # the last selection spends whatever is left
                sigma = math.sqrt(1 / (2 * 0.9 * left))
                eps = math.sqrt(8 * 0.1 * left)
                terminate = True
            t += 1
            rho_used += eps**2 / 8 + 0.5 / sigma**2
            limit = max_model_cells * rho_used / rho
            measured = sorted(in_model)
            taken = {c for c, _ in batch}
            small = [
                c
                for c in cands
                if c not in taken
                and (any(set(c) <= set(m) for m in jm.cliques) or junction_cells(sizes, [*measured, c]) <= limit)
            ]
            if not small:  # a tiny table: every candidate already taken in this batch
                rho_used -= eps**2 / 8 + 0.5 / sigma**2
                t -= 1
                terminate = False  # what is left goes to the next round
                break
            scores = []
            for c in small:
                bias = math.sqrt(2 / math.pi) * sigma * answers[c].size
                scores.append(weights[c] * (float(np.abs(answers[c] - probe.counts(c)).sum()) - bias))
            pick = exponential_mechanism(
                np.array(scores), sensitivity=max(weights[c] for c in small), rho=eps**2 / 8, ledger=ledger,
                label=f"round {t}: select", rng=rng, stage="selection",
            )  # fmt: skip
            c = small[pick]
            batch.append((c, probe.counts(c)))
            measurements.append(
                _measure(answers[c], c, 0.5 / sigma**2, ledger, rng, f"round {t}: measure {list(c)}", "measurements")
            )
            in_model.add(c)
            if terminate:
                break
        if not batch:
            break
        model = estimate(sizes, measurements, iters=iters, warm_start=model)
        jm = JunctionModel.from_mbi(model, sizes)
        after = _Probe(jm, probe_rows, rng)
        moved = sum(float(np.abs(after.counts(c) - before).sum()) for c, before in batch)
        expected = sum(sigma * math.sqrt(2 / math.pi) * answers[c].size for c, _ in batch)
        if moved <= expected:  # AIM's annealing: the measurements barely moved the model
            sigma /= 2
            eps *= 2
        tick(f"round {t}")
    model = estimate(sizes, measurements, iters=final_iters, warm_start=model)
    tick("estimated model")
    return JunctionModel.from_mbi(model, sizes), mappings


class _Probe:
    """The model's counts over any clique: exact from the junction tree when one maximal clique holds it,
    else estimated from ``rows`` rows sampled from the model (scaled to the model's total). Reads only the
    model, never the data, so it costs no budget."""

    def __init__(self, jm: JunctionModel, rows: int, rng: np.random.Generator) -> None:
        self.jm = jm
        self.rows = rows
        self.rng = rng
        self._cols: list[np.ndarray] | None = None

    def counts(self, clique: Clique) -> np.ndarray:
        table = self.jm.project(clique)
        if table is not None:
            return np.asarray(table, dtype=np.float64).ravel()
        if self._cols is None:
            sample = self.jm.sample(self.rows, self.rng)
            self._cols = [np.ascontiguousarray(sample[:, j]) for j in range(sample.shape[1])]
        sizes = self.jm.sizes
        idx = self._cols[clique[0]].copy()
        for j in clique[1:]:
            idx *= sizes[j]
            idx += self._cols[j]
        n_cells = math.prod(sizes[j] for j in clique)
        return np.bincount(idx, minlength=n_cells).astype(np.float64) * (self.jm.total / self.rows)
