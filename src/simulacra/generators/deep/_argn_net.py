"""The network of the autoregressive generator: per-column embeddings and one small head per column.

Head ``j`` predicts a softmax over column ``j``'s tokens from the embeddings of the columns that come
before ``j`` in the row's column order; every other column is shown by a learned *absent* embedding of its
own, so the same head serves any order and any set of known columns. All heads run as one batched matmul
(weights stacked (columns, inputs, outputs)).

The output layer is stored padded to the widest vocabulary, but the training loss computes it per *bucket*
of columns with similar vocabularies (widths rounded up to a power of two), so a table with one 128-bin
column and many small categoricals does not pay 128 logits for each (Adult: 456 logits a row, not 1,920).

Which columns head ``j`` may see is a boolean ``known`` tensor (targets, rows, columns): with a rank per row
and column (the position in that row's order), ``known[j, b, i] = rank[b, i] < rank[b, j]``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import qmc

from ._torch import nn, torch

__all__ = ["ARGNNet", "known_from_ranks", "sample_tokens"]


class ARGNNet(nn.Module):
    offsets: torch.Tensor

    def __init__(self, cardinalities: list[int], embedding_dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        c, e, h = len(cardinalities), int(embedding_dim), int(hidden)
        k = max(cardinalities)
        self.n_columns = c
        self.cardinalities = [int(v) for v in cardinalities]
        offsets = np.concatenate([[0], np.cumsum(cardinalities)[:-1]]).astype(np.int64)
        self.register_buffer("offsets", torch.from_numpy(offsets), persistent=False)
        self.embed = nn.Embedding(int(sum(cardinalities)), e)
        nn.init.normal_(self.embed.weight, std=0.5)
        self.absent = nn.Parameter(torch.zeros(c, e))
        self.w1 = nn.Parameter(_uniform((c, c * e, h), c * e))
        self.b1 = nn.Parameter(torch.zeros(c, 1, h))
        self.w2 = nn.Parameter(_uniform((c, h, h), h))
        self.b2 = nn.Parameter(torch.zeros(c, 1, h))
        self.w3 = nn.Parameter(_uniform((c, h, k), h))
        self.b3 = nn.Parameter(torch.zeros(c, 1, k))
        # dropout keeps a unit when a random byte is >= threshold: p in steps of 1/256, and one 64-bit draw
        # makes 8 masks (torch's bernoulli_ draws one number per unit: a fifth of a training step here)
        self.threshold = round(float(dropout) * 256)
        self.scale = 256.0 / (256 - self.threshold)
        # buckets of target columns for the loss: vocabulary widths rounded up to a power of two (at least 8)
        padded = [min(k, max(8, 1 << (int(v) - 1).bit_length())) for v in cardinalities]
        self.buckets: list[tuple[str, str, int]] = []
        for b, w in enumerate(sorted(set(padded))):
            cols = [j for j in range(c) if padded[j] == w]
            invalid = np.arange(w)[None, :] >= np.asarray([cardinalities[j] for j in cols])[:, None]
            self.register_buffer(f"bucket{b}", torch.tensor(cols, dtype=torch.long), persistent=False)
            self.register_buffer(f"invalid{b}", torch.from_numpy(invalid[:, None, :]), persistent=False)
            self.buckets.append((f"bucket{b}", f"invalid{b}", w))

    def hidden(self, tokens: torch.Tensor, known: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor:
        """(targets, rows, hidden) last hidden layer of each target column's head (``None``: every column)."""
        emb = self.embed(tokens + self.offsets)  # (rows, columns, e)
        x = torch.where(known.unsqueeze(-1), emb.unsqueeze(0), self.absent[None, None])
        x = x.reshape(len(known), tokens.shape[0], -1)
        w1: torch.Tensor = self.w1
        b1: torch.Tensor = self.b1
        w2: torch.Tensor = self.w2
        b2: torch.Tensor = self.b2
        if targets is not None:  # a subset: gather its heads' weights (all heads use the weights as they are)
            w1, b1, w2, b2 = w1[targets], b1[targets], w2[targets], b2[targets]
        x = self._dropout(torch.relu(torch.baddbmm(b1, x, w1)))
        return self._dropout(torch.relu(torch.baddbmm(b2, x, w2)))

    def _dropout(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.threshold == 0:
            return x
        n = x.numel()
        words = torch.randint(-(2**63), 2**63 - 1, ((n + 7) // 8,), dtype=torch.int64, device=x.device)
        keep = words.view(torch.uint8)[:n].view(x.shape) >= self.threshold
        return x * keep.to(x.dtype).mul_(self.scale)

    def forward(self, tokens: torch.Tensor, known: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """(targets, rows, width) logits of each target column's tokens, padding at -inf.

        ``width`` is the widest vocabulary among ``targets``. ``tokens``: (rows, columns) token ids (unknown
        entries may hold anything valid, e.g. 0); ``known``: (targets, rows, columns) which columns each
        target may see; ``targets``: column indices.
        """
        h = self.hidden(tokens, known, targets)
        cards = torch.as_tensor([self.cardinalities[int(j)] for j in targets])
        w = int(cards.max())
        out = torch.baddbmm(self.b3[targets, :, :w], h, self.w3[targets, :, :w])
        invalid = (torch.arange(w)[None, :] >= cards[:, None]).to(out.device)
        return out.masked_fill(invalid.unsqueeze(1), float("-inf"))

    def nll(self, tokens: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        """(rows,) negative log-likelihood of each row, summed over columns; ``known`` covers every column."""
        h = self.hidden(tokens, known, None)
        total = tokens.new_zeros(tokens.shape[0], dtype=h.dtype)
        for cols_name, invalid_name, w in self.buckets:
            cols, invalid = getattr(self, cols_name), getattr(self, invalid_name)
            logits = torch.baddbmm(self.b3[cols, :, :w], h[cols], self.w3[cols, :, :w])
            logits = logits.masked_fill(invalid, float("-inf"))
            picked = logits.gather(-1, tokens[:, cols].t().unsqueeze(-1)).squeeze(-1)  # (bucket, rows)
            total = total + (torch.logsumexp(logits, dim=-1) - picked).sum(dim=0)
        return total


def _uniform(shape: tuple[int, int, int], fan_in: int) -> torch.Tensor:
    bound = 1.0 / math.sqrt(fan_in)
    return torch.empty(shape).uniform_(-bound, bound)


def known_from_ranks(ranks: torch.Tensor) -> torch.Tensor:
    """(columns, rows, columns) visibility from (rows, columns) order positions."""
    return ranks.unsqueeze(0) < ranks.t().unsqueeze(-1)


@torch.no_grad()
def sample_tokens(
    net: ARGNNet,
    tokens: np.ndarray,
    fixed: np.ndarray,
    order: np.ndarray,
    rng: np.random.Generator,
    device: torch.device,
    batch_rows: int = 16_384,
    quasi_random: bool = True,
) -> np.ndarray:
    """Fill the non-``fixed`` entries of ``tokens`` (rows, columns) one column at a time along ``order``.

    Every row shares the same ``fixed`` pattern (columns given by the caller, known from the start); free
    columns are drawn in ``order`` (a permutation of the free columns), each seeing the fixed columns and
    those drawn before it. Each draw is an inverse-CDF draw of a uniform number from numpy's ``rng``, so
    output depends only on the seed.

    ``quasi_random``: a row's uniforms (one per free column) are a point of a scrambled Sobol sequence
    (randomised quasi-Monte Carlo, Owen scrambling; the points in a random row order) instead of
    independent draws. Each row is still distributed exactly as the model says; the rows together cover
    the model's distribution more evenly than independent rows, so the table's marginals and pairs differ
    from the model's by less sampling noise.
    """
    out = tokens.copy()
    n, c = out.shape
    for start in range(0, n, batch_rows):
        part = torch.from_numpy(out[start : start + batch_rows]).to(device)
        rows = part.shape[0]
        uniforms = None
        if quasi_random and len(order):
            sobol = qmc.Sobol(d=len(order), scramble=True, seed=rng)
            uniforms = sobol.random_base2(max(1, math.ceil(math.log2(rows))))[:rows][rng.permutation(rows)]
        visible = torch.from_numpy(np.asarray(fixed, dtype=bool)).to(device).expand(rows, c).clone()
        for k, j in enumerate(order):
            target = torch.tensor([int(j)], device=device)
            logits = net(part, visible.unsqueeze(0), target)[0]
            probs = torch.softmax(logits, dim=-1).cpu().numpy().astype(np.float64)
            cum = np.cumsum(probs, axis=1)
            u = (rng.random(rows) if uniforms is None else uniforms[:, k]) * cum[:, -1]
            drawn = np.minimum((cum < u[:, None]).sum(axis=1), logits.shape[-1] - 1)
            part[:, j] = torch.from_numpy(drawn).to(device)
            visible[:, j] = True
        out[start : start + rows] = part.cpu().numpy()
    return out
