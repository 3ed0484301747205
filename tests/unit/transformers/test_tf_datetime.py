"""DatetimeTransformer: every supported storage round-trips; the inverse rounds, clips and formats."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
from _tf_helpers import assert_roundtrip, fit_transform
from hypothesis import given, settings
from hypothesis import strategies as st

from simulacra.schema import ColumnKind, ColumnSpec

FAST = settings(max_examples=30, deadline=None)
STAMPS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2068, 12, 30))
RESOLUTION = st.sampled_from([timedelta(days=1), timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1)])


def floor(d: datetime, res: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1)
    return epoch + ((d - epoch) // res) * res


def spec(dtype: str, **kw) -> ColumnSpec:
    return ColumnSpec(name="t", kind=ColumnKind.DATETIME, dtype=dtype, **kw)


@FAST
@given(st.lists(st.one_of(st.none(), STAMPS), min_size=1, max_size=20), RESOLUTION)
def test_text_strftime_roundtrip(values, res):
    fmt = "%Y-%m-%d %H:%M:%S"
    text = [None if v is None else floor(v, res).strftime(fmt) for v in values]
    assert_roundtrip([spec("str", datetime_format=fmt)], pd.DataFrame({"t": pd.Series(text, dtype="str")}))


@FAST
@given(st.lists(STAMPS, min_size=1, max_size=20))
def test_day_month_abbrev_roundtrip(values):
    fmt = "%d-%b-%y"
    text = [v.strftime(fmt) for v in values]
    t = assert_roundtrip([spec("str", datetime_format=fmt)], pd.DataFrame({"t": pd.Series(text, dtype="str")}))
    assert t.get_state()["resolution"] == "day"


@FAST
@given(
    st.lists(st.tuples(STAMPS, st.sampled_from([-480, -420, 0, 330])), min_size=1, max_size=20),
    st.sampled_from(["%Y-%m-%d %H:%M:%S %z", "%a %b %d %H:%M:%S %z %Y"]),
)
def test_offsets_roundtrip(values, fmt):
    text = [
        floor(v, timedelta(seconds=1)).replace(tzinfo=timezone(timedelta(minutes=m))).strftime(fmt) for v, m in values
    ]
    df = pd.DataFrame({"t": pd.Series(text, dtype="str")})
    t = assert_roundtrip([spec("str", datetime_format=fmt)], df)
    names = [c.name for c in t.output_columns]
    assert ("t.offset" in names) == (len({m for _, m in values}) > 1)


def test_colon_offsets_keep_spelling():
    text = ["2015-02-16T23:36:05-08:00", "2015-07-16T23:36:05-07:00", "2015-07-16T23:36:05Z"]
    assert_roundtrip([spec("str", datetime_format="%Y-%m-%dT%H:%M:%S%z")], pd.DataFrame({"t": text}))


@FAST
@given(st.lists(st.one_of(st.none(), STAMPS), min_size=1, max_size=20))
def test_yyyymmdd_int_roundtrip(values):
    ints = [None if v is None else int(v.strftime("%Y%m%d")) for v in values]
    dtype = "Int64" if None in ints else "int64"
    df = pd.DataFrame({"t": pd.array(ints, dtype=dtype)})
    assert_roundtrip([spec(dtype, datetime_format="%Y%m%d")], df)


@FAST
@given(st.lists(st.integers(0, 4_000_000_000), min_size=1, max_size=20), st.sampled_from(["epoch_s", "epoch_ms"]))
def test_epoch_roundtrip(values, fmt):
    df = pd.DataFrame({"t": np.array(values, dtype=np.int64)})
    assert_roundtrip([spec("int64", datetime_format=fmt)], df)


@FAST
@given(
    st.lists(st.one_of(st.none(), STAMPS), min_size=1, max_size=20),
    st.sampled_from(["ns", "us", "s"]),
    st.sampled_from([None, "UTC", "America/New_York", "Asia/Kolkata"]),
)
def test_native_roundtrip(values, unit, tz):
    s = pd.Series(pd.to_datetime(values)).astype(f"datetime64[{unit}]")
    s = s.dt.floor("s")
    if tz is not None:
        s = s.dt.tz_localize("UTC").dt.tz_convert(tz)
    df = pd.DataFrame({"t": s})
    assert_roundtrip([spec(str(s.dtype))], df)


def test_iso_text_without_format():
    assert_roundtrip([spec("str")], pd.DataFrame({"t": pd.Series(["2020-01-01", None, "2021-12-31"], dtype="str")}))
    assert_roundtrip([spec("str")], pd.DataFrame({"t": ["2020-01-01 10:00:00", "2021-12-31 23:59:59"]}))


def test_null_token_text():
    df = pd.DataFrame({"t": pd.Series(["2020-01-01", "?", "2021-12-31"], dtype="str")})
    assert_roundtrip([spec("str", datetime_format="%Y-%m-%d", null_token="?")], df)


@FAST
@given(st.integers(0, 2**32 - 1))
def test_inverse_rounds_clips_and_formats(seed):
    rng = np.random.default_rng(seed)
    text = ["2015-02-16 23:00:00 -0800", "2015-02-24 11:00:00 -0800", None]
    df = pd.DataFrame({"t": pd.Series(text, dtype="str")})
    t, _ = fit_transform([spec("str", datetime_format="%Y-%m-%d %H:%M:%S %z")], df)
    n = 300
    cont = rng.normal(1.424e9, 1e8, n)
    cont[:3] = [np.nan, np.inf, -np.inf]
    null = rng.integers(0, 2, n)
    out = t.inverse_transform({"t": cont, "t.null": null}, n, rng)["t"]
    assert out.isna().to_numpy().tolist() == (null == 1).tolist()
    kept = out.dropna()
    assert kept.str.fullmatch(r"2015-02-\d\d \d\d:00:00 -0800").all()
    parsed = pd.to_datetime(kept, format="%Y-%m-%d %H:%M:%S %z")
    assert parsed.min() >= pd.Timestamp("2015-02-16 23:00:00-0800")
    assert parsed.max() <= pd.Timestamp("2015-02-24 11:00:00-0800")


def test_native_inverse_dtype_and_resolution():
    s = pd.Series(pd.to_datetime(["2020-01-01", "2020-06-01"])).dt.tz_localize("Europe/Berlin")
    t, _ = fit_transform([spec(str(s.dtype))], pd.DataFrame({"t": s}))
    out = t.inverse_transform({"t": np.linspace(1.5e9, 1.6e9, 50)}, 50, np.random.default_rng(0))["t"]
    assert out.dtype == s.dtype
    assert (out.dt.hour == 0).all() and (out.dt.minute == 0).all()
    assert out.min() >= s.min() and out.max() <= s.max()


def test_unpadded_day_spelling_kept():
    text = ["9-Jul-18", "19-Jul-18", "1-Aug-18"]
    t = assert_roundtrip([spec("str", datetime_format="%d-%b-%y")], pd.DataFrame({"t": text}))
    assert t.get_state()["format_out"] == "%-d-%b-%y"
