"""Vectorized validators: one boolean per value, for whole Arrow columns.

Each validator returns a `pa.BooleanArray` as long as its input, True where the value is a
valid instance of the kind, False otherwise; a null is always False (nothing to protect).
Values are compared after `as_text`, NFKC normalization (full-width digits and letters
count as their ASCII forms) and trimming surrounding whitespace. The work is
regex matching in Arrow plus numpy arithmetic over byte matrices, never a Python call per
value, so a validator can run over a full column and not only a sample. All validators are
deterministic and keyless; the resident ID one depends on today's date (no future births).
"""

import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymize import _kernels
from anonymize._buffers import fixed_width_match
from anonymize._text import (
    ArrowColumn,
    as_text_array,
    nfkc,
    remove_matches,
    upper,
)
from anonymize.checksums import USCC_ALPHABET, USCC_AUTHORITIES
from anonymize.surnames import COMMON_SURNAMES, COMPOUND_SURNAMES, NON_NAME_SUFFIXES

# Mainland mobile numbers: 1, a second digit 3-9, then 9 digits; optionally behind the
# country code written +86, 0086 or 86. Any spaces and dashes are removed first.
MOBILE_SEPARATORS = r"[\s\-]"
MOBILE_PATTERN = r"^(?:\+86|0086|86)?1[3-9][0-9]{9}$"

# Fixed-width shapes, one class of allowed characters per position (`fixed_width_match`):
# the regexes ^[0-9]{17}[0-9X]$, ^[0-9]{15}$ and the USCC's
# ^[authority][alphabet][0-9]{6}[alphabet]{10}$, checked on bytes.
_DIGITS = "0123456789"
_RESIDENT_ID_18 = [_DIGITS] * 17 + [_DIGITS + "X"]
_RESIDENT_ID_15 = [_DIGITS] * 15
_USCC_SHAPE = [USCC_AUTHORITIES, USCC_ALPHABET] + [_DIGITS] * 6 + [USCC_ALPHABET] * 10
_NAME_PATTERN = r"^\p{Han}{2,4}$"


def _normalized(values: ArrowColumn) -> pa.LargeStringArray:
    """Text, NFKC-normalized (full-width １３８ and Ｘ become 138 and X), trimmed, upper."""
    return upper(pc.utf8_trim_whitespace(nfkc(as_text_array(values))))


def valid_resident_id_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Vector form of `checksums.is_valid_resident_id` (18-digit and legacy 15-digit forms).

    Candidates are first narrowed by shape (17 digits then a digit or X, or 15 digits),
    then the province, birth date and MOD 11-2 check character are computed for all
    candidates at once from their byte codes.
    """
    text = _normalized(values)
    today = datetime.date.today()
    valid = np.zeros(len(text), dtype=bool)
    for shape, kernel in (
        (_RESIDENT_ID_18, _kernels.valid_resident_id_18),
        (_RESIDENT_ID_15, _kernels.valid_resident_id_15),
    ):
        rows, codes = fixed_width_match(text, shape)
        if rows.size:
            valid[rows] = kernel(codes, today=today)
    return pa.array(valid, type=pa.bool_())


def uscc_shape_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value has the structure of a USCC, whatever its check character.

    Some codes in real registries fail the GB 32100 check; under a credit-code header this
    shape is weaker evidence (lower confidence), not a reason to leave the column unmasked.
    """
    text = _normalized(values)
    shaped = np.zeros(len(text), dtype=bool)
    shaped[fixed_width_match(text, _USCC_SHAPE)[0]] = True
    return pa.array(shaped, type=pa.bool_())


def valid_uscc_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Vector form of `checksums.is_valid_uscc` (structure, region, MOD 31 check char)."""
    text = _normalized(values)
    valid = np.zeros(len(text), dtype=bool)
    rows, codes = fixed_width_match(text, _USCC_SHAPE)
    if rows.size:
        valid[rows] = _kernels.valid_uscc(codes)
    return pa.array(valid, type=pa.bool_())


def valid_mobile_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is a mainland mobile number, in any common written form.

    `13812345678`, `+86 138 1234 5678`, `0086-138-1234-5678` and an int64 13812345678 are
    all accepted. This is the numbering-plan structure, not the live allocation: a number
    under a prefix no carrier has been assigned yet (e.g. 140) is still accepted, because
    a detector should not go stale when the regulator opens a new prefix.
    """
    compact = remove_matches(_normalized(values), MOBILE_SEPARATORS)
    return pc.fill_null(pc.match_substring_regex(compact, MOBILE_PATTERN), False)


