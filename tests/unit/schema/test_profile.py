"""Behaviour of simulacra.profile on tiny synthetic tables, one kind or format at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulacra import ColumnKind, GeoFormat, InputError, ParameterError, PiiType, TableSchema, profile

N = 60


def one(values: list, name: str = "col", **kwargs: object):
    """Profile a one-column frame and return its spec."""
    return profile(pd.DataFrame({name: values}), **kwargs)[name]


def cycle(values: list, n: int = N) -> list:
    return [values[i % len(values)] for i in range(n)]


# -- numeric --------------------------------------------------------------------------------------------
def test_integer_measure_is_numeric_with_bounds():
    rng = np.random.default_rng(0)
    spec = one(list(rng.integers(17, 91, size=500)), name="age")
    assert spec.kind is ColumnKind.NUMERIC
    assert spec.is_integer is True and spec.decimals == 0
    assert isinstance(spec.minimum, int) and isinstance(spec.maximum, int)
    assert spec.dtype == "int64"


def test_float_decimals_and_bounds():
    spec = one(cycle([1.25, 3.5, 2.0, 10.75, 0.125]), name="x")
    assert spec.kind is ColumnKind.NUMERIC
    assert spec.is_integer is False
    assert spec.decimals == 3
    assert spec.minimum == 0.125 and spec.maximum == 10.75
    assert isinstance(spec.minimum, float)


def test_float_column_of_whole_numbers_has_zero_decimals():
    spec = one([float(i * 7 % 101) for i in range(200)], name="rooms")
    assert spec.kind is ColumnKind.NUMERIC and spec.decimals == 0 and spec.is_integer is True


def test_numbers_as_text_with_null_token_are_numeric():
    values = [str(v) for v in np.random.default_rng(1).integers(0, 90000, size=200)]
    values[::10] = ["N"] * len(values[::10])
    frame = pd.DataFrame({"income": values})
    frame.loc[5, "income"] = None
    spec = profile(frame)["income"]
    assert spec.kind is ColumnKind.NUMERIC
    assert spec.null_token == "N"
    assert spec.null_rate == pytest.approx(21 / 200)
    assert spec.is_integer is True


def test_count_with_null_token_is_numeric():
    # 0..7 children, rarer as the count grows, plus "N" for not applicable
    counts = [0] * 300 + [1] * 150 + [2] * 90 + [3] * 40 + [4] * 20 + [5] * 8 + [6] * 4 + [7] * 2
    values = [str(c) for c in counts] + ["N"] * 60
    spec = one(values, name="NOC")
    assert spec.kind is ColumnKind.NUMERIC and spec.null_token == "N"


def test_many_dense_integers_are_numeric_not_categorical():
    spec = one(cycle(list(range(1, 17)), 800), name="education-num")
    assert spec.kind is ColumnKind.NUMERIC


# -- categorical ----------------------------------------------------------------------------------------
def test_booleans_are_categorical_with_native_values():
    spec = one(cycle([True, True, False]), name="flag")
    assert spec.kind is ColumnKind.CATEGORICAL
    assert spec.categories == (True, False)
    assert all(isinstance(c, bool) for c in spec.categories)


def test_categories_keep_spelling_and_order_by_frequency_then_value():
    values = [" b"] * 20 + [" a"] * 20 + [" c"] * 30 + [" ?"] * 5
    spec = one(values, name="workclass")
    assert spec.kind is ColumnKind.CATEGORICAL
    assert spec.categories == (" c", " a", " b", " ?")
    assert spec.null_rate == 0.0  # "?" is an ordinary category, not a null
    assert spec.rare_categories == (" ?",)


def test_rare_threshold_parameter():
    values = ["x"] * 30 + ["y"] * 12 + ["z"] * 3
    assert one(values, rare_threshold=10).rare_categories == ("z",)
    assert one(values, rare_threshold=20).rare_categories == ("y", "z")


def test_small_integer_codes_are_categorical_ints():
    spec = one(cycle([5, 5, 5, 4, 1, 3, 2], 70), name="rating")
    assert spec.kind is ColumnKind.CATEGORICAL
    assert spec.categories == (5, 1, 2, 3, 4)
    assert all(type(c) is int for c in spec.categories)


def test_binary_ints_are_categorical():
    assert one(cycle([0, 1, 1]), name="feedback").kind is ColumnKind.CATEGORICAL


def test_codes_with_null_token_are_categorical_with_token_as_category():
    values = cycle(["1", "1", "6", "N", "4", "2", "3", "5"], 200)
    spec = one(values, name="MSP")
    assert spec.kind is ColumnKind.CATEGORICAL
    assert "N" in spec.categories and spec.null_token is None
    assert all(isinstance(c, str) for c in spec.categories)


def test_sparse_repeated_integer_codes_as_text_are_categorical():
    rng = np.random.default_rng(3)
    codes = rng.choice(np.arange(170, 9921, 37), size=60, replace=False)
    values = [str(c) for c in rng.choice(codes, size=3000)] + ["N"] * 1000
    spec = one(values, name="industry")
    assert spec.kind is ColumnKind.CATEGORICAL


def test_real_nulls_in_categorical_are_a_category_of_their_own():
    values = cycle(["a", "b", None, "b"])
    spec = one(values, name="c")
    assert spec.kind is ColumnKind.CATEGORICAL
    assert spec.null_rate == pytest.approx(0.25)
    assert spec.missing_as_category is True
    assert None not in spec.categories


def test_informative_missingness_is_recorded():
    sentiment = cycle(["negative", "neutral", "positive", "negative"], 200)
    reason = [("late" if i % 3 else "lost") if s == "negative" else None for i, s in enumerate(sentiment)]
    schema = profile(pd.DataFrame({"sentiment": sentiment, "reason": reason}))
    assert any("informative" in e for e in schema["reason"].evidence)


# -- datetime -------------------------------------------------------------------------------------------
DATES = pd.date_range("2018-05-16", periods=N, freq="37h")


@pytest.mark.parametrize(
    "fmt",
    [
        "%Y-%m-%d",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%d-%b-%y",
        "%m/%d/%Y",
        "%d/%m/%Y",
        "%d.%m.%Y",
    ],
)
def test_date_strings_get_their_format(fmt):
    spec = one([d.strftime(fmt) for d in DATES], name="when")
    assert spec.kind is ColumnKind.DATETIME
    assert spec.datetime_format == fmt
    assert spec.minimum < spec.maximum


def test_midnight_datetimes_keep_their_time_part():
    spec = one([d.strftime("%Y-%m-%d 00:00:00") for d in DATES], name="dob")
    assert spec.kind is ColumnKind.DATETIME and spec.datetime_format == "%Y-%m-%d %H:%M:%S"


def test_offset_datetimes():
    values = [d.strftime("%Y-%m-%d %H:%M:%S") + " -0800" for d in DATES]
    spec = one(values, name="created")
    assert spec.kind is ColumnKind.DATETIME
    assert spec.datetime_format == "%Y-%m-%d %H:%M:%S %z"
    assert spec.timezone == "UTC-08:00"


def test_ambiguous_day_month_prefers_month_first_and_says_so():
    values = [f"{m:02d}/{d:02d}/2020" for m in range(1, 13) for d in range(1, 13)]
    spec = one(values, name="d")
    assert spec.datetime_format == "%m/%d/%Y"
    assert any("ambiguous" in e for e in spec.evidence)


def test_native_datetimes_naive_and_aware():
    naive = one(list(DATES), name="t")
    assert naive.kind is ColumnKind.DATETIME and naive.datetime_format is None and naive.timezone is None
    aware = one(list(DATES.tz_localize("Europe/Madrid")), name="t")
    assert aware.kind is ColumnKind.DATETIME and aware.timezone == "Europe/Madrid"
    assert aware.minimum.startswith("2018-05-16")


def test_yyyymmdd_integers_are_dates():
    spec = one([int(d.strftime("%Y%m%d")) for d in DATES], name="day")
    assert spec.kind is ColumnKind.DATETIME
    assert spec.datetime_format == "%Y%m%d"
    assert spec.minimum == "2018-05-16"


def test_epoch_seconds_and_milliseconds_need_a_time_name():
    seconds = [int(d.timestamp()) for d in DATES]
    assert one(seconds, name="created_at").datetime_format == "epoch_s"
    assert one([s * 1000 for s in seconds], name="event_ts").datetime_format == "epoch_ms"
    assert one(seconds, name="amount").kind is ColumnKind.NUMERIC


# -- identifiers ----------------------------------------------------------------------------------------
def test_sequential_ints_are_identifier():
    spec = one(list(range(1, 101)), name="row")
    assert spec.kind is ColumnKind.IDENTIFIER and spec.pattern in {"99", "999"}


def test_unique_random_ints_without_hint_stay_numeric():
    values = list(np.random.default_rng(0).choice(10**6, size=300, replace=False))
    assert one(values, name="weight").kind is ColumnKind.NUMERIC


def test_named_id_with_repeats_is_identifier():
    rng = np.random.default_rng(1)
    values = list(rng.integers(10**17, 10**18, size=300))
    values[:4] = values[4:8]
    spec = one(values, name="tweet_id")
    assert spec.kind is ColumnKind.IDENTIFIER
    assert spec.pattern == "9" * 18


def test_uuid_and_code_identifiers():
    import uuid

    rng = np.random.default_rng(2)
    uuids = [str(uuid.UUID(int=int(rng.integers(0, 2**62)) << 60)) for _ in range(N)]
    assert one(uuids, name="ref").kind is ColumnKind.IDENTIFIER
    codes = [f"ABC-{10000 + i * 7}" for i in range(N)]
    spec = one(codes, name="order")
    assert spec.kind is ColumnKind.IDENTIFIER and spec.pattern == "AAA-99999"


def test_unique_floats_are_not_identifiers():
    values = list(np.random.default_rng(0).normal(size=200))
    assert one(values, name="id").kind is ColumnKind.NUMERIC


# -- pii ------------------------------------------------------------------------------------------------
FIRST = ["James", "Maria", "Robert", "Lucia", "Michael", "Laura", "David", "Marta", "John", "Elena",
         "William", "Sofia", "Thomas", "Carmen", "Daniel", "Paula", "Joseph", "Ana", "Charles", "Sara",
         "Pablo", "Jordi", "Emma", "Olivia"]  # fmt: skip
LAST = ["Smith", "Garcia", "Johnson", "Martinez", "Brown", "Lopez", "Jones", "Sanchez", "Miller", "Perez",
        "Davis", "Gomez", "Wilson", "Diaz", "Moore", "Romero", "Taylor", "Navarro", "Anderson", "Torres"]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "values", "pii"),
    [
        ("contact", [f"user{i}@example.com" for i in range(N)], PiiType.EMAIL),
        ("tel", [f"+1 (555) {100 + i:03d}-{1000 + 7 * i:04d}" for i in range(N)], PiiType.PHONE),
        ("tel2", [f"555-{100 + i:03d}-{1000 + 7 * i:04d}" for i in range(N)], PiiType.PHONE),
        ("ssn", [f"{100 + i:03d}-{10 + i % 80:02d}-{1000 + i:04d}" for i in range(N)], PiiType.NATIONAL_ID),
        ("who", cycle([f"{f} {ln}" for f, ln in zip(FIRST, LAST * 2, strict=False)]), PiiType.PERSON_NAME),
        ("host_name", cycle(FIRST), PiiType.FIRST_NAME),
        ("surname", cycle(LAST), PiiType.LAST_NAME),
        (
            "address",
            [
                f"{10 + i} {LAST[i % 20]} {['Street', 'Avenue', 'Road', 'Lane'][i % 4]}\nSpringfield, IL"
                for i in range(N)
            ],
            PiiType.STREET_ADDRESS,
        ),
        ("screen_name", [f"{FIRST[i % 24].lower()}_{i}x" for i in range(N)], PiiType.USERNAME),
        ("who2", [f"@{FIRST[i % 24].lower()}{i}" for i in range(N)], PiiType.USERNAME),
    ],
)
def test_pii_types(name, values, pii):
    spec = one(values, name=name)
    assert spec.kind is ColumnKind.PII, spec.evidence
    assert spec.pii_type is pii


def _iban(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def test_iban_needs_a_valid_checksum():
    good = [_iban("ES", f"2100{i:04d}{5000 + i:012d}") for i in range(N)]
    spec = one(good, name="acct")
    assert spec.kind is ColumnKind.PII and spec.pii_type is PiiType.IBAN
    bad = [v[:2] + ("00" if v[2:4] != "00" else "01") + v[4:] for v in good]
    assert one(bad, name="acct").pii_type is not PiiType.IBAN


def test_pii_locale_is_recorded():
    spec = one([f"user{i}@example.com" for i in range(N)], name="email", locale="es_ES")
    assert spec.locale == "es_ES"


def test_low_cardinality_words_that_are_also_surnames_are_not_names():
    spec = one(["White"] * 50 + ["Black"] * 10 + ["Asian"] * 5, name="race")
    assert spec.kind is ColumnKind.CATEGORICAL


# -- text -----------------------------------------------------------------------------------------------
def test_long_unique_strings_are_text():
    words = ["flight", "late", "great", "crew", "bag", "lost", "thanks", "seat", "gate", "delay"]
    rng = np.random.default_rng(0)
    values = [" ".join(rng.choice(words, size=12)) for _ in range(N)]
    spec = one(values, name="review")
    assert spec.kind is ColumnKind.TEXT


# -- geo ------------------------------------------------------------------------------------------------
def test_lat_lon_pair():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"lat": rng.uniform(41.3, 41.5, size=N).round(5), "lng": rng.uniform(2.0, 2.3, size=N).round(5)}
    )
    schema = profile(frame)
    lat, lon = schema["lat"], schema["lng"]
    assert lat.kind is ColumnKind.GEO and lat.geo_format is GeoFormat.LATITUDE and lat.geo_partner == "lng"
    assert lon.kind is ColumnKind.GEO and lon.geo_format is GeoFormat.LONGITUDE and lon.geo_partner == "lat"
    assert lat.decimals == 5 and 41.3 <= lat.minimum <= lat.maximum <= 41.5


def test_lat_lon_names_without_valid_ranges_are_numeric():
    frame = pd.DataFrame({"latitude": np.linspace(100.5, 300.5, N), "longitude": np.linspace(0.5, 1.5, N)})
    assert profile(frame)["latitude"].kind is ColumnKind.NUMERIC


def test_latlon_text_and_wkt():
    rng = np.random.default_rng(0)
    lats, lons = rng.uniform(30, 45, size=N).round(6), rng.uniform(-120, -70, size=N).round(6)
    coords = [f"[{a}, {b}]" for a, b in zip(lats, lons, strict=True)]
    coords[::3] = [None] * len(coords[::3])
    spec = one(coords, name="coord")
    assert spec.kind is ColumnKind.GEO and spec.geo_format is GeoFormat.LATLON_TEXT
    assert spec.missing_as_category is True
    wkt = [f"POINT ({b} {a})" for a, b in zip(lats, lons, strict=True)]
    assert one(wkt, name="geom").geo_format is GeoFormat.WKT_POINT


# -- errors, evidence, JSON, determinism ----------------------------------------------------------------
def test_mixed_numbers_and_text_raise_without_values():
    values = [str(1000 + 13 * i) for i in range(200)]
    values[17] = "secretword"
    values[50] = "otherword"
    values[90] = "thirdword"
    with pytest.raises(InputError) as err:
        one(values, name="amount")
    message = str(err.value)
    assert "amount" in message and "row 18" in message and "set its kind in the schema" in message
    assert "secretword" not in message and "otherword" not in message and "1000" not in message
    assert "\n" not in message


def test_check_frame_runs_first():
    with pytest.raises(InputError):
        profile(pd.DataFrame({"a": [1]}))
    with pytest.raises(ParameterError):
        profile(pd.DataFrame({"a": [1, 2]}), rare_threshold=0)


def _mixed_frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "age": rng.integers(18, 90, size=n),
            "city": rng.choice(["Zorbaville", "Quuxton", "Blorpburg"], size=n),
            "score": rng.normal(size=n).round(3),
            "email": [f"person{i}@mailhost.org" for i in range(n)],
            "when": [d.strftime("%Y-%m-%d") for d in pd.date_range("2020-01-01", periods=n)],
            "note": [None if i % 4 else "Quuxton rocks" for i in range(n)],
        }
    )


def test_evidence_is_recorded_and_free_of_cell_values():
    frame = _mixed_frame()
    schema = profile(frame)
    secrets = ["Zorbaville", "Quuxton", "Blorpburg", "person1@", "mailhost", "2020-01-0"]
    for spec in schema:
        assert spec.evidence, spec.name
        for line in spec.evidence:
            assert not any(s in line for s in secrets), (spec.name, line)


def test_schema_json_round_trip_and_determinism():
    frame = _mixed_frame()
    schema = profile(frame)
    assert TableSchema.from_json(schema.to_json()) == schema
    assert profile(frame) == schema
    assert schema.n_rows == len(frame)
    assert [c.dtype for c in schema] == [str(frame[c].dtype) for c in frame.columns]


def test_sampling_keeps_statistics_over_all_rows():
    values = [*range(1000), 10**6]
    frame = pd.DataFrame({"amount": values, "cat": ["a"] * 1000 + ["rare"]})
    schema = profile(frame, sample_rows=50, random_state=3)
    assert schema["amount"].maximum == 10**6
    assert "rare" in schema["cat"].categories
    assert profile(frame, sample_rows=50, random_state=3) == schema
