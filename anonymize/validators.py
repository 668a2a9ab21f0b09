"""Vectorized validators: one boolean per value, for whole Arrow columns.

Each validator returns a `pa.BooleanArray` as long as its input, True where the value is a
valid instance of the kind, False otherwise; a null is always False (nothing to protect).
Values are compared after `as_text` and after trimming surrounding whitespace. The work is
regex matching in Arrow plus numpy arithmetic over byte matrices, never a Python call per
value, so a validator can run over a full column and not only a sample. All validators are
deterministic and keyless; the resident ID one depends on today's date (no future births).
"""

import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anonymize import _kernels
from anonymize._text import ArrowColumn, as_text_array, fixed_width_codes
from anonymize.checksums import USCC_ALPHABET, USCC_AUTHORITIES
from anonymize.surnames import COMMON_SURNAMES, COMPOUND_SURNAMES, NON_NAME_SUFFIXES

# Mainland mobile numbers: 1, a second digit 3-9, then 9 digits; optionally behind the
# country code written +86, 0086 or 86. Any spaces and dashes are removed first.
MOBILE_SEPARATORS = r"[\s\-]"
MOBILE_PATTERN = r"^(?:\+86|0086|86)?1[3-9][0-9]{9}$"

_USCC_PATTERN = rf"^[{USCC_AUTHORITIES}][{USCC_ALPHABET}][0-9]{{6}}[{USCC_ALPHABET}]{{10}}$"
_NAME_PATTERN = r"^\p{Han}{2,4}$"


def _normalized(values: ArrowColumn) -> pa.LargeStringArray:
    return pc.utf8_upper(pc.utf8_trim_whitespace(as_text_array(values)))


def _where(matches: pa.BooleanArray) -> np.ndarray:
    return np.flatnonzero(pc.fill_null(matches, False).to_numpy(zero_copy_only=False))


def valid_resident_id_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Vector form of `checksums.is_valid_resident_id` (18-digit and legacy 15-digit forms).

    Candidates are first narrowed by a regex, then the province, birth date and MOD 11-2
    check character are computed for all candidates at once from their byte codes.
    """
    text = _normalized(values)
    today = datetime.date.today()
    valid = np.zeros(len(text), dtype=bool)
    for pattern, width, kernel in (
        (r"^[0-9]{17}[0-9X]$", 18, _kernels.valid_resident_id_18),
        (r"^[0-9]{15}$", 15, _kernels.valid_resident_id_15),
    ):
        rows = _where(pc.match_substring_regex(text, pattern))
        if rows.size:
            valid[rows] = kernel(fixed_width_codes(text.take(rows), width), today=today)
    return pa.array(valid, type=pa.bool_())


def valid_uscc_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Vector form of `checksums.is_valid_uscc` (structure and MOD 31 check character)."""
    text = _normalized(values)
    valid = np.zeros(len(text), dtype=bool)
    rows = _where(pc.match_substring_regex(text, _USCC_PATTERN))
    if rows.size:
        codes = fixed_width_codes(text.take(rows), 18)
        valid[rows] = _kernels.uscc_check_codes(codes[:, :17]) == codes[:, 17]
    return pa.array(valid, type=pa.bool_())


def valid_mobile_mask(values: ArrowColumn) -> pa.BooleanArray:
    """Whether each value is a mainland mobile number, in any common written form.

    `13812345678`, `+86 138 1234 5678`, `0086-138-1234-5678` and an int64 13812345678 are
    all accepted. This is the numbering-plan structure, not the live allocation: a number
    under a prefix no carrier has been assigned yet (e.g. 140) is still accepted, because
    a detector should not go stale when the regulator opens a new prefix.
    """
    compact = pc.replace_substring_regex(_normalized(values), MOBILE_SEPARATORS, "")
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