def valid_name_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value looks like a Chinese personal name.

    2 to 4 Han characters, starting with a common surname (`COMMON_SURNAMES`) or, for
    names of 3 or 4 characters, a compound one (`COMPOUND_SURNAMES`), and not ending in a
    place or organisation suffix (`NON_NAME_SUFFIXES`). A heuristic: on its own it cannot
    tell 金星 the person from 金星 the planet, which is why detection also weighs the
    column header and the share of matching values.
    """
    text = pc.utf8_trim_whitespace(as_text_array(values))
    shape_ok = pc.match_substring_regex(text, _NAME_PATTERN)
    first = pc.utf8_slice_codeunits(text, 0, 1)
    last = pc.utf8_slice_codeunits(text, -1)
    single = pc.is_in(first, value_set=pa.array(sorted(COMMON_SURNAMES), pa.large_string()))
    compound = pc.and_(
        pc.is_in(
            pc.utf8_slice_codeunits(text, 0, 2),
            value_set=pa.array(sorted(COMPOUND_SURNAMES), pa.large_string()),
        ),
        pc.greater_equal(pc.utf8_length(text), 3),
    )
    place = pc.is_in(last, value_set=pa.array(sorted(NON_NAME_SUFFIXES), pa.large_string()))
    looks_like_name = pc.and_(pc.and_(shape_ok, pc.or_(single, compound)), pc.invert(place))
    return pc.fill_null(looks_like_name, False)


# --- Identifiers and contact data beyond the checksum-backed four ------------------------

# Bank cards: 16-19 digits (ISO/IEC 7812) whose first digit is a major industry identifier
# used by card schemes (3 travel/entertainment, 4-5 banking, 6 UnionPay and Discover) and
# that pass the Luhn check. Order numbers and serials start with a date ("20...") and fail.
_CARD_SCHEMES = "3456"
# Landlines: 0, an area code (010 and 02x take an 8-digit local number; 0xxx codes take 7
# or 8), a local number that does not start with 0 or 1, and an optional extension.
LANDLINE_SEPARATORS = r"[\s\-()（）]"
_LANDLINE_PATTERN = (
    r"^(?:\+86|0086)?(?:0(?:10|2[0-9])[2-9][0-9]{7}|0[3-9][0-9]{2}[2-9][0-9]{6,7})"
    r"(?:(?:转|ext\.?|#|,)[0-9]{1,6})?$"
)
# RFC 5321-ish: a local part of the characters people really use, a dotted domain whose
# last label is alphabetic.
_EMAIL_PATTERN = (
    r"^[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}"
    r"[A-Za-z0-9])?)*\.[A-Za-z]{2,24}$"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_PATTERN = rf"^{_OCTET}(?:\.{_OCTET}){{3}}$"
_H16 = r"[0-9A-Fa-f]{1,4}"
_IPV6_PATTERN = (
    rf"^(?:(?:{_H16}:){{7}}{_H16}"
    rf"|(?:{_H16}:){{1,7}}:"
    rf"|(?:{_H16}:){{1,6}}:{_H16}"
    rf"|(?:{_H16}:){{1,5}}(?::{_H16}){{1,2}}"
    rf"|(?:{_H16}:){{1,4}}(?::{_H16}){{1,3}}"
    rf"|(?:{_H16}:){{1,3}}(?::{_H16}){{1,4}}"
    rf"|(?:{_H16}:){{1,2}}(?::{_H16}){{1,5}}"
    rf"|{_H16}:(?::{_H16}){{1,6}}"
    rf"|:(?::{_H16}){{1,7}}|::"
    rf"|(?:{_H16}:){{6}}{_OCTET}(?:\.{_OCTET}){{3}}"
    rf"|::(?:[Ff]{{4}}:)?{_OCTET}(?:\.{_OCTET}){{3}})$"
)
# Vehicle plates (GA 36-2018): a province abbreviation, an issuing-office letter (no I or
# O), then 5 symbols for fuel vehicles (the last may be 挂 学 警 港 澳), or 6 for new-energy
# vehicles, D/F (electric / hybrid) first for small cars and last for large ones.
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTER = "A-HJ-NP-Z"
_PLATE_PATTERN = (
    rf"^[{PLATE_PROVINCES}][{_PLATE_LETTER}]"
    rf"(?:[{_PLATE_LETTER}0-9]{{4}}[{_PLATE_LETTER}0-9挂学警港澳]"
    rf"|[DF][{_PLATE_LETTER}0-9][0-9]{{4}}|[0-9]{{5}}[DF])$"
)
PLATE_SEPARATORS = r"[\s·•\-.]"
# Passports and permits of the mainland and of Hong Kong and Macao residents:
# E + 8 digits or E + letter + 7 digits (ordinary passports since 2012), G + 8 digits (the
# older ordinary passport), D/P/S + 7 or 8 digits (diplomatic, public-affairs, service),
# C + 8 digits or C + letter + 7 digits (往来港澳通行证, the mainland residents' exit-entry
# permit), H/M + 8 or 10 digits (港澳居民来往内地通行证, the home-return permit).
_PASSPORT_PATTERN = (
    r"^(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DPS]E?[0-9]{7,8}"
    r"|C[0-9]{8}|C[A-HJ-NP-Z][0-9]{7}|[HM][0-9]{8}(?:[0-9]{2})?)$"
)
# Dates written YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD or YYYY年M月D日.
_DATE_PATTERN = r"^(?P<y>(?:19|20)[0-9]{2})[-/.年]?(?P<m>[0-9]{1,2})[-/.月]?(?P<d>[0-9]{1,2})日?$"
# "lat,lng" pairs (or "lng,lat"), each a decimal with at least 4 fractional digits (~11 m).
_GPS_PAIR_PATTERN = (
    r"^\(?\s*(?P<a>-?[0-9]{1,3}\.[0-9]{4,})\s*[,，\s]"
    r"\s*(?P<b>-?[0-9]{1,3}\.[0-9]{4,})\s*\)?$"
)
_GPS_SINGLE_PATTERN = r"^-?[0-9]{1,3}\.[0-9]{4,}$"
# An address names a province-level or prefecture-level unit and a street-level place.
ADDRESS_CITY_PATTERN = r"^(?:\p{Han}{2,7}?(?:省|自治区))?\p{Han}{1,7}?(?:市|州|盟|地区)"
_ADDRESS_STREET = r"(?:路|街|大道|巷|弄|胡同|号|村|镇|乡|小区|栋|室|单元)"


# Digit code -> its Luhn contribution when doubled (2d, minus 9 above 9) or not.
_LUHN_PLAIN = np.zeros(256, dtype=np.int8)
_LUHN_PLAIN[ord("0") : ord("9") + 1] = np.arange(10)
_LUHN_DOUBLED = np.zeros(256, dtype=np.int8)
_LUHN_DOUBLED[ord("0") : ord("9") + 1] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]


def _luhn_codes(codes: np.ndarray) -> np.ndarray:
    """Luhn validity of each row of an (n, k) digit-code matrix: every second digit from
    the right is doubled, and the sum of all contributions must be a multiple of 10."""
    total = np.zeros(len(codes), dtype=np.int32)
    for position in range(codes.shape[1]):
        doubled = (codes.shape[1] - 1 - position) % 2 == 1
        total += np.take(_LUHN_DOUBLED if doubled else _LUHN_PLAIN, codes[:, position])
    return total % 10 == 0


def _resident_id_shaped(codes: np.ndarray) -> np.ndarray:
    """18-digit rows with a province prefix and a plausible birth date: a resident ID,
    mistyped or not, far more often than an 18-digit card (a rare length)."""
    born = _kernels.plausible_dates(
        _kernels.digits_to_int(codes[:, 6:10]),
        _kernels.digits_to_int(codes[:, 10:12]),
        _kernels.digits_to_int(codes[:, 12:14]),
        today=datetime.date.today(),
    )
    return _kernels.known_province(codes) & born


def valid_bank_card_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is a bank card number: 16-19 digits, a card-scheme first digit
    (3-6), and a passing Luhn check. Spaces and dashes between digit groups are ignored.
    An 18-digit value shaped like a resident ID (province prefix, plausible birth date)
    is left to the resident ID detector.

    The Luhn check catches every single-digit error; a random 16-digit string passes it one
    time in ten, which is why the first-digit rule and the column match rate also count.
    """
    text = remove_matches(_normalized(values), MOBILE_SEPARATORS)
    valid = np.zeros(len(text), dtype=bool)
    for width in range(16, 20):
        rows, codes = fixed_width_match(text, [_CARD_SCHEMES] + [_DIGITS] * (width - 1))
        if rows.size:
            valid[rows] = _luhn_codes(codes)
            if width == 18:
                valid[rows] &= ~_resident_id_shaped(codes)
    return pa.array(valid, type=pa.bool_())


