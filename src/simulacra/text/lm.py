"""A small recurrent language model conditioned on the row (torch; extra ``deep``).

Each conditioning column's code (see :mod:`simulacra.text.condition`) has a learned embedding; their sum
is the row vector ``c``. ``c`` sets the GRU's initial state (through a linear layer and tanh) and is
concatenated to every input token's embedding, so the row steers the whole text, not only its start.
Trained by teacher forcing (cross-entropy of the next subword), Adam, gradient clipping, with a validation
share for early stopping (the best weights are kept). Sampling: temperature, then nucleus (top-p)
filtering, one torch generator seeded by the caller; a text ends at the end-of-text token, so the length
distribution is learned, not imposed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..generators.deep._torch import TrainResult, load_weights, nn, torch, train_loop, weights_of
from ..progress import ProgressCallback
from .config import TextConfig
from .transformer import CondTransformer

__all__ = [
    "CondGRU",
    "build_lm",
    "lm_from_weights",
    "lr_factor",
    "sample_texts",
    "train_lm",
    "trains_in_bfloat16",
    "use_bfloat16",
]

_PAD, _BOS, _EOS = 0, 1, 2


class CondGRU(nn.Module):
    """GRU language model with a row-condition vector."""

    def __init__(
        self,
        vocab: int,
        cards: Sequence[int],
        *,
        embed: int = 128,
        hidden: int = 256,
        dropout: float = 0.1,
        private: bool = False,
        layers: int = 1,
        tie: bool = False,
    ):
        super().__init__()
        self.hidden = hidden
        self.layers = layers
        self.tok = nn.Embedding(vocab, embed, padding_idx=_PAD)
        self.conds = nn.ModuleList(nn.Embedding(int(k), hidden) for k in cards)
        self.init = nn.Linear(hidden, hidden)
        if private:  # Opacus' GRU computes per-example gradients (same parameter names as nn.GRU)
            from opacus.layers import DPGRU

            self.gru = DPGRU(embed + hidden, hidden, num_layers=layers, batch_first=True)
        else:
            self.gru = nn.GRU(
                embed + hidden, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
            )
        self.drop = nn.Dropout(dropout)
        # tied: the output layer reuses the token embeddings through a projection to their width (Press & Wolf
        # 2017, "Using the output embedding to improve language models"; Inan et al. 2017)
        self.proj = nn.Linear(hidden, embed) if tie else None
        self.out = nn.Linear(embed if tie else hidden, vocab)
        if tie:
            self.out.weight = self.tok.weight

    def initial(self, c: torch.Tensor) -> torch.Tensor:
        """The GRU's initial state (layers, batch, hidden) from the row vector."""
        return torch.tanh(self.init(c)).unsqueeze(0).expand(self.layers, -1, -1).contiguous()

    def logits(self, out: torch.Tensor) -> torch.Tensor:
        if self.proj is not None:
            out = self.proj(out)
        return self.out(out)  # type: ignore[no-any-return]

    def condition(self, codes: torch.Tensor) -> torch.Tensor:
        c = self.conds[0](codes[:, 0])
        for j in range(1, len(self.conds)):
            c = c + self.conds[j](codes[:, j])
        return c

    def forward(self, x: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        c = self.condition(codes)
        inp = torch.cat([self.tok(x), c.unsqueeze(1).expand(-1, x.shape[1], -1)], dim=-1)
        out, _ = self.gru(self.drop(inp), self.initial(c))
        return self.logits(self.drop(out))


def _batches(seqs: list[list[int]], codes: np.ndarray, idx: np.ndarray, batch: int) -> list[tuple[Any, Any]]:
    """Padded (input, target, codes) batches, texts of similar length together."""
    order = idx[np.argsort([len(seqs[i]) for i in idx], kind="stable")]
    out = []
    for s in range(0, len(order), batch):
        part = order[s : s + batch]
        width = max(len(seqs[i]) for i in part)
        arr = np.zeros((len(part), width), dtype=np.int64)
        for r, i in enumerate(part):
            arr[r, : len(seqs[i])] = seqs[i]
        out.append((torch.from_numpy(arr), torch.from_numpy(codes[part])))
    return out


def train_lm(
    ids: list[list[int]],
    codes: np.ndarray,
    cfg: TextConfig,
    *,
    vocab: int,
    cards: Sequence[int],
    deadline: float | None,
    rng: np.random.Generator,
    progress: ProgressCallback,
) -> tuple[CondGRU | CondTransformer, TrainResult]:
    """Fit the language model of ``cfg`` (a :class:`CondGRU` or a
    :class:`~simulacra.text.transformer.CondTransformer`, :attr:`TextConfig.model_arch`) on token-id sequences
    (without BOS/EOS) and their condition codes, with ``cfg``'s training settings: Adam at
    :attr:`~TextConfig.learning_rate` with :attr:`~TextConfig.warmup_steps` of linear warm-up; under the
    cosine :attr:`~TextConfig.lr_schedule` the rate falls to a tenth of it over the time to ``deadline`` (the
    training budget) or over ``epochs``, whichever ends first (:func:`lr_factor`), so the last epochs take
    small steps; the transformer's forward pass under bfloat16 autocast where ``precision`` says so (see
    :func:`use_bfloat16`; the GRU always trains in float32)."""
    lr, epochs, warmup, schedule = cfg.learning_rate, cfg.epochs, cfg.warmup_steps, cfg.lr_schedule
    lr_decay, patience, early_stopping = cfg.lr_decay, cfg.patience, cfg.keep_best
    seqs = [[_BOS, *s, _EOS] for s in ids]
    n = len(seqs)
    perm = rng.permutation(n)
    n_val = min(max(1, n // 20), 500) if n >= 40 else 0
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    model = build_lm(cfg, vocab, cards)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rate = [lr]  # the current rate (lowered by lr_decay); warm-up scales it over the first steps
    steps = [0]
    began = time.perf_counter()
    loss_fn = nn.CrossEntropyLoss(ignore_index=_PAD, reduction="mean")
    bf16 = trains_in_bfloat16(cfg)
    val_batches = _batches(seqs, codes, val_idx, 256) if n_val else []
    batches = _batches(seqs, codes, train_idx, cfg.batch_size)  # the same padded batches every epoch, in a new order
    total_steps = max(1, epochs * len(batches))

    def run_epoch() -> dict[str, float]:
        model.train()
        total, count = 0.0, 0
        for b in rng.permutation(len(batches)):
            x, c = batches[b]
            elapsed = None if deadline is None else (time.perf_counter() - began) / max(deadline - began, 1e-9)
            factor = lr_factor(steps[0], warmup=warmup, schedule=schedule, total_steps=total_steps, elapsed=elapsed)
            if factor != 1.0 or steps[0] == warmup:
                for group in opt.param_groups:
                    group["lr"] = rate[0] * factor
            steps[0] += 1
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(x[:, :-1], c)
            loss = loss_fn(logits.float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += float(loss.detach()) * len(x)
            count += len(x)
        return {"loss": total / max(count, 1)}

    def evaluate() -> float:
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for x, c in val_batches:
                logits = model(x[:, :-1], c)
                mask = x[:, 1:] != _PAD
                loss = nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), ignore_index=_PAD, reduction="sum"
                )
                total += float(loss)
                count += int(mask.sum())
        score = -total / max(count, 1)
        if best and score <= best[0] + 1e-4:  # no better: a smaller step (lr_decay < 1)
            rate[0] *= lr_decay
            for group in opt.param_groups:
                group["lr"] = rate[0]
        best[:] = [max(best[0], score)] if best else [score]
        return score

    best: list[float] = []

    result = train_loop(
        run_epoch,
        epochs=epochs,
        deadline=deadline,
        progress=progress,
        task="text",
        evaluate=evaluate if n_val else None,
        eval_every=1,
        patience=patience if early_stopping else epochs + 1,
        snapshot=(lambda: weights_of(model)) if early_stopping else None,
        restore=(lambda w: load_weights(model, w)) if early_stopping else None,
    )
    model.eval()
    return model, result


def lr_factor(step: int, *, warmup: int, schedule: str, total_steps: int, elapsed: float | None) -> float:
    """The factor on the learning rate at training step ``step`` (from 0): a linear warm-up over ``warmup``
    steps, then with ``schedule="cosine"`` a cosine from 1 down to 0.1 over the share of training done,
    which is the share of the ``total_steps`` (the epoch limit) or of the time budget (``elapsed``, a share
    of it; None: no budget), whichever is larger, so the rate has come down wherever training ends."""
    factor = min(1.0, (step + 1) / warmup) if warmup else 1.0
    if schedule == "cosine":
        done = min(1.0, max(step / max(total_steps, 1), elapsed or 0.0))
        factor *= 0.1 + 0.45 * (1.0 + math.cos(math.pi * done))
    return factor


def use_bfloat16(precision: str) -> bool:
    """Whether ``precision`` (``"auto"``, ``"float32"``, ``"bfloat16"``) means bfloat16 training here:
    ``"auto"`` is bfloat16 when the CPU multiplies bfloat16 natively (oneDNN's check: AVX512-BF16 or AMX)."""
    if precision == "auto":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return precision == "bfloat16"


def trains_in_bfloat16(cfg: TextConfig) -> bool:
    """Whether the model of ``cfg`` trains under bfloat16 autocast here (the transformer only)."""
    return cfg.model_arch == "transformer" and use_bfloat16(cfg.precision)


def build_lm(
    cfg: TextConfig, vocab: int, cards: Sequence[int], *, dropout: float | None = None
) -> CondGRU | CondTransformer:
    """A fresh language model of ``cfg``'s architecture and sizes (:attr:`TextConfig.model_arch`; the GRU
    computes per-example gradients under ``epsilon``) for ``vocab`` subwords and conditions of ``cards``
    categories; ``dropout``: instead of ``cfg.dropout`` (0 for a model that only samples)."""
    drop = cfg.dropout if dropout is None else dropout
    if cfg.model_arch == "transformer":
        return CondTransformer(
            vocab, cards, width=cfg.width, blocks=cfg.blocks, heads=cfg.heads, dropout=drop, max_len=cfg.max_tokens + 2
        )
    return CondGRU(
        vocab,
        cards,
        embed=cfg.embed,
        hidden=cfg.hidden,
        dropout=drop,
        private=cfg.epsilon is not None,
        layers=cfg.layers,
        tie=cfg.tie,
    )


def sample_texts(
    model: CondGRU | CondTransformer,
    codes: np.ndarray,
    *,
    max_tokens: int,
    temperature: float,
    top_p: float,
    seed: int,
    batch: int = 1024,
    rerank: int = 1,
) -> list[list[int]]:
    """Token ids (without BOS/EOS) of one text per row of ``codes``. ``rerank`` > 1: that many texts are
    drawn per row and the one the model finds most likely (highest mean log-probability per subword, end
    of text included, at temperature 1) is kept."""
    gen = torch.Generator().manual_seed(seed)
    out: list[list[int]] = []
    scores: list[float] = []
    if rerank > 1:
        codes = np.repeat(codes, rerank, axis=0)
    model.eval()
    with torch.no_grad():
        for s in range(0, len(codes), batch):
            c_all = model.condition(torch.from_numpy(codes[s : s + batch]))
            m = len(c_all)
            recurrent = isinstance(model, CondGRU)
            h: Any = model.initial(c_all) if isinstance(model, CondGRU) else None  # GRU state, or the KV cache
            tok = torch.full((m,), _BOS, dtype=torch.long)
            alive = torch.arange(m)
            rows = torch.full((m, max_tokens), _EOS, dtype=torch.long)
            logp = torch.zeros(m, dtype=torch.float64)
            steps = torch.zeros(m, dtype=torch.float64)
            for t in range(max_tokens):
                if isinstance(model, CondGRU):
                    inp = torch.cat([model.tok(tok), c_all[alive]], dim=-1).unsqueeze(1)
                    o, h = model.gru(inp, h)
                    logits = model.logits(o[:, 0])
                else:
                    logits, h = model.step(tok, c_all[alive], h, t)
                logits[:, _PAD] = float("-inf")
                logits[:, _BOS] = float("-inf")
                probs = _top_p(torch.softmax(logits / max(temperature, 1e-6), dim=-1), top_p)
                tok = torch.multinomial(probs, 1, generator=gen)[:, 0]
                rows[alive, t] = tok
                if rerank > 1:
                    logp[alive] += torch.log_softmax(logits, dim=-1).gather(1, tok[:, None])[:, 0].double()
                    steps[alive] += 1
                keep = tok != _EOS
                if not bool(keep.any()):
                    break
                alive, tok = alive[keep], tok[keep]
                h = h[:, keep] if recurrent else [(k[keep], v[keep]) for k, v in h]
            for r in rows.numpy():
                ids = []
                for v in r.tolist():
                    if v == _EOS:
                        break
                    ids.append(v)
                out.append(ids)
            scores.extend((logp / steps.clamp(min=1)).tolist())
    if rerank > 1:
        best = np.asarray(scores).reshape(-1, rerank).argmax(axis=1)
        out = [out[i * rerank + int(j)] for i, j in enumerate(best)]
    return out


def _top_p(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    if top_p >= 1.0:
        return probs
    sorted_p, order = torch.sort(probs, descending=True, dim=-1)
    cum = torch.cumsum(sorted_p, dim=-1)
    drop = cum - sorted_p > top_p
    sorted_p = sorted_p.masked_fill(drop, 0.0)
    kept = torch.zeros_like(probs).scatter(-1, order, sorted_p)
    return kept / kept.sum(dim=-1, keepdim=True)


def lm_from_weights(
    weights: dict[str, Any], cfg: TextConfig, vocab: int, cards: Sequence[int]
) -> CondGRU | CondTransformer:
    """The saved language model of ``cfg`` with ``weights``, ready to sample (no dropout)."""
    model = build_lm(cfg, vocab, cards, dropout=0.0)
    load_weights(model, weights)
    model.eval()
    return model
