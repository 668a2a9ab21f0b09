"""Column classification: which kind of personal data a column holds, and why we think so.

Two signals are combined. The values decide: a deterministic, evenly spread sample of the
non-blank values is run through each kind's vectorized validator, and a kind needs a high
share of valid values (`STRONG_RATE`) on its own. The header helps: when it names the kind
(姓名, 手机号, id_card ...), a moderate share (`HINTED_RATE`) is enough. A header never
suffices by itself, so an order-number column called 证件号码 whose values fail the
checksum is not a resident ID column (the evidence string still reports the header).

Classification is deterministic and keyless: the same column always gets the same answer.
To add a kind, add a `ColumnKind` member, a `Detector` in `DETECTORS` and an entry in each
of `policy.default_rule`'s tables (the tests flag a kind without one).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymize._text import ArrowColumn, as_text_array
from anonymize.validators import (
    plausible_date_mask,
    uscc_shape_mask,
    valid_address_mask,
    valid_bank_card_mask,
    valid_email_mask,
    valid_gps_coordinate_mask,
    valid_gps_pair_mask,
    valid_ip_mask,
    valid_landline_mask,
    valid_mobile_mask,
    valid_name_mask,
    valid_passport_mask,
    valid_plate_mask,
    valid_resident_id_mask,
    valid_uscc_mask,
)

__all__ = [
    "DETECTORS",
    "ColumnDetection",
    "ColumnKind",
    "Detector",
    "classify_column",
    "valid_mobile_mask",
    "valid_name_mask",
    "valid_resident_id_mask",
    "valid_uscc_mask",
]

STRONG_RATE = 0.8
HINTED_RATE = 0.5
# Added to the match rate when the header agrees, so a hinted kind wins a close call.
HEADER_BONUS = 0.1


class ColumnKind(StrEnum):
    """Kinds of personal data a column can hold; the values are stored in policies and APIs."""

    RESIDENT_ID = "resident_id"
    MOBILE = "mobile"
    NAME = "name"
    USCC = "uscc"
    BANK_CARD = "bank_card"
    LANDLINE = "landline"
    EMAIL = "email"
    IP_ADDRESS = "ip_address"
    PLATE = "plate"
    PASSPORT = "passport"
    BIRTH_DATE = "birth_date"
    GPS = "gps"
    ADDRESS = "address"
    # Values with no text form (lists, structs): nothing was inspected, so nothing is known.
    UNINSPECTED = "uninspected"
    OTHER = "other"


@dataclass(frozen=True)
class ColumnDetection:
    """A classification with its confidence (0-1) and a one-line reason a reviewer can read."""

    kind: ColumnKind
    confidence: float
    evidence: str


@dataclass(frozen=True)
class Detector:
    """How to recognise one kind: a validator over values and a pattern over headers.

    `header` is searched in the normalized header (lower case, words joined by `_`, so
    `IdCard`, `id-card` and `ID card` all read `id_card`); `noun` completes the evidence
    sentence "N of M sampled values are <noun>". `needs_header` marks validators that
    accept values other columns hold too (any date, any 4-decimal number): such a detector
    only fires when the header names its kind.
    """

    kind: ColumnKind
    validator: Callable[[ArrowColumn], pa.BooleanArray]
    header: re.Pattern[str]
    noun: str
    needs_header: bool = False
    weight: float = 1.0


DETECTORS: tuple[Detector, ...] = (
    Detector(
        ColumnKind.RESIDENT_ID,
        valid_resident_id_mask,
        re.compile(
            r"身份证|证件号|身份号码|(^|_)(id_?card|id_?(number|no|num)|resident_?id"
            r"|national_?id|citizen_?id|sfzh?)(_|$)"
        ),
        "valid resident ID numbers",
    ),
    Detector(
        ColumnKind.MOBILE,
        valid_mobile_mask,
        re.compile(r"手机|电话|联系方式|(^|_)(mobile|phone|cellphone|cell|tel|telephone)(_|$)"),
        "mainland mobile numbers",
    ),
    Detector(
        ColumnKind.NAME,
        valid_name_mask,
        re.compile(
            r"姓名|名字|联系人|^((full|real|customer|contact|person|legal|chinese|cn)_?)?name$"
        ),
        "Chinese personal names",
    ),
    Detector(
        ColumnKind.USCC,
        valid_uscc_mask,
        re.compile(r"信用代码|(^|_)(uscc|credit_?code|social_?credit(_?code)?)(_|$)"),
        "valid unified social credit codes",
    ),
    # Real registries hold codes that fail the GB 32100 check: under a credit-code header
    # the structure alone still qualifies, at a discounted confidence.
    Detector(
        ColumnKind.USCC,
        uscc_shape_mask,
        re.compile(r"信用代码|(^|_)(uscc|credit_?code|social_?credit(_?code)?)(_|$)"),
        "shaped like unified social credit codes (check character not verified)",
        needs_header=True,
        weight=0.7,
    ),
    Detector(
        ColumnKind.BANK_CARD,
        valid_bank_card_mask,
        re.compile(
            r"银行卡|卡号|账号|银行账户|(^|_)(bank_?card|card_?(no|number|num)|pan|account_?no)(_|$)"
        ),
        "bank card numbers passing the Luhn check",
    ),
    Detector(
        ColumnKind.LANDLINE,
        valid_landline_mask,
        re.compile(r"电话|座机|固话|传真|(^|_)(tel|telephone|phone|landline|fax)(_|$)"),
        "fixed-line numbers with an area code",
    ),
    Detector(
        ColumnKind.EMAIL,
        valid_email_mask,
        re.compile(r"邮箱|邮件|(^|_)(e_?mail|mail)(_|$)"),
        "e-mail addresses",
    ),
    Detector(
        ColumnKind.IP_ADDRESS,
        valid_ip_mask,
        re.compile(r"(^|_)ip(_?addr(ess)?|v4|v6)?(_|$)|IP地址|ip地址"),
        "IPv4 or IPv6 addresses",
    ),
    Detector(
        ColumnKind.PLATE,
        valid_plate_mask,
        re.compile(r"车牌|号牌|(^|_)(plate|license_?plate|plate_?(no|number))(_|$)"),
        "vehicle plates",
    ),
    Detector(
        ColumnKind.PASSPORT,
        valid_passport_mask,
        re.compile(r"护照|通行证|(^|_)(passport|permit)(_|$)"),
        "passport or travel permit numbers",
    ),
    Detector(
        ColumnKind.BIRTH_DATE,
        plausible_date_mask,
        re.compile(r"出生|生日|(^|_)(birth|birthday|dob|date_?of_?birth|birth_?date)(_|$)"),
        "plausible dates",
        needs_header=True,
    ),
    Detector(
        ColumnKind.GPS,
        valid_gps_pair_mask,
        re.compile(
            r"坐标|经纬度|位置|定位|(^|_)(gps|coord(inate)?s?|location|lat_?lng|latlon)(_|$)"
        ),
        "latitude/longitude pairs",
    ),
    Detector(
        ColumnKind.GPS,
        valid_gps_coordinate_mask,
        re.compile(r"经度|纬度|(^|_)(lat|lng|lon|latitude|longitude)(_|$)"),
        "coordinates with at least 4 decimals",
        needs_header=True,
    ),
    Detector(
        ColumnKind.ADDRESS,
        valid_address_mask,
        re.compile(r"地址|住址|住所|户籍|(^|_)(address|addr|street|residence)(_|$)"),
        "postal addresses",
    ),
)


def normalize_header(name: str) -> str:
    """Lower-case `name` and join its words with `_` (camelCase, spaces, dashes, dots)."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return re.sub(r"[\s\-.]+", "_", words).lower()