def _matches(text: pa.Array, pattern: str) -> pa.BooleanArray:
    return pc.fill_null(pc.match_substring_regex(text, pattern), False)


def valid_landline_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is a mainland fixed-line number with its area code, e.g.
    `010-12345678`, `(0755) 2345 6789`, `0571-8888888转123`. Mobiles never match (they start
    with 1, landlines with the 0 of the trunk prefix)."""
    compact = remove_matches(_normalized(values), LANDLINE_SEPARATORS)
    return _matches(compact, _LANDLINE_PATTERN)


def valid_email_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is an e-mail address (`local@domain.tld`, a letters-only TLD)."""
    return _matches(pc.utf8_trim_whitespace(as_text_array(values)), _EMAIL_PATTERN)


def valid_ip_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is an IPv4 address (octets 0-255) or an IPv6 address in any of
    its RFC 4291 text forms (full, `::`-compressed, IPv4-embedded)."""
    text = pc.utf8_trim_whitespace(as_text_array(values))
    return pc.or_(_matches(text, _IPV4_PATTERN), _matches(text, _IPV6_PATTERN))


def valid_plate_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is a mainland vehicle plate, fuel (`京A12345`, `粤B1234学`) or
    new-energy (`沪AD12345`, `苏A12345F`); a middle dot or space after the office letter is
    ignored."""
    compact = remove_matches(_normalized(values), PLATE_SEPARATORS)
    return _matches(compact, _PLATE_PATTERN)


