"""Differentially private training of the text model (DP-SGD through the privacy ledger; extras deep, dp).

With ``TextConfig(epsilon=...)`` nothing the model keeps is computed from the texts outside DP-SGD:

* the tokenizer is byte-level with no learned merges (256 bytes + 3 special tokens);
* the row conditions come from the **public schema** (its category lists and bounds; a column without
  them is not used) and fixed word-count bins;
* PII scrubbing uses only record-local rules (every ``@handle`` is replaced; lone first names are not,
  as that rule counts names over the column); it runs before training, one record at a time;
* there is no memorisation guard (its index would be a non-private release; DP bounds what any one text
  can change instead) and no validation share (early stopping would look at the data).

The GRU is trained with Poisson-sampled batches, per-example clipping and Gaussian noise (Opacus; the plan,
noise multiplier and RDP accounting of :mod:`simulacra.generators.deep._dp`), charged to a
:class:`~simulacra.privacy.PrivacyLedger` of ``(epsilon, delta)`` before training. One record is one text
(with its row), the unit the neighbouring datasets differ in.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..generators.deep._dp import DPSGDPlan, poisson_batches, wrap_private
from ..generators.deep._torch import TrainResult, torch, train_loop
from ..privacy import PrivacyLedger
from ..progress import ProgressCallback
from .config import TextConfig
from .lm import CondGRU

__all__ = ["LENGTH_EDGES", "train_lm_private"]

_PAD, _BOS, _EOS = 0, 1, 2
LENGTH_EDGES = [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]
"""Word-count bins of the private text model (fixed: not read from the data)."""


def train_lm_private(
    ids: list[list[int]],
    codes: np.ndarray,
    cfg: TextConfig,
    *,
    vocab: int,
    cards: Sequence[int],
    ledger: PrivacyLedger,
    deadline: float | None,
    rng: np.random.Generator,
    progress: ProgressCallback,
) -> tuple[CondGRU, TrainResult, dict[str, Any]]:
    """Fit the private :class:`CondGRU` of ``cfg`` (its sizes, ``epochs``, ``batch_size`` as the expected
    Poisson batch, learning rate and ``max_grad_norm``); returns the model, the training record and the
    DP-SGD plan summary."""
    epochs, batch_size = cfg.epochs, cfg.batch_size
    seqs = [[_BOS, *s, _EOS] for s in ids]
    plan = DPSGDPlan(
        n_rows=len(seqs), batch_size=batch_size, epochs=epochs, max_grad_norm=cfg.max_grad_norm, ledger=ledger
    )
    model = CondGRU(vocab, cards, embed=cfg.embed, hidden=cfg.hidden, dropout=0.0, private=True)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    wrapped, dp_opt = wrap_private(model, opt, plan, loss_reduction="sum")
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=_PAD, reduction="sum")

    def run_epoch() -> dict[str, float]:
        wrapped.train()
        total, count = 0.0, 0
        for idx in poisson_batches(plan, rng):
            part = idx if len(idx) else np.zeros(0, dtype=np.int64)
            width = max([len(seqs[i]) for i in part], default=2)
            x = np.zeros((len(part), width), dtype=np.int64)
            for r, i in enumerate(part):
                x[r, : len(seqs[i])] = seqs[i]
            xt, ct = torch.from_numpy(x), torch.from_numpy(codes[part].reshape(len(part), -1))
            dp_opt.zero_grad(set_to_none=True)
            if len(part):
                logits = wrapped(xt[:, :-1], ct)
                loss = loss_fn(logits.reshape(-1, logits.shape[-1]), xt[:, 1:].reshape(-1))
                with warnings.catch_warnings():  # Opacus' hooks on the (integer) token input: harmless
                    warnings.filterwarnings("ignore", message="Full backward hook is firing")
                    loss.backward()
                total += float(loss.detach())
                count += int((xt[:, 1:] != _PAD).sum())
            else:  # an empty Poisson batch still takes its noise-only step
                for p in model.parameters():
                    p.grad_sample = torch.zeros((0, *p.shape))  # type: ignore[attr-defined]
            dp_opt.step()
        return {"loss": total / max(count, 1)}

    result = train_loop(run_epoch, epochs=epochs, deadline=deadline, progress=progress, task="text (DP-SGD)")
    model.eval()
    return model, result, plan.summary()
