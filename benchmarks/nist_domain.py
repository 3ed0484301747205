"""NIST CRC excerpts (national2019 and friends) as a categorical table over a public domain.

NIST's ``data_dictionary.json`` is the public domain: for each column either its codes, or a numeric range
``min``..``max`` with special codes beside it (``N`` = not applicable, ``501`` = above 5x poverty ...).
For the side-by-side DP benchmark every column becomes categorical: a numeric column is cut into
``bins`` equal-width bins over the dictionary's range (labels ``b0`` .. ``b9``, values outside it clipped),
its special codes kept as categories of their own. ``INDP`` (industry) has no code list in the dictionary
(only a link to the Census code book): its 264 codes are taken from NIST's ``national2019_schema.json``,
the schema NIST distributes with the excerpt.

Used by ``dp_nist.py``; also a documented example of turning a data dictionary into a public schema::

    frame, schema, notes = categorical_table(SHARED / "nist_crc_excerpts", "national2019", bins=10)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from simulacra.schema import ColumnKind, ColumnSpec, TableSchema


def _is_range(values: dict) -> bool:
    return "min" in values and "max" in values


def categorical_table(folder: Path, name: str, *, bins: int = 10) -> tuple[pd.DataFrame, TableSchema, list[str]]:
    """The excerpt as a table of text codes, its public schema (all categorical) and notes on sources."""
    raw = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
    dictionary = json.loads((folder / "data_dictionary.json").read_text())
    nist_schema = json.loads((folder / f"{name}_schema.json").read_text())["schema"]
    out: dict[str, pd.Series] = {}
    specs = []
    notes = []
    for col in raw.columns:
        values = dictionary[col].get("values", {})
        if _is_range(values):
            lo, hi = float(values["min"]), float(values["max"])
            specials = [str(k) for k in values if k not in ("min", "max")]
            x = raw[col]
            special = x.isin(specials)
            nums = pd.to_numeric(x.where(~special), errors="coerce").to_numpy(dtype=float)
            idx = np.clip(np.floor((nums - lo) / (hi - lo) * bins), 0, bins - 1)
            labels = np.where(special, x, np.char.add("b", np.nan_to_num(idx).astype(int).astype(str)))
            cats = specials + [f"b{i}" for i in range(bins)]
            out[col] = pd.Series(labels, dtype=object)
        else:
            cats = [str(k) for k in values]
            if not cats:
                cats = [str(v) for v in nist_schema[col]["values"]]
                notes.append(f"{col}: no code list in the dictionary; {len(cats)} codes from {name}_schema.json")
            out[col] = raw[col].astype(object)
        unknown = sorted(set(out[col]) - set(cats))
        if unknown:
            raise ValueError(f"{col}: values outside the public domain ({len(unknown)} distinct)")
        specs.append(ColumnSpec(col, ColumnKind.CATEGORICAL, "object", categories=tuple(cats)))
    return pd.DataFrame(out), TableSchema(columns=tuple(specs)), notes
