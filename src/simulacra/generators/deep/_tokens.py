"""Every model column as one discrete token, for the autoregressive generator (numpy only, no torch).

- **Discrete** model columns (categories, null indicators, ...): one token per code. Codes seen in fewer
  than ``rare_count`` training rows are *rare*: they share one protected token, decoded to one of the rare
  codes drawn by their training counts, so the network never learns the context of an individual rare
  value. When all rare codes together have fewer than ``rare_count`` rows they go to the most frequent
  token instead and are never generated.
- **Continuous** model columns: quantile bins (at most ``max_bins``, each with at least ``rare_count``
  rows; a value that fills half a bin or more, such as the zeros of a zero-inflated column, gets a bin of
  its own). Within its bin a token decodes to a *common* value (one held by at least ``rare_count``
  training rows: round amounts, ages, counts) at that value's rate in the bin, otherwise by inverse-CDF
  interpolation through ``_FINE`` + 1 quantiles of the bin's other values, so values held by fewer than
  ``rare_count`` rows are never replayed, only spread smoothly within the bin. The extremes too
  (``protect_extremes``, the default): before binning, the ``rare_count - 1`` smallest and largest values
  are pulled in to the ``rare_count``-th smallest / largest, which are then common values, so the output
  never goes beyond what ``rare_count`` training rows reach (an outlier identifies its person). Without
  it, the column's own minimum and maximum come back at their training rate within the first and last
  bin (interpolation alone almost never reaches them).

>>> tok = Tokenizer(max_bins=128, rare_count=5).fit(data, columns)
>>> tokens = tok.encode(data)          # int64 (n, columns)
>>> back = tok.decode(tokens, rng)     # model columns again
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ...transformers.base import ModelColumn

__all__ = ["Tokenizer"]

_FINE = 16  # within-bin quantile segments used to decode a continuous token
_ROWS_PER_BIN = 40  # small tables get fewer, better-trained bins


class Tokenizer:
    """Map model columns to tokens and back."""

    def __init__(self, max_bins: int = 128, rare_count: int = 5, protect_extremes: bool = True) -> None:
        self.max_bins = max_bins
        self.rare_count = rare_count
        self.protect_extremes = protect_extremes

    # -- fit ----------------------------------------------------------------------------------
    def fit(self, data: Mapping[str, np.ndarray], columns: list[ModelColumn]) -> Tokenizer:
        self.columns = columns
        self.states: list[dict[str, np.ndarray]] = []
        for col in columns:
            x = np.asarray(data[col.name])
            if col.is_discrete:
                self.states.append(self._fit_discrete(x.astype(np.int64), max(col.n_categories, 1)))
            else:
                self.states.append(self._fit_continuous(x.astype(float)))
        return self

    def _fit_discrete(self, codes: np.ndarray, k: int) -> dict[str, np.ndarray]:
        counts = np.bincount(codes, minlength=k)[:k].astype(np.int64)
        common = np.flatnonzero(counts >= self.rare_count)
        if len(common) == 0:  # a tiny table: every code is rare; keep the codes that occur
            common = np.flatnonzero(counts > 0) if counts.any() else np.array([0])
        rare = np.setdiff1d(np.arange(k), common)
        code_to_token = np.zeros(k, dtype=np.int64)
        code_to_token[common] = np.arange(len(common))
        rare_weight = counts[rare].astype(float)
        if len(rare) and rare_weight.sum() >= self.rare_count:
            code_to_token[rare] = len(common)  # the protected rare token
            token_codes = np.append(common, -1)
        else:  # too few rare rows to hide among: they become the most frequent code
            code_to_token[rare] = code_to_token[common[np.argmax(counts[common])]]
            token_codes = common
            rare, rare_weight = rare[:0], rare_weight[:0]
        return {
            "code_to_token": code_to_token,
            "token_codes": token_codes.astype(np.int64),
            "rare_codes": rare.astype(np.int64),
            "rare_p": rare_weight / rare_weight.sum() if rare_weight.sum() > 0 else rare_weight,
        }

    def _fit_continuous(self, x: np.ndarray) -> dict[str, np.ndarray]:
        n = len(x)
        k = self.rare_count
        if self.protect_extremes and n >= 4 * k:
            # the k-1 smallest and largest values are one person's each: they are pulled in to the k-th
            # smallest / largest value, which then is held by k rows (a common value like any other)
            ordered = np.sort(x)
            x = np.clip(x, ordered[k - 1], ordered[n - k])
        bins = max(1, min(self.max_bins, n // _ROWS_PER_BIN))
        edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1])) if bins > 1 else np.zeros(0)
        if bins > 1:
            # a value that fills half a bin or more (the zeros of a zero-inflated column) gets a bin of its
            # own, so its spike decodes exactly instead of smearing into its neighbours
            values, counts = np.unique(x, return_counts=True)
            spikes = np.flatnonzero(counts >= 0.5 * n / bins)
            extra = np.concatenate([values[spikes], values[np.minimum(spikes + 1, len(values) - 1)]])
            edges = np.unique(np.concatenate([edges, extra[extra > values[0]]]))
        edges = _merge_small(np.sort(x), edges, self.rare_count)
        nb = len(edges) + 1
        token = np.searchsorted(edges, x, side="right")
        # common values (at least rare_count rows: round amounts, ages, counts) decode to themselves at their
        # rate within the bin; the other values of a bin by interpolation through their own quantiles
        values, counts = np.unique(x, return_counts=True)
        common = counts >= self.rare_count
        atoms, atom_counts = values[common], counts[common].astype(float)
        atom_token = np.searchsorted(edges, atoms, side="right")
        bin_rows = np.bincount(token, minlength=nb).astype(float)
        atom_rows = np.bincount(atom_token, weights=atom_counts, minlength=nb)
        rest = ~np.isin(x, atoms)
        table = np.zeros((nb, _FINE + 1))
        ends = np.zeros(2)  # chance that a first-bin / last-bin value is the column's minimum / maximum itself
        for b in range(nb):
            inside = x[(token == b) & rest]
            if len(inside):
                table[b] = np.quantile(inside, np.linspace(0, 1, _FINE + 1))
                if b == 0 and not self.protect_extremes:
                    ends[0] = np.count_nonzero(inside == table[b, 0]) / len(inside)
                if b == nb - 1 and not self.protect_extremes:
                    ends[1] = np.count_nonzero(inside == table[b, -1]) / len(inside)
        return {
            "ends": ends,
            "edges": edges,
            "table": table,
            "atoms": atoms,
            "atom_cum": np.cumsum(atom_counts),
            "atom_start": np.searchsorted(atom_token, np.arange(nb), side="left"),
            "atom_share": np.divide(atom_rows, bin_rows, out=np.zeros(nb), where=bin_rows > 0),
        }

    # -- sizes --------------------------------------------------------------------------------
    @property
    def cardinalities(self) -> list[int]:
        return [
            len(s["token_codes"]) if c.is_discrete else len(s["edges"]) + 1
            for c, s in zip(self.columns, self.states, strict=True)
        ]

    # -- encode / decode ----------------------------------------------------------------------
    def encode_column(self, j: int, values: np.ndarray) -> np.ndarray:
        state = self.states[j]
        if self.columns[j].is_discrete:
            codes = np.clip(np.asarray(values).astype(np.int64), 0, len(state["code_to_token"]) - 1)
            return np.asarray(state["code_to_token"][codes], dtype=np.int64)
        return np.searchsorted(state["edges"], np.asarray(values, dtype=float), side="right").astype(np.int64)

    def encode(self, data: Mapping[str, np.ndarray]) -> np.ndarray:
        """(rows, columns) int64 tokens of model columns ``data``."""
        return np.stack([self.encode_column(j, data[c.name]) for j, c in enumerate(self.columns)], axis=1)

    def decode_column(self, j: int, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        state = self.states[j]
        if self.columns[j].is_discrete:
            codes = state["token_codes"][tokens].copy()
            rare = codes < 0
            if rare.any():
                codes[rare] = rng.choice(state["rare_codes"], size=int(rare.sum()), p=state["rare_p"])
            return np.asarray(codes, dtype=np.int64)
        table = state["table"][tokens]
        u = rng.random(len(tokens)) * _FINE
        k = np.minimum(u.astype(np.int64), _FINE - 1)
        rows = np.arange(len(tokens))
        lo, hi = table[rows, k], table[rows, k + 1]
        out = lo + (u - k) * (hi - lo)
        ends = state.get("ends")
        if ends is not None:  # the extremes come back at their training rate (models saved before: never)
            last = len(state["table"]) - 1
            table_all = state["table"]
            for b, p, value in ((0, ends[0], table_all[0, 0]), (last, ends[1], table_all[-1, -1])):
                at = np.flatnonzero(tokens == b)
                if p > 0 and len(at):
                    out[at[rng.random(len(at)) < p]] = value
        pick = rng.random(len(tokens)) < state["atom_share"][tokens]
        if pick.any():
            # an atom of the bin, by its training count: cumulative counts between the bin's first and last atom
            cum = state["atom_cum"]
            start = state["atom_start"][tokens[pick]]
            end = np.append(state["atom_start"][1:], len(cum))[tokens[pick]]
            base = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
            r = base + rng.random(int(pick.sum())) * (cum[np.maximum(end - 1, 0)] - base)
            idx = np.clip(np.searchsorted(cum, r, side="right"), start, np.maximum(end - 1, start))
            out[pick] = state["atoms"][idx]
        return np.asarray(out, dtype=float)

    def decode(self, tokens: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {c.name: self.decode_column(j, tokens[:, j], rng) for j, c in enumerate(self.columns)}

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "max_bins": self.max_bins,
            "rare_count": self.rare_count,
            "protect_extremes": self.protect_extremes,
            "columns": {c.name: dict(s) for c, s in zip(self.columns, self.states, strict=True)},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], columns: list[ModelColumn]) -> Tokenizer:
        tok = cls(
            max_bins=int(state["max_bins"]),
            rare_count=int(state["rare_count"]),
            protect_extremes=bool(state.get("protect_extremes", False)),  # models saved before it: off
        )
        tok.columns = columns
        tok.states = [{k: np.asarray(v) for k, v in state["columns"][c.name].items()} for c in columns]
        return tok


def _merge_small(sorted_x: np.ndarray, edges: np.ndarray, min_rows: int) -> np.ndarray:
    """Drop edges until every bin holds at least ``min_rows`` values (the smallest bin joins a neighbour)."""
    edges = np.asarray(edges, dtype=float)
    while len(edges):
        bounds = np.searchsorted(sorted_x, edges, side="left")
        counts = np.diff(np.concatenate([[0], bounds, [len(sorted_x)]]))
        b = int(np.argmin(counts))
        if counts[b] >= min_rows:
            break
        # merge bin b with a neighbour by removing the edge between them: rather one that holds several values
        # than a spike's own bin (that would smear the spike), else the smaller one
        if b == 0:
            drop = 0
        elif b == len(counts) - 1:
            drop = b - 1
        else:
            lo = np.concatenate([[-np.inf], edges])
            pure = [_single_value(sorted_x, lo[i], lo[i + 1] if i + 1 < len(lo) else np.inf) for i in (b - 1, b + 1)]
            left = pure[1] if pure[0] != pure[1] else counts[b - 1] <= counts[b + 1]
            drop = b - 1 if left else b
        edges = np.delete(edges, drop)
    return edges


def _single_value(sorted_x: np.ndarray, lo: float, hi: float) -> bool:
    """Whether the values in [lo, hi) are all one value."""
    a, b = np.searchsorted(sorted_x, [lo, hi], side="left")
    return bool(b > a and sorted_x[a] == sorted_x[b - 1])