def valid_passport_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is a PRC passport number or a Hong Kong / Macao travel permit
    number (see `_PASSPORT_PATTERN`). No public check digit exists, so this is structure
    only; the detector therefore wants a header hint before it trusts a moderate rate."""
    return _matches(_normalized(values), _PASSPORT_PATTERN)


def plausible_date_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is a real calendar date between 1900-01-01 and today.

    Date columns are checked directly; text is read in the forms of `_DATE_PATTERN`. Any
    date qualifies, so the birth-date detector needs its header (出生日期, birthday, dob) to
    tell a birth date from an order date.
    """
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        values = pc.strftime(values, format="%Y-%m-%d")
    text = pc.utf8_trim_whitespace(as_text_array(values))
    parts = pc.extract_regex(text, _DATE_PATTERN)
    shaped = pc.fill_null(pc.is_valid(parts), False).to_numpy(zero_copy_only=False)
    shaped &= ~pc.is_null(text).to_numpy(zero_copy_only=False)
    valid = np.zeros(len(text), dtype=bool)
    rows = np.flatnonzero(shaped)
    if rows.size:
        found = parts.take(pa.array(rows))
        year, month, day = (
            pc.cast(pc.struct_field(found, i), pa.int64()).to_numpy() for i in range(3)
        )
        valid[rows] = _kernels.plausible_dates(year, month, day, today=datetime.date.today())
    return pa.array(valid, type=pa.bool_())


def valid_gps_pair_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is a coordinate pair `lat,lng` or `lng,lat` with one number in
    [-90, 90], the other in [-180, 180], and at least 4 decimals (about 11 m)."""
    text = pc.utf8_trim_whitespace(as_text_array(values))
    parts = pc.extract_regex(text, _GPS_PAIR_PATTERN)
    shaped = pc.fill_null(pc.is_valid(parts), False).to_numpy(zero_copy_only=False)
    shaped &= ~pc.is_null(text).to_numpy(zero_copy_only=False)
    valid = np.zeros(len(text), dtype=bool)
    rows = np.flatnonzero(shaped)
    if rows.size:
        found = parts.take(pa.array(rows))
        first, second = (
            np.abs(pc.cast(pc.struct_field(found, i), pa.float64()).to_numpy()) for i in range(2)
        )
        valid[rows] = ((first <= 90) & (second <= 180)) | ((first <= 180) & (second <= 90))
    return pa.array(valid, type=pa.bool_())


def valid_gps_coordinate_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is one coordinate (a latitude or a longitude): a number in
    [-180, 180] with at least 4 decimals. Prices and ratios look the same, so the detector
    needs a header (lat, lng, 经度, 纬度) for this one."""
    if pa.types.is_floating(values.type):
        numbers = pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            precise = np.abs(np.round(numbers * 1e3) - numbers * 1e3) > 1e-6
            return pa.array(precise & (np.abs(numbers) <= 180), type=pa.bool_())
    text = pc.utf8_trim_whitespace(as_text_array(values))
    shaped = _matches(text, _GPS_SINGLE_PATTERN)
    numbers = pc.cast(pc.if_else(shaped, text, pa.scalar("999", text.type)), pa.float64())
    return pc.and_(shaped, pc.less_equal(pc.abs(numbers), 180.0))


def valid_address_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is a postal address down to street level: it starts with a
    province-level or city-level unit (广东省深圳市, 北京市) and names a street-level place
    (路, 街, 号, 村, 小区 ...). A bare city name (北京市) is not an address."""
    text = pc.utf8_trim_whitespace(as_text_array(values))
    return pc.and_(_matches(text, ADDRESS_CITY_PATTERN), _matches(text, _ADDRESS_STREET))
