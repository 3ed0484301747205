"""simulacra.profile on the shared real datasets: the expected kind of every column.

Judgement calls are commented beside the column and justified from the datasets' cards
(``../shared/datasets/*/README.md``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from simulacra import ColumnKind, GeoFormat, PiiType, profile, read_table

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"

if not DATASETS.is_dir():
    pytest.skip(f"shared datasets folder not found at {DATASETS}", allow_module_level=True)

NUM, CAT, DT, ID, PII, TEXT, GEO = (
    ColumnKind.NUMERIC,
    ColumnKind.CATEGORICAL,
    ColumnKind.DATETIME,
    ColumnKind.IDENTIFIER,
    ColumnKind.PII,
    ColumnKind.TEXT,
    ColumnKind.GEO,
)

ADULT = {
    "age": NUM,
    "workclass": CAT,  # " ?" stands for missing: kept as an ordinary category
    "fnlwgt": NUM,  # census weight: heavy-tailed, not unique
    "education": CAT,
    "education-num": NUM,  # 16 values; CTGAN's metadata marks it continuous
    "marital-status": CAT,
    "occupation": CAT,
    "relationship": CAT,
    "race": CAT,
    "sex": CAT,
    "capital-gain": NUM,
    "capital-loss": NUM,
    "hours-per-week": NUM,
    "native-country": CAT,
    "income": CAT,
}

NIST = {
    "PUMA": CAT,
    "AGEP": NUM,
    "SEX": CAT,
    "MSP": CAT,  # codes 1-6 + N ("not applicable" is one of the categories)
    "HISP": CAT,
    "RAC1P": CAT,
    "NOC": NUM,  # count of own children + N
    "NPF": NUM,  # persons in family + N
    "HOUSING_TYPE": CAT,
    "OWN_RENT": CAT,
    "DENSITY": NUM,  # float, constant within a PUMA: still a measure
    "INDP": CAT,  # 233-264 industry codes + N: sparse over their range and repeated
    "INDP_CAT": CAT,
    "EDU": CAT,  # ordinal 1-12 + N: the card allows categorical
    "PINCP": NUM,  # income + N
    "PINCP_DECILE": CAT,  # ordinal decile + N: categorical (10 codes)
    "POVPIP": NUM,  # 0-501 + N
    "DVET": CAT,  # about 99% N: the N-coded rule does not apply, it is a plain small set of strings
    "DREM": CAT,
    "DPHY": CAT,
    "DEYE": CAT,
    "DEAR": CAT,
    "PWGTP": NUM,
    "WGTP": NUM,
}

EXPECTED: dict[str, dict[str, ColumnKind]] = {
    "adult/adult.csv": ADULT,
    "california_housing/housing.csv": {
        "longitude": GEO,
        "latitude": GEO,
        "housing_median_age": NUM,
        "total_rooms": NUM,
        "total_bedrooms": NUM,
        "population": NUM,
        "households": NUM,
        "median_income": NUM,
        "median_house_value": NUM,
        "ocean_proximity": CAT,
    },
    "airline_tweets/Tweets.csv": {
        "tweet_id": ID,  # 18-digit ids, 155 repeats: name hint + 98.9% distinct
        "airline_sentiment": CAT,
        "airline_sentiment_confidence": NUM,
        "negativereason": CAT,
        "negativereason_confidence": NUM,
        "airline": CAT,
        "airline_sentiment_gold": CAT,
        "name": PII,  # user handles (username)
        "negativereason_gold": CAT,
        "retweet_count": NUM,  # zero-inflated count
        "text": TEXT,
        "tweet_coord": GEO,  # "[lat, lon]" text
        "tweet_created": DT,
        "tweet_location": TEXT,  # user-entered, 3,081 distinct short strings: free text, not categories
        "user_timezone": CAT,  # 85 values
    },
    "amazon_alexa_reviews/amazon_alexa.tsv": {
        "rating": CAT,  # ordinal 1-5: categorical
        "date": DT,
        "variation": CAT,
        "verified_reviews": TEXT,
        "feedback": CAT,
    },
    "nist_crc_excerpts/national2019.csv": NIST,
    "nist_crc_excerpts/ma2019.csv": NIST,
    "nist_crc_excerpts/tx2019.csv": NIST,
    "adult_census_extended/census_extended.parquet": {
        "id": ID,
        **ADULT,
        "dob": DT,  # "YYYY-MM-DD 00:00:00": datetime wins over PII (precedence)
        "address": PII,  # multi-line street addresses: street_address PII wins over free text
        "pob": CAT,  # 38 capital cities
    },
    "airbnb_barcelona/listings.csv": {
        "id": ID,
        "name": TEXT,  # listing titles
        "host_id": ID,  # repeated key (7,344 hosts): identifier, as the card says
        "host_name": PII,  # hosts' first names
        "neighbourhood_group": CAT,
        "neighbourhood": CAT,
        "latitude": GEO,
        "longitude": GEO,
        "room_type": CAT,
        "price": NUM,
        "minimum_nights": NUM,
        "number_of_reviews": NUM,
        "last_review": DT,
        "reviews_per_month": NUM,
        "calculated_host_listings_count": NUM,
        "availability_365": NUM,
        "number_of_reviews_ltm": NUM,
        # Licence numbers ("HUTB-…", "Exempt"): the card says "high-cardinality, ID-like"; identifier
        # (pattern of the commonest shape) rather than 4,929 categories.
        "license": ID,
    },
}

_cache: dict[str, tuple] = {}


def _profiled(rel: str):
    if rel not in _cache:
        frame = read_table(DATASETS / rel)
        start = time.perf_counter()
        schema = profile(frame)
        _cache[rel] = (frame, schema, time.perf_counter() - start)
    return _cache[rel]


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_every_column_gets_the_expected_kind(rel):
    frame, schema, _ = _profiled(rel)
    expected = EXPECTED[rel]
    assert set(expected) == set(frame.columns), "the table lists every column"
    wrong = {c: (schema[c].kind.value, k.value) for c, k in expected.items() if schema[c].kind is not k}
    assert not wrong, f"(got, expected) per column: {wrong}"
    assert schema.n_rows == len(frame)
    for spec in schema:
        assert spec.dtype == str(frame[spec.name].dtype)
        assert spec.evidence


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_profiling_is_fast(rel):
    _, _, seconds = _profiled(rel)
    assert seconds < 3.0, f"{rel}: {seconds:.2f} s"


def test_details_that_later_stages_rely_on():
    _, adult, seconds = _profiled("adult/adult.csv")
    assert seconds < 1.0
    assert " ?" in adult["workclass"].categories and adult["workclass"].null_rate == 0
    assert adult["age"].minimum == 17 and adult["age"].maximum == 90

    _, nist, _ = _profiled("nist_crc_excerpts/national2019.csv")
    assert nist["PINCP"].null_token == "N" and nist["POVPIP"].null_token == "N"
    assert "N" in nist["MSP"].categories

    _, tweets, _ = _profiled("airline_tweets/Tweets.csv")
    assert tweets["name"].pii_type is PiiType.USERNAME
    assert tweets["tweet_coord"].geo_format is GeoFormat.LATLON_TEXT
    assert tweets["tweet_created"].datetime_format == "%Y-%m-%d %H:%M:%S %z"
    assert tweets["negativereason"].missing_as_category is True

    _, alexa, _ = _profiled("amazon_alexa_reviews/amazon_alexa.tsv")
    assert alexa["date"].datetime_format == "%d-%b-%y"
    assert "Charcoal Fabric " in alexa["variation"].categories

    _, census, _ = _profiled("adult_census_extended/census_extended.parquet")
    assert census["address"].pii_type is PiiType.STREET_ADDRESS
    assert census["dob"].datetime_format == "%Y-%m-%d %H:%M:%S"

    _, airbnb, _ = _profiled("airbnb_barcelona/listings.csv")
    assert airbnb["host_name"].pii_type is PiiType.FIRST_NAME
    assert airbnb["latitude"].geo_partner == "longitude"
    assert airbnb["last_review"].datetime_format == "%Y-%m-%d"

    _, housing, _ = _profiled("california_housing/housing.csv")
    assert housing["latitude"].geo_format is GeoFormat.LATITUDE
    assert "ISLAND" in housing["ocean_proximity"].rare_categories
