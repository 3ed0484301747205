"""Recognise points in time: native datetimes, date strings in common formats, date-like integers.

A string format is chosen on a small sample (the format under which most values parse and print back
identically) and then verified on every non-missing value: at least ``PARSE_RATE`` must parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DatetimeFinding", "detect_datetime_ints", "detect_datetime_native", "detect_datetime_text"]

PARSE_RATE = 0.99
PROBE_SIZE = 200

# Tried in this order; on a tie (same parse and round-trip rates) the earlier format wins, so the
# month-first reading of ambiguous slashed dates is preferred over day-first.
FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%y",
    "%d/%m/%y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%a %b %d %H:%M:%S %z %Y",
    "%Y-%m",
)
_TIME_HINTS = ("time", "date", "ts", "timestamp", "created", "updated", "modified", "epoch", "at", "dt", "when")
_CANDIDATE = re.compile(r"[0-9A-Za-z :/.,+\-TZ]{6,40}")
EPOCH_S_RANGE = (631_152_000, 4_102_444_800)  # 1990-01-01 .. 2100-01-01
YMD_RANGE = (19_000_101, 21_001_231)


@dataclass(frozen=True)
class DatetimeFinding:
    datetime_format: str | None
    minimum: str
    maximum: str
    timezone: str | None
    evidence: str


def _iso(ts: pd.Timestamp, date_only: bool) -> str:
    return ts.date().isoformat() if date_only else ts.isoformat()


def _bounds(parsed: pd.Series, date_only: bool) -> tuple[str, str]:
    return _iso(parsed.min(), date_only), _iso(parsed.max(), date_only)


def _has_time(fmt: str) -> bool:
    return any(code in fmt for code in ("%H", "%M", "%S"))


def detect_datetime_native(series: pd.Series) -> DatetimeFinding:
    values = series.dropna()
    tz = getattr(series.dt, "tz", None)
    lo, hi = _bounds(values, date_only=False)
    where = f", time zone {tz}" if tz is not None else ""
    return DatetimeFinding(None, lo, hi, str(tz) if tz is not None else None, f"native datetime dtype{where}")


def _parse(values: pd.Series, fmt: str) -> pd.Series:
    try:
        return pd.to_datetime(values, format=fmt, errors="coerce")
    except (ValueError, TypeError):
        # mixed UTC offsets: compare instants in UTC
        return pd.to_datetime(values, format=fmt, errors="coerce", utc=True)


def detect_datetime_text(values: pd.Series, sample: pd.Series) -> DatetimeFinding | None:
    """``values``: all non-missing strings; ``sample``: a seeded sample of them for choosing the format."""
    probe = sample.iloc[:PROBE_SIZE].astype(str)
    if len(probe) == 0 or probe.map(lambda v: bool(_CANDIDATE.fullmatch(v))).mean() < 0.9:
        return None
    if not probe.str.contains(r"\d", regex=True).all():
        return None
    best: tuple[float, float, int] | None = None
    best_fmt = None
    for i, fmt in enumerate(FORMATS):
        parsed = _parse(probe, fmt)
        ok = parsed.notna()
        rate = float(ok.mean())
        if rate < PARSE_RATE:
            continue
        try:
            written = parsed[ok].dt.strftime(fmt)
            same = float((written == probe[ok]).mean())
        except (ValueError, AttributeError):
            same = 0.0
        key = (rate, same, -i)
        if best is None or key > best:
            best, best_fmt = key, fmt
    if best_fmt is None or best is None:
        return None
    parsed = _parse(values.astype(str), best_fmt)
    rate = float(parsed.notna().mean())
    if rate < PARSE_RATE:
        return None
    timezone = None
    if "%z" in best_fmt:
        tz = getattr(parsed.dt, "tz", None)
        timezone = str(tz) if tz is not None else None
    elif best_fmt.endswith("Z"):
        timezone = "UTC"
    lo, hi = _bounds(parsed.dropna(), date_only=not _has_time(best_fmt))
    note = ""
    if best_fmt.startswith(("%m/%d", "%d/%m")):
        other = best_fmt.replace("%m/%d", "%D/%M").replace("%d/%m", "%m/%d").replace("%D/%M", "%d/%m")
        if float(_parse(probe, other).notna().mean()) >= PARSE_RATE:
            note = " (day and month order ambiguous: no day above 12 in the sample; month first assumed)"
    evidence = (
        f"{100 * rate:.1f}% of {len(values)} values parse with {best_fmt!r} "
        f"({100 * best[1]:.0f}% of the probe prints back identically){note}: datetime"
    )
    return DatetimeFinding(best_fmt, lo, hi, timezone, evidence)


def detect_datetime_ints(values: np.ndarray, tokens: list[str]) -> DatetimeFinding | None:
    """yyyymmdd integers (any name) or epoch seconds/milliseconds (only when the name hints at time)."""
    if len(values) == 0:
        return None
    lo, hi = int(values.min()), int(values.max())
    if YMD_RANGE[0] <= lo and hi <= YMD_RANGE[1]:
        parsed = pd.to_datetime(pd.Series(values.astype("int64").astype(str)), format="%Y%m%d", errors="coerce")
        if parsed.notna().all():
            lo_s, hi_s = _bounds(parsed, date_only=True)
            return DatetimeFinding(
                "%Y%m%d", lo_s, hi_s, None, "all values are 8-digit integers that are valid yyyymmdd dates: datetime"
            )
    hinted = any(t in _TIME_HINTS for t in tokens) or any(
        h in t for t in tokens for h in ("time", "date", "epoch", "created")
    )
    if not hinted:
        return None
    for unit, scale in (("epoch_s", 1), ("epoch_ms", 1000)):
        if EPOCH_S_RANGE[0] * scale <= lo and hi <= EPOCH_S_RANGE[1] * scale:
            parsed = pd.to_datetime(pd.Series(values.astype("int64")), unit="s" if scale == 1 else "ms")
            lo_s, hi_s = _bounds(parsed, date_only=False)
            what = "seconds" if scale == 1 else "milliseconds"
            return DatetimeFinding(
                unit,
                lo_s,
                hi_s,
                None,
                f"integers within the 1990-2100 range of epoch {what} and the column name hints at time: datetime",
            )
    return None
