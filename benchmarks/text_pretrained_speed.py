"""Speed only of the pre-trained text model path (``--text-model PATH``) on a CPU, with random weights.

There is no pre-trained checkpoint on the development machine and no Hub access, so this builds a GPT-2 of
distilgpt2's shape (6 layers, 768 wide, 12 heads, 50,257 outputs; 82M parameters) with random weights and a
byte-level BPE tokenizer trained on 2,000 tweets, then times, on one torch thread, 20 fine-tuning steps of 16
tweets with their row condition line (what ``simulacra.text.pretrained.finetune`` does per step) and the
sampling of 64 texts of 40 new subwords (``generate``; random weights never end a text early). It says
nothing of quality.

    .venv/bin/python benchmarks/text_pretrained_speed.py        # needs transformers; about 5 minutes
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
PREFIX = (
    "airline_sentiment: negative | negativereason: Late Flight | airline: United | retweet_count: 0 | "
    "tweet_created: 2015-02-21 to 2015-02-22 | words: 14 to 17"
)


def main() -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    from simulacra.text.pretrained import _batch, encode, generate

    torch.set_num_threads(1)
    texts = pd.read_csv(SHARED / "airline_tweets" / "Tweets.csv")["text"].astype(str).tolist()[:2000]
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=8000,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tk.train_from_iterator(texts, trainer=trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=50257, n_layer=6, n_embd=768, n_head=12, n_positions=1024))
    seqs = encode(tok, [PREFIX] * len(texts), texts, 128)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"parameters {n_params:,}; subwords per text {np.mean([len(s) for s in seqs]):.1f}")
    opt = torch.optim.AdamW(model.parameters(), lr=5e-5)
    model.train()
    steps = 20
    start = time.perf_counter()
    for i in range(steps):
        ids, mask, labels = _batch(seqs, np.arange(16 * i, 16 * i + 16), tok.pad_token_id)
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    per = (time.perf_counter() - start) / steps
    print(f"fine-tuning: {per:.2f} s per step of 16 texts, {per * 10_000 / 16 / 60:.0f} min per epoch of 10,000 texts")
    model.eval()
    torch.manual_seed(0)
    start = time.perf_counter()
    generate(model, tok, [PREFIX] * 64, max_tokens=40, temperature=0.9, top_p=0.95, batch=64)
    took = time.perf_counter() - start
    print(f"sampling: {took:.1f} s for 64 texts of 40 subwords, about {took * 1000 / 64:.0f} s per 1,000 texts")


if __name__ == "__main__":
    main()
