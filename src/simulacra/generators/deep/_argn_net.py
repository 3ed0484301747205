"""The network of the autoregressive generator: per-column embeddings and one small head per column.

Head ``j`` predicts a softmax over column ``j``'s tokens from the embeddings of the columns that come
before ``j`` in the row's column order; every other column is shown by a learned *absent* embedding of its
own, so the same head serves any order and any set of known columns. All heads run as one batched matmul
(weights stacked (columns, inputs, outputs)), with the smaller vocabularies padded and masked.

Which columns head ``j`` may see is a boolean ``known`` tensor (targets, rows, columns): with a rank per row
and column (the position in that row's order), ``known[j, b, i] = rank[b, i] < rank[b, j]``.
"""

from __future__ import annotations

import math

import numpy as np

from ._torch import nn, torch

__all__ = ["ARGNNet", "known_from_ranks", "sample_tokens"]


class ARGNNet(nn.Module):
    offsets: torch.Tensor
    invalid: torch.Tensor

    def __init__(self, cardinalities: list[int], embedding_dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        c, e, h = len(cardinalities), int(embedding_dim), int(hidden)
        k = max(cardinalities)
        self.n_columns, self.width = c, k
        offsets = np.concatenate([[0], np.cumsum(cardinalities)[:-1]]).astype(np.int64)
        self.register_buffer("offsets", torch.from_numpy(offsets), persistent=False)
        invalid = np.arange(k)[None, :] >= np.asarray(cardinalities)[:, None]
        self.register_buffer("invalid", torch.from_numpy(invalid), persistent=False)
        self.embed = nn.Embedding(int(sum(cardinalities)), e)
        nn.init.normal_(self.embed.weight, std=0.5)
        self.absent = nn.Parameter(torch.zeros(c, e))
        self.w1 = nn.Parameter(_uniform((c, c * e, h), c * e))
        self.b1 = nn.Parameter(torch.zeros(c, 1, h))
        self.w2 = nn.Parameter(_uniform((c, h, h), h))
        self.b2 = nn.Parameter(torch.zeros(c, 1, h))
        self.w3 = nn.Parameter(_uniform((c, h, k), h))
        self.b3 = nn.Parameter(torch.zeros(c, 1, k))
        self.drop = nn.Dropout(float(dropout))

    def forward(self, tokens: torch.Tensor, known: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """(targets, rows, width) logits (padding at -inf) of each target column's tokens.

        ``tokens``: (rows, columns) token ids (unknown entries may hold anything valid, e.g. 0);
        ``known``: (targets, rows, columns) which columns each target may see; ``targets``: column indices.
        """
        emb = self.embed(tokens + self.offsets)  # (rows, columns, e)
        ctx = torch.where(known.unsqueeze(-1), emb.unsqueeze(0), self.absent[None, None])
        h = ctx.reshape(len(targets), tokens.shape[0], -1)
        h = self.drop(torch.relu(torch.baddbmm(self.b1[targets], h, self.w1[targets])))
        h = self.drop(torch.relu(torch.baddbmm(self.b2[targets], h, self.w2[targets])))
        out = torch.baddbmm(self.b3[targets], h, self.w3[targets])
        return out.masked_fill(self.invalid[targets].unsqueeze(1), float("-inf"))


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
    batch_rows: int = 20_000,
) -> np.ndarray:
    """Fill the non-``fixed`` entries of ``tokens`` (rows, columns) one column at a time along ``order``.

    Every row shares the same ``fixed`` pattern (columns given by the caller, known from the start); free
    columns are drawn in ``order`` (a permutation of the free columns), each seeing the fixed columns and
    those drawn before it. Draws use numpy's ``rng`` (inverse CDF), so output depends only on the seed.
    """
    out = tokens.copy()
    n, c = out.shape
    for start in range(0, n, batch_rows):
        part = torch.from_numpy(out[start : start + batch_rows]).to(device)
        rows = part.shape[0]
        visible = torch.from_numpy(np.asarray(fixed, dtype=bool)).to(device).expand(rows, c).clone()
        for j in order:
            target = torch.tensor([int(j)], device=device)
            logits = net(part, visible.unsqueeze(0), target)[0]
            probs = torch.softmax(logits, dim=-1).cpu().numpy().astype(np.float64)
            cum = np.cumsum(probs, axis=1)
            u = rng.random(rows) * cum[:, -1]
            drawn = np.minimum((cum < u[:, None]).sum(axis=1), net.width - 1)
            part[:, j] = torch.from_numpy(drawn).to(device)
            visible[:, j] = True
        out[start : start + rows] = part.cpu().numpy()
    return out
