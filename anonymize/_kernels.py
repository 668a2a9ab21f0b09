"""Numpy kernels for the check characters of `anonymize.checksums`, over whole matrices.

Each row of an input matrix is one identifier as ASCII byte codes; each kernel does the
work of its per-value reference in `checksums` for all rows with a handful of array
operations. `validators` (detection) and `synthetic` (generation) share them, so the
identifiers the generators produce are valid by construction of the same arithmetic.
"""

import datetime

import numpy as np

from anonymize.checksums import (
    PROVINCE_CODES,
    RESIDENT_ID_CHECK_CHARS,
    RESIDENT_ID_WEIGHTS,
    USCC_ALPHABET,
    USCC_REGION_PREFIXES,
    USCC_WEIGHTS,
)

# Sums below stay far under 2**31 (17 weights of at most 30 times values of at most 30), so
# the weighted sums run in int32: half the memory traffic of int64, the same results.
_RESIDENT_WEIGHTS = np.array(RESIDENT_ID_WEIGHTS, dtype=np.int32)
_RESIDENT_CHECK_CODES = np.frombuffer(RESIDENT_ID_CHECK_CHARS.encode(), dtype=np.uint8)
_USCC_WEIGHTS = np.array(USCC_WEIGHTS, dtype=np.int32)
# Two-digit number -> whether it is a province code / a USCC region prefix.
_PROVINCE_TABLE = np.isin(np.arange(100), sorted(PROVINCE_CODES))
_USCC_REGION_TABLE = np.isin(np.arange(100), sorted(USCC_REGION_PREFIXES))
# Byte code -> symbol value, -1 for bytes outside the alphabet.
USCC_VALUES = np.full(256, -1, dtype=np.int8)
USCC_VALUES[np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)] = np.arange(len(USCC_ALPHABET))
USCC_CODES = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _weighted_sum(codes: np.ndarray, weights: np.ndarray, dtype: type) -> np.ndarray:
    """Each row of `codes` dotted with `weights`, accumulated in `dtype` (einsum: no
    widened copy of the matrix, unlike `codes.astype(...) @ weights`)."""
    return np.einsum("ij,j->i", codes, weights, dtype=dtype)


def digits_to_int(codes: np.ndarray) -> np.ndarray:
    """Read each row of an (n, k) matrix of ASCII digit codes as one base-10 integer."""
    powers = 10 ** np.arange(codes.shape[1] - 1, -1, -1, dtype=np.int64)
    return _weighted_sum(codes, powers, np.int64) - ord("0") * int(powers.sum())


def resident_id_check_codes(bodies: np.ndarray) -> np.ndarray:
    """ASCII code of the MOD 11-2 check character for each row of an (n, 17) digit matrix."""
    total = _weighted_sum(bodies, _RESIDENT_WEIGHTS, np.int32)
    total -= ord("0") * int(_RESIDENT_WEIGHTS.sum())
    return _RESIDENT_CHECK_CODES[(12 - total % 11) % 11]


def uscc_check_codes(bodies: np.ndarray) -> np.ndarray:
    """ASCII code of the MOD 31 check character for each row of an (n, 17) USCC matrix.

    Rows holding bytes outside the alphabet get a meaningless result; callers filter them
    out first.
    """
    total = _weighted_sum(np.take(USCC_VALUES, bodies), _USCC_WEIGHTS, np.int32)
    return USCC_CODES[(31 - total % 31) % 31]


def _in_two_digit_table(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Look up each row of an (n, 2) matrix of digit codes, read as a number, in a
    100-entry table. Non-digit codes read outside 0-99 and are clipped to 0 or 99, which
    no table holds, so they are False (as `np.isin` of the number would say)."""
    number = digits_to_int(codes)
    return table.take(number, mode="clip")


def valid_uscc(codes: np.ndarray) -> np.ndarray:
    """Rows of an (n, 18) USCC-shaped matrix with a known region prefix and check char."""
    region_ok = _in_two_digit_table(_USCC_REGION_TABLE, codes[:, 2:4])
    return region_ok & (uscc_check_codes(codes[:, :17]) == codes[:, 17])


def known_province(codes: np.ndarray) -> np.ndarray:
    """Whether the first two digit codes of each row form a province code."""
    return _in_two_digit_table(_PROVINCE_TABLE, codes[:, :2])


def plausible_dates(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, *, today: datetime.date
) -> np.ndarray:
    """Vector form of `checksums.is_plausible_birth_date`: real date, 1900 <= it <= today."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    as_number = year * 10_000 + month * 100 + day
    not_future = as_number <= today.year * 10_000 + today.month * 100 + today.day
    return month_ok & (day >= 1) & (day <= last_day) & (year >= 1900) & not_future


def valid_resident_id_18(codes: np.ndarray, *, today: datetime.date) -> np.ndarray:
    """Rows of an (n, 18) matrix (17 digits then a digit or 'X') that are valid resident IDs."""
    born = plausible_dates(
        digits_to_int(codes[:, 6:10]),
        digits_to_int(codes[:, 10:12]),
        digits_to_int(codes[:, 12:14]),
        today=today,
    )
    check_ok = resident_id_check_codes(codes[:, :17]) == codes[:, 17]
    return known_province(codes) & born & check_ok


def valid_resident_id_15(codes: np.ndarray, *, today: datetime.date) -> np.ndarray:
    """Rows of an (n, 15) digit matrix that are valid legacy (19YYMMDD) resident IDs."""
    born = plausible_dates(
        1900 + digits_to_int(codes[:, 6:8]),
        digits_to_int(codes[:, 8:10]),
        digits_to_int(codes[:, 10:12]),
        today=today,
    )
    return known_province(codes) & born