def sample_values(values: ArrowColumn, sample_size: int) -> pa.LargeStringArray:
    """Up to `sample_size` non-blank values as text, evenly spread over the column.

    Evenly spaced rather than random so the result is deterministic, and spread rather than
    the first rows so a column sorted or filled in batches is seen whole. Nulls, empty and
    whitespace-only strings carry no information and are left out.
    """
    present = pc.drop_null(values)
    # Thin very long columns before the (linear) text conversion; blanks are rare enough
    # that 8x headroom still leaves a full sample.
    if len(present) > 8 * sample_size:
        present = present.take(_evenly_spaced(len(present), 8 * sample_size))
    text = pc.utf8_trim_whitespace(as_text_array(present))
    text = text.filter(pc.greater(pc.utf8_length(text), 0))
    return text.take(_evenly_spaced(len(text), sample_size))


def _evenly_spaced(length: int, count: int) -> pa.Array:
    count = min(length, count)
    return pa.array(np.linspace(0, max(length - 1, 0), num=count).astype(np.int64))


@dataclass(frozen=True)
class _Score:
    detector: Detector
    matched: int
    sampled: int
    hinted: bool

    @property
    def rate(self) -> float:
        return self.matched / self.sampled

    @property
    def confidence(self) -> float:
        raw = min(1.0, self.rate + HEADER_BONUS) if self.hinted else self.rate
        return raw * self.detector.weight

    @property
    def qualifies(self) -> bool:
        if self.detector.needs_header and not self.hinted:
            return False
        return self.rate >= STRONG_RATE or (self.hinted and self.rate >= HINTED_RATE)

    @property
    def counts(self) -> str:
        return f"{self.matched:,} of {self.sampled:,} sampled values are {self.detector.noun}"


