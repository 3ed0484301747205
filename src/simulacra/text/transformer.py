"""A small causal transformer language model conditioned on the row (torch; extra ``deep``).

The default text model (``TextConfig()``; :class:`simulacra.text.lm.CondGRU` with ``arch="gru"``): learned token
and position embeddings, ``blocks`` pre-norm blocks (multi-head causal self-attention through torch's
``scaled_dot_product_attention``, then a GELU feed-forward layer four times as wide), a final layer norm and
an output layer tied to the token embeddings. The row vector ``c`` (the sum of the conditioning columns'
code embeddings, as for the GRU) is added to every input position, so the row steers the whole text.
Sampling keeps each block's keys and values (a KV cache), so a step costs one position, not the prefix.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..generators.deep._torch import nn, torch

__all__ = ["CondTransformer"]

_PAD = 0


class _Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.p = dropout
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, 4 * width)
        self.fc_out = nn.Linear(4 * width, width)
        self.drop = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        if cache is not None:  # one new position attends to every earlier one: no mask needed
            k = torch.cat([cache[0], k], dim=2)
            v = torch.cat([cache[1], v], dim=2)
        with torch.autocast("cpu", enabled=False):  # bf16 attention is slow on CPU: always in float32
            a = nn.functional.scaled_dot_product_attention(
                q.float(),
                k.float(),
                v.float(),
                is_causal=cache is None and t > 1,
                dropout_p=self.p if self.training else 0.0,
            )
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(b, t, d)))
        x = x + self.drop(self.fc_out(nn.functional.gelu(self.fc(self.ln2(x)))))
        return x, (k, v)


class CondTransformer(nn.Module):
    """Causal transformer language model with a row-condition vector (see the module docstring)."""

    def __init__(
        self,
        vocab: int,
        cards: Sequence[int],
        *,
        width: int = 192,
        blocks: int = 3,
        heads: int = 4,
        dropout: float = 0.1,
        max_len: int = 130,
    ) -> None:
        super().__init__()
        self.max_len = max_len
        self.tok = nn.Embedding(vocab, width, padding_idx=_PAD)
        self.pos = nn.Embedding(max_len, width)
        self.conds = nn.ModuleList(nn.Embedding(int(k), width) for k in cards)
        self.blocks = nn.ModuleList(_Block(width, heads, dropout) for _ in range(blocks))
        self.ln = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(width, vocab, bias=False)
        self.out.weight = self.tok.weight
        # GPT-2's initialisation: small normal weights, residual projections scaled down by depth
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / (2 * blocks) ** 0.5 if name.endswith(("proj.weight", "fc_out.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)

    def condition(self, codes: torch.Tensor) -> torch.Tensor:
        c = self.conds[0](codes[:, 0])
        for j in range(1, len(self.conds)):
            c = c + self.conds[j](codes[:, j])
        return c

    def embed(self, x: torch.Tensor, c: torch.Tensor, start: int = 0) -> torch.Tensor:
        positions = torch.arange(start, start + x.shape[1]).clamp(max=self.max_len - 1)
        return self.drop(self.tok(x) + self.pos(positions) + c.unsqueeze(1))

    def forward(self, x: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        h = self.embed(x, self.condition(codes))
        for block in self.blocks:
            h, _ = block(h)
        return self.out(self.ln(h))  # type: ignore[no-any-return]

    def step(
        self, tok: torch.Tensor, c: torch.Tensor, cache: list[tuple[torch.Tensor, torch.Tensor]] | None, t: int
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """Logits of the next token after ``tok`` (batch,) at position ``t``, and the grown KV cache."""
        h = self.embed(tok.unsqueeze(1), c, start=t)
        new = []
        for i, block in enumerate(self.blocks):
            h, kv = block(h, None if cache is None else cache[i])
            new.append(kv)
        return self.out(self.ln(h[:, 0])), new
