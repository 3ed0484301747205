"""A local pre-trained causal language model, fine-tuned on the column (``TextConfig(pretrained=PATH)``).

The folder is one the user has on disk in the Hugging Face format (``config.json``, the weights as
``model.safetensors`` or ``pytorch_model.bin``, and the tokenizer's files), e.g. a ``distilgpt2`` saved
earlier with ``save_pretrained``. It is loaded with the ``transformers`` package, which is not a
dependency of simulacra (``pip install transformers``), with ``local_files_only=True``, the Hub switched
off (``HF_HUB_OFFLINE=1``) and ``trust_remote_code=False``: nothing is downloaded and no code from the
folder runs.

Each text is fine-tuned on as ``<row conditions> + "\\n" + <scrubbed text> + <end of text>``, where the
row conditions are :meth:`simulacra.text.condition.ConditionEncoder.describe`'s line
(``"airline: United | airline_sentiment: negative | words: 12 to 17"``); the loss is taken on the text and
the end-of-text token only. Sampling feeds a generated row's condition line and draws with temperature and
top-p. The fine-tuned model is saved into the simulacra model folder with ``save_pretrained`` (weights as
safetensors, never pickle), each file checked by SHA-256 on load.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MissingDependencyError, ModelFileError, OutputError, ParameterError
from ..generators.deep._torch import TrainResult, nn, torch, train_loop
from ..progress import ProgressCallback
from .config import NO_TRANSFORMERS

__all__ = ["encode", "export_model", "finetune", "generate", "import_model", "load_pretrained"]

_MAX_PREFIX = 64  # subwords of the condition line at most


def _transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise MissingDependencyError(NO_TRANSFORMERS) from None
    return transformers


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """The Hub switched off and transformers' progress bars and warnings quiet while a folder is read or
    written (restored afterwards)."""
    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    before = {k: os.environ.get(k) for k in keys}
    os.environ.update(dict.fromkeys(keys, "1"))
    tf_logging = _transformers().utils.logging
    bars, verbosity = tf_logging.is_progress_bar_enabled(), tf_logging.get_verbosity()
    tf_logging.disable_progress_bar()
    tf_logging.set_verbosity_error()
    try:
        yield
    finally:
        tf_logging.set_verbosity(verbosity)
        if bars:
            tf_logging.enable_progress_bar()
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def load_pretrained(folder: Path, *, where: str = "pre-trained text model") -> tuple[Any, Any]:
    """(model, tokenizer) of a local folder, offline, in float32; errors name the folder."""
    tf = _transformers()
    with _offline():
        try:
            tok = tf.AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
            model = tf.AutoModelForCausalLM.from_pretrained(
                str(folder), local_files_only=True, trust_remote_code=False, dtype=torch.float32
            )
        except Exception as exc:  # a foreign folder fails in many ways (OSError, SafetensorError, ValueError, ...)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ParameterError(
                f"{where} '{folder}' cannot be loaded by transformers as a causal language model with its "
                f"tokenizer ({first[:300]}); give a folder written by save_pretrained for a model such as GPT-2"
            ) from None
    if tok.eos_token_id is None:
        raise ParameterError(
            f"{where} '{folder}': its tokenizer has no end-of-text token (eos_token); the texts could not end"
        )
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    if _positions(model) < 2 * _MAX_PREFIX:
        raise ParameterError(
            f"{where} '{folder}' reads at most {_positions(model)} positions; the row's condition line alone may "
            f"take {_MAX_PREFIX}: give a model with a context of at least {2 * _MAX_PREFIX}"
        )
    return model, tok


def _positions(model: Any) -> int:
    cfg = model.config
    for key in ("n_positions", "max_position_embeddings", "n_ctx"):
        v = getattr(cfg, key, None)
        if isinstance(v, int) and v > 0:
            return v
    return 1024


def encode(tok: Any, prefixes: Sequence[str], texts: Sequence[str] | None, max_tokens: int) -> list[list[int]]:
    """Condition line + newline (at most 64 subwords), then the text (at most ``max_tokens``) + end of text."""
    heads = tok([p + "\n" for p in prefixes], add_special_tokens=False)["input_ids"]
    heads = [h[-_MAX_PREFIX:] for h in heads]
    if texts is None:
        return [list(h) for h in heads]
    bodies = tok(list(texts), add_special_tokens=False)["input_ids"]
    return [[*h, -1, *b[:max_tokens], tok.eos_token_id] for h, b in zip(heads, bodies, strict=True)]


def _batch(seqs: list[list[int]], idx: np.ndarray, pad: int) -> tuple[Any, Any, Any]:
    """Right-padded (ids, attention mask, labels); labels are -100 on the condition line and the padding.
    A ``-1`` in a sequence marks where the text starts (it is dropped)."""
    rows = [seqs[i] for i in idx]
    width = max(len(r) for r in rows) - 1
    ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    labels = np.full((len(rows), width), -100, dtype=np.int64)
    for r, seq in enumerate(rows):
        cut = seq.index(-1)
        flat = seq[:cut] + seq[cut + 1 :]
        ids[r, : len(flat)] = flat
        mask[r, : len(flat)] = 1
        labels[r, cut : len(flat)] = flat[cut:]
    return torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(labels)


def finetune(
    model: Any,
    tok: Any,
    seqs: list[list[int]],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    deadline: float | None,
    patience: int,
    early_stopping: bool,
    rng: np.random.Generator,
    progress: ProgressCallback,
) -> TrainResult:
    """Fine-tune ``model`` in place on :func:`encode`'s sequences (AdamW, gradient clipping 1.0, a 5%
    validation share for early stopping when there are 40+ texts; the best weights are kept)."""
    limit = _positions(model)
    seqs = [s[: limit + 1] if len(s) > limit + 1 else s for s in seqs]
    n = len(seqs)
    perm = rng.permutation(n)
    n_val = min(max(1, n // 20), 500) if n >= 40 else 0
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    pad = int(tok.pad_token_id)

    def grouped(idx: np.ndarray, size: int) -> list[np.ndarray]:
        order = idx[np.argsort([len(seqs[i]) for i in idx], kind="stable")]
        return [order[s : s + size] for s in range(0, len(order), size)]

    batches, val_batches = grouped(train_idx, batch_size), grouped(val_idx, batch_size)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)

    def loss_sum(ids: Any, mask: Any, labels: Any) -> tuple[Any, int]:
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
        target = labels[:, 1:]
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100, reduction="sum"
        )
        return loss, int((target != -100).sum())

    def run_epoch() -> dict[str, float]:
        model.train()
        total, count = 0.0, 0
        for b in rng.permutation(len(batches)):
            loss, k = loss_sum(*_batch(seqs, batches[b], pad))
            opt.zero_grad()
            (loss / max(k, 1)).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += float(loss.detach())
            count += k
        return {"loss": total / max(count, 1)}

    def evaluate() -> float:
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for b in val_batches:
                loss, k = loss_sum(*_batch(seqs, b, pad))
                total += float(loss)
                count += k
        return -total / max(count, 1)

    def snapshot() -> dict[str, Any]:
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    result = train_loop(
        run_epoch,
        epochs=epochs,
        deadline=deadline,
        progress=progress,
        task="text",
        evaluate=evaluate if n_val else None,
        eval_every=1,
        patience=patience if early_stopping else epochs + 1,
        snapshot=snapshot if early_stopping else None,
        restore=(lambda w: model.load_state_dict(w)) if early_stopping else None,
    )
    model.eval()
    return result


def generate(
    model: Any,
    tok: Any,
    prefixes: Sequence[str],
    *,
    max_tokens: int,
    temperature: float,
    top_p: float,
    batch: int = 64,
) -> list[str]:
    """One text per condition line, drawn with temperature and top-p (torch's global generator: the caller
    seeds it, see :func:`simulacra.generators.deep._torch.torch_session`)."""
    tf = _transformers()
    heads = encode(tok, prefixes, None, max_tokens)
    pad, eos = int(tok.pad_token_id), int(tok.eos_token_id)
    room = max(1, min(max_tokens, _positions(model) - max(len(h) for h in heads))) if heads else max_tokens
    config = tf.GenerationConfig(
        do_sample=True,
        temperature=float(temperature),
        top_p=float(top_p),
        top_k=0,
        max_new_tokens=int(room),
        pad_token_id=pad,
        eos_token_id=eos,
    )
    out: list[str] = []
    model.eval()
    with torch.no_grad(), _offline():
        for s in range(0, len(heads), batch):
            part = heads[s : s + batch]
            width = max(len(h) for h in part)
            ids = torch.full((len(part), width), pad, dtype=torch.long)
            mask = torch.zeros((len(part), width), dtype=torch.long)
            for r, h in enumerate(part):  # left padding: every text starts right after its condition line
                ids[r, width - len(h) :] = torch.tensor(h, dtype=torch.long)
                mask[r, width - len(h) :] = 1
            drawn = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)[:, width:]
            for row in drawn.tolist():
                cut = row.index(eos) if eos in row else len(row)
                out.append(str(tok.decode(row[:cut], skip_special_tokens=True)))
    return out


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def export_model(model: Any, tok: Any, folder: Path) -> dict[str, Any]:
    """Write the fine-tuned model and its tokenizer into ``folder`` (safetensors weights, JSON files);
    return the state entry that names the files and their SHA-256."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():  # a model saved here before
            if old.is_file():
                old.unlink()
        with _offline():
            model.save_pretrained(str(folder), safe_serialization=True)
            tok.save_pretrained(str(folder))
        files = _digests(folder)
    except OSError as exc:
        raise OutputError(f"cannot write the fine-tuned text model into '{folder}': {exc.strerror or exc}") from None
    if any(name.endswith((".bin", ".pt", ".pkl", ".pickle")) for name in files):
        raise ModelFileError(f"the fine-tuned text model in '{folder}' was not written as safetensors")
    return {"files": files}


def import_model(folder: Path, entry: Mapping[str, Any]) -> tuple[Any, Any]:
    """Read back what :func:`export_model` wrote, after checking every file against its SHA-256."""
    files = dict(entry.get("files") or {})
    if not files:
        raise ModelFileError(f"the text model entry names no files of '{folder}'; the model is damaged")
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            raise ModelFileError(f"model folder lacks {path} (the fine-tuned text model); save the model again")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise ModelFileError(f"{path} does not match its manifest (hash differs); the model is damaged")
    if not any(name.endswith(".safetensors") for name in files):
        raise ModelFileError(f"'{folder}' has no safetensors weights; the model is damaged or not simulacra's")
    try:
        return load_pretrained(folder, where="the saved fine-tuned text model")
    except ParameterError as exc:
        raise ModelFileError(str(exc)) from None