def classify_column(name: str, values: ArrowColumn, *, sample_size: int = 1000) -> ColumnDetection:
    """Classify one column by its header `name` and a sample of its `values`.

    Returns the qualifying kind with the highest confidence (match rate, plus
    `HEADER_BONUS` when the header agrees, capped at 1, times the detector's weight). When
    no kind qualifies the kind is `other` with confidence 1 - best match rate; an empty or
    all-null column is `other` with confidence 0; a column of nested values (lists,
    structs) is `uninspected`, which the default policy drops.
    """
    if sample_size < 1:
        raise ValueError("sample_size must be at least 1")
    try:
        sample = sample_values(values, sample_size)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return ColumnDetection(
            ColumnKind.UNINSPECTED,
            0.0,
            f"values of type {values.type} have no text form; not inspected",
        )
    if len(sample) == 0:
        return ColumnDetection(
            ColumnKind.OTHER, 0.0, f"no non-blank values among {len(values):,} rows to inspect"
        )
    scores = _scores(name, sample)
    qualifying = [score for score in scores if score.qualifies]
    if qualifying:
        best = max(qualifying, key=lambda score: score.confidence)
        evidence = best.counts + (f"; header {name!r} agrees" if best.hinted else "")
        return ColumnDetection(best.detector.kind, round(best.confidence, 4), evidence)
    return _no_kind(name, scores)


def _scores(name: str, sample: ArrowColumn) -> list[_Score]:
    """Every detector's score on the sample, and whether the header names its kind."""
    header = normalize_header(name)
    return [
        _Score(
            detector,
            matched=pc.sum(detector.validator(sample)).as_py() or 0,
            sampled=len(sample),
            hinted=detector.header.search(header) is not None,
        )
        for detector in DETECTORS
    ]


def _no_kind(name: str, scores: list[_Score]) -> ColumnDetection:
    """`other`, with confidence 1 - the best match rate among detectors that could explain
    the column, and the header's suggestions the values contradict."""
    # Detectors that need a header and lack one cannot explain the column.
    closest = max(
        (s for s in scores if s.hinted or not s.detector.needs_header), key=lambda s: s.rate
    )
    evidence = f"no kind matched: at best {closest.counts}"
    hinted = sorted({score.detector.kind.value for score in scores if score.hinted})
    if hinted:
        evidence += f"; header {name!r} suggests {', '.join(hinted)} but the values disagree"
    return ColumnDetection(ColumnKind.OTHER, round(1.0 - closest.rate, 4), evidence)
