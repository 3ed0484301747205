"""Training-step time of the default text transformer by torch threads and arithmetic, on this CPU and with
the kernels limited to AVX2 (what a CPU without native bfloat16 does).

One step = forward, loss, backward, clipping and Adam on a batch of 64 sequences of 41 subwords (a tweet's
length) with 5 condition columns, the model of ``TextConfig()`` (256 wide, 3 blocks, 4 heads, 2,000
subwords). Each configuration runs in its own process (the AVX2 limit is read when torch loads): 5 warm-up
steps, then the mean of ``--steps``. This is why ``TextConfig.threads`` defaults to every core, and why
``precision="auto"`` picks bfloat16 only where oneDNN reports native support.

    .venv/bin/python benchmarks/text_step_speed.py [--steps 30] [--threads 1,2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

AVX2 = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def _one(threads: int, precision: str, steps: int) -> None:
    import time

    from simulacra.generators.deep._torch import nn, torch
    from simulacra.text import TextConfig
    from simulacra.text.lm import build_lm, use_bfloat16

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = TextConfig()
    model = build_lm(cfg, 2000, [3, 11, 7, 6, 5])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randint(4, 2000, (64, 42))
    c = torch.zeros(64, 5, dtype=torch.long)
    loss_fn = nn.CrossEntropyLoss()
    bf16 = precision == "bfloat16"

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(x[:, :-1], c)
        loss = loss_fn(logits.float().reshape(-1, 2000), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(5):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    ms = 1000 * (time.perf_counter() - start) / steps
    native = use_bfloat16("auto")
    print(f"{torch.backends.cpu.get_cpu_capability()},{native},{threads},{precision},{ms:.0f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        _one(int(args.one[0]), args.one[1], args.steps)
        return
    print("| kernels | native bfloat16 | threads | arithmetic | ms per step |")
    print("|---|---|---|---|---|")
    for limit in ({}, AVX2):
        for threads in (int(t) for t in args.threads.split(",")):
            for precision in ("float32", "bfloat16"):
                if limit and precision == "bfloat16":
                    continue  # no native bfloat16 under the AVX2 limit: "auto" trains in float32 there
                cmd = [sys.executable, __file__, "--steps", str(args.steps), "--one", str(threads), precision]
                out = subprocess.run(cmd, env={**os.environ, **limit}, capture_output=True, text=True, check=True)
                cap, native, t, prec, ms = out.stdout.strip().splitlines()[-1].split(",")
                print(f"| {cap} | {native} | {t} | {prec} | {ms} |", flush=True)


if __name__ == "__main__":
    main()
