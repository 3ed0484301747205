"""Free-text generation on the shared text datasets: our row-conditioned language model vs the placeholder.

For each dataset: a seeded 80/20 training/holdout split (stratified on the label), the Gaussian copula for
the other columns, then the text column written (a) by the language model (``fit(..., text=TextConfig())``)
and (b) by the placeholder text model of the foundation issue. Printed per dataset:

* fit seconds of the text model (on at most 10,000 texts) and seconds to generate 1,000 texts;
* text-to-row consistency: accuracy of a TF-IDF classifier trained on real texts, on synthetic texts with
  their synthetic labels / on the holdout (the issue asks >= 0.80);
* embedding detection AUC (MiniLM) for ours and the placeholder (the issue asks <= 0.75), and MMD;
* long-span (8-word) replay rate of ours vs the holdout's own rate against the training texts;
* e-mail addresses / phone numbers of the training texts found in the output; guard rejection rate.

Run (about 30 minutes on the 2-core machine, on every core; the text model is ``TextConfig()``, the
transformer, unless ``--set arch=gru`` etc.; ``--set threads=1`` for one thread). To see what a CPU without
native bfloat16 does, limit the kernels to AVX2 (oneDNN then reports no native bfloat16 and ``precision``
"auto" trains in float32): ``ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2``
before the command.

    .venv/bin/python benchmarks/text_quality.py [--datasets amazon_alexa_reviews,airline_tweets,airbnb_barcelona]
        [--max-minutes 12] [--temperature T] [--top-p P] [--dropout D] [--set KEY=VALUE ...] [--markdown]
        [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd

from simulacra import create_generator, evaluate
from simulacra.schema.profile import profile
from simulacra.selection import split_off
from simulacra.text import TextConfig

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"

DATASETS: dict[str, dict[str, Any]] = {
    "amazon_alexa_reviews": {
        "path": "amazon_alexa_reviews/amazon_alexa.tsv",
        "read": {"sep": "\t", "encoding": "utf-8-sig"},
        "columns": None,
        "text": "verified_reviews",
        "label": "rating",
    },
    "airline_tweets": {
        "path": "airline_tweets/Tweets.csv",
        "read": {},
        "columns": ["airline_sentiment", "negativereason", "airline", "retweet_count", "text", "tweet_created"],
        "text": "text",
        "label": "airline_sentiment",
    },
    "airbnb_barcelona": {
        "path": "airbnb_barcelona/listings.csv",
        "read": {"dtype": {"id": str}},
        "columns": ["name", "neighbourhood_group", "room_type", "price", "minimum_nights", "number_of_reviews"],
        "text": "name",
        "label": "room_type",
    },
}
METRICS = ["text.embedding_detection", "text.embedding_mmd", "text.consistency", "text.replay_rate", "text.length"]


def _one(name: str, max_minutes: float, seed: int, settings: dict[str, Any]) -> dict[str, Any]:
    spec = DATASETS[name]
    frame = pd.read_csv(SHARED / spec["path"], **spec["read"])
    if spec["columns"]:
        frame = frame[spec["columns"]]
    train, holdout = split_off(frame, math.ceil(0.2 * len(frame)), spec["label"], seed)
    schema = profile(train)
    row: dict[str, Any] = {"dataset": name, "texts": int(train[spec["text"]].notna().sum()), "label": spec["label"]}
    gen = create_generator("gaussian_copula", random_state=seed)
    start = time.perf_counter()
    gen.fit(train, schema, text=TextConfig(max_minutes=max_minutes, **settings))
    summary = gen.text_summary()[spec["text"]]
    row["fit_s_total"] = time.perf_counter() - start
    row["fit_s_text"] = summary["fit_seconds"]
    row["model"] = summary.get("model")
    row["epochs"] = summary["training"]["epochs_run"]
    row["stopped_by"] = summary["training"]["stopped_by"]
    row["threads"] = summary["training"].get("threads")
    row["bfloat16"] = summary["training"].get("bfloat16")
    best = summary["training"].get("best_score")
    row["val_loss"] = None if best is None else -best  # nats per subword on the validation share, best epoch
    row["pii_replaced"] = summary.get("pii_replaced", {})
    start = time.perf_counter()
    gen.sample(1000, random_state=seed + 1)
    row["sample_1000_s"] = time.perf_counter() - start
    n = len(holdout)
    ours = gen.sample(n, random_state=seed + 2)
    row["guard"] = gen.text_summary()[spec["text"]]["guard"]
    base = create_generator("gaussian_copula", random_state=seed).fit(train, schema)
    placeholder = base.sample(n, random_state=seed + 2)
    for tag, synthetic in (("ours", ours), ("placeholder", placeholder)):
        ev = evaluate(
            train, synthetic, schema, holdout=holdout, target=spec["label"], metrics=METRICS, random_state=seed
        )
        for key in METRICS:
            short = key.split(".", 1)[1]
            res = ev.results.get(key)
            col = (res.details.get("columns") or {}).get(spec["text"], {}) if res is not None else {}
            row[f"{tag}.{short}"] = col.get("score")
            row[f"{tag}.{short}.reference"] = col.get("reference")
            if key == "text.consistency" and res is not None:
                row[f"{tag}.accuracy_synthetic"] = col.get("accuracy_synthetic")
                row[f"{tag}.accuracy_holdout"] = col.get("accuracy_holdout")
            if key == "text.replay_rate" and res is not None:
                row[f"{tag}.contact_leaks"] = col.get("contact_leaks")
            if res is None:
                row[f"{tag}.{short}.skipped"] = ev.skipped[key].reason
    return row


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _table(rows: list[dict[str, Any]], markdown: bool) -> str:
    head = [
        "dataset",
        "texts",
        "text fit s",
        "epochs",
        "1,000 texts s",
        "consistency (syn/holdout acc)",
        "detection AUC ours",
        "detection AUC placeholder",
        "MMD ours / placeholder / holdout",
        "replay ours / holdout",
        "training e-mails+phones in output",
        "guard rejection rate",
    ]
    lines = []
    for r in rows:
        lines.append(
            [
                r["dataset"],
                f"{r['texts']:,}",
                _fmt(r["fit_s_text"], 0),
                str(r["epochs"]),
                _fmt(r["sample_1000_s"], 1),
                f"{_fmt(r.get('ours.consistency'))} ({_fmt(r.get('ours.accuracy_synthetic'))}/"
                f"{_fmt(r.get('ours.accuracy_holdout'))})",
                _fmt(r.get("ours.embedding_detection")),
                _fmt(r.get("placeholder.embedding_detection")),
                f"{_fmt(r.get('ours.embedding_mmd'), 4)} / {_fmt(r.get('placeholder.embedding_mmd'), 4)} / "
                f"{_fmt(r.get('ours.embedding_mmd.reference'), 4)}",
                f"{_fmt(r.get('ours.replay_rate'), 4)} / {_fmt(r.get('ours.replay_rate.reference'), 4)}",
                str(r.get("ours.contact_leaks")),
                _fmt((r.get("guard") or {}).get("rejection_rate"), 4),
            ]
        )
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    return "\n".join("  ".join(f"{h}: {v}" for h, v in zip(head, line, strict=True)) for line in lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--max-minutes", type=float, default=12.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--temperature", type=float, default=None, help="sampling temperature (default: TextConfig's)")
    ap.add_argument("--top-p", type=float, default=None, help="nucleus sampling share (default: TextConfig's)")
    ap.add_argument("--dropout", type=float, default=None, help="model dropout (default: TextConfig's)")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other TextConfig setting, e.g. --set tie=true --set layers=2 (the value is read as JSON)",
    )
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    settings = {
        k: v
        for k, v in (("temperature", args.temperature), ("top_p", args.top_p), ("dropout", args.dropout))
        if v is not None
    }
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            settings[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            settings[key.strip()] = value
    rows = []
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        rows.append(_one(name, args.max_minutes, args.seed, settings))
        print(_table(rows[-1:], args.markdown), flush=True)
        last = rows[-1]
        arith = "bfloat16" if last["bfloat16"] else "float32"
        print(
            f"  ({last['model']}, {last['threads']} threads, {arith}; stopped by {last['stopped_by']}; "
            f"best validation loss {_fmt(last['val_loss'])})",
            flush=True,
        )
        if args.json is not None:
            args.json.write_text(json.dumps(rows, indent=1, default=str))
    print()
    print(_table(rows, args.markdown))


if __name__ == "__main__":
    main()
