"""Reference check-character algorithms for Chinese identifiers, one value at a time.

These pure functions are the readable, per-value specification. The vectorized validators
in `anonymize.validators` implement the same rules over whole Arrow arrays, and the tests
hold the two to agreement. Every function here is deterministic and keyless: it only
verifies structure, it never transforms a value.
"""

import datetime
import re

# GB 11643-1999: weight of position i is 2**(17 - i) mod 11 (ISO 7064 MOD 11-2).
RESIDENT_ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK_CHARS = "0123456789X"

# First two digits of the GB/T 2260 administrative division code: the provinces, autonomous
# regions and municipalities (11-15 North, 21-23 North-East, 31-37 East, 41-46 South-Central,
# 50-54 South-West, 61-65 North-West), plus 71 Taiwan, 81 Hong Kong, 82 Macao and 83, used
# on residence permits for Taiwan residents. Any other prefix cannot start a resident ID.
PROVINCE_CODES: frozenset[int] = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37]
    + [41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]
)

# GB 32100-2015: 31 symbols (no I, O, S, V, Z, which read like digits) and weights 3**i mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authority (first character): 1-9 are ministries and bureaux, A the central
# military commission's staffing office, N agriculture, Y any other authority.
USCC_AUTHORITIES = "123456789ANY"
# Characters 3-8 are the registering office's GB/T 2260 division code: a province prefix, or
# 10 (100000) for offices of the State Council that register nationally.
USCC_REGION_PREFIXES: frozenset[int] = PROVINCE_CODES | {10}

_RESIDENT_ID_18 = re.compile(r"[0-9]{17}[0-9X]")
_RESIDENT_ID_15 = re.compile(r"[0-9]{15}")
_USCC = re.compile(rf"[{USCC_AUTHORITIES}][{USCC_ALPHABET}][0-9]{{6}}[{USCC_ALPHABET}]{{10}}")


def resident_id_check_char(body17: str) -> str:
    """Return the GB 11643-1999 check character ('0'-'9' or 'X') for the first 17 digits.

    ISO 7064 MOD 11-2: the check value makes the weighted sum of all 18 positions congruent
    to 1 mod 11, which catches every single-digit error and most transpositions.
    """
    if len(body17) != 17 or not (body17.isascii() and body17.isdigit()):
        raise ValueError("a resident ID body is exactly 17 ASCII digits")
    total = sum(
        int(digit) * weight for digit, weight in zip(body17, RESIDENT_ID_WEIGHTS, strict=True)
    )
    return RESIDENT_ID_CHECK_CHARS[(12 - total % 11) % 11]


def is_plausible_birth_date(year: int, month: int, day: int, *, today: datetime.date) -> bool:
    """Whether the date exists on the calendar, is not before 1900 and not after `today`."""
    try:
        born = datetime.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year and born <= today


def is_valid_resident_id(value: str) -> bool:
    """Whether `value` is a structurally valid mainland resident ID number.

    Accepted forms, after stripping surrounding whitespace:
    - 18 characters: a known province prefix (`PROVINCE_CODES`), a birth date YYYYMMDD that
      exists, is in or after 1900 and not in the future, 3 sequence digits, and the MOD 11-2
      check character (a lowercase 'x' is accepted);
    - 15 digits, the pre-1999 legacy form: province prefix, a 19YYMMDD birth date, 3 sequence
      digits, no check character.

    Deliberately looser than `stdnum.cn.ric`, which also requires the 6-digit county code to
    exist in its database at the birth year: counties are renamed and merged, and a detector
    that missed IDs issued under a retired code would leave them unmasked.
    """
    value = value.strip().upper()
    today = datetime.date.today()
    if _RESIDENT_ID_18.fullmatch(value):
        year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
        return (
            int(value[:2]) in PROVINCE_CODES
            and is_plausible_birth_date(year, month, day, today=today)
            and resident_id_check_char(value[:17]) == value[17]
        )
    if _RESIDENT_ID_15.fullmatch(value):
        year, month, day = 1900 + int(value[6:8]), int(value[8:10]), int(value[10:12])
        return int(value[:2]) in PROVINCE_CODES and is_plausible_birth_date(
            year, month, day, today=today
        )
    return False


def uscc_check_char(body17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a USCC.

    The check value makes the weighted sum of all 18 symbol values congruent to 0 mod 31.
    """
    body17 = body17.upper()
    if len(body17) != 17 or any(char not in USCC_ALPHABET for char in body17):
        raise ValueError(f"a USCC body is exactly 17 characters of {USCC_ALPHABET}")
    total = sum(
        USCC_ALPHABET.index(char) * weight
        for char, weight in zip(body17, USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    """Whether `value` is a structurally valid unified social credit code (统一社会信用代码).

    After stripping whitespace and upper-casing: a registration authority in
    `USCC_AUTHORITIES`, an entity type symbol, a 6-digit region code, a 9-symbol organisation
    code whose first two digits are a province (or 10, national), a 9-symbol organisation
    code and the MOD 31 check character. `stdnum.cn.uscc` instead requires the first 8
    characters to be digits, so it rejects the authorities A, N and Y (which GB 32100 allows)
    and accepts authority 0 (which it does not); it does not check the region either, which
    lets one in 31 mistyped 18-digit resident IDs pass as a credit code.
    """
    value = value.strip().upper()
    return (
        bool(_USCC.fullmatch(value))
        and int(value[2:4]) in USCC_REGION_PREFIXES
        and uscc_check_char(value[:17]) == value[17]
    )


def luhn_valid(digits: str) -> bool:
    """Whether an all-digit string passes the Luhn (mod 10) check used by bank card numbers.

    Empty strings and strings with anything but ASCII digits are invalid.
    """
    if not digits or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
