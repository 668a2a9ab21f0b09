"""Masking operators: column in, column out, one Arrow kernel pass per step.

Every operator here is irreversible and deterministic: the hidden characters are not
kept anywhere (no key, no token vault), and the same input always masks to the same
output. Nulls stay null, so a masked column still says which rows had no value. Inputs
of any scalar type are read as text first (see `anonymize._text.as_text`); the output is
a string column with the input's chunking. Lengths count characters (code points), not
bytes, so Chinese text masks one `*` per character.
"""

import pyarrow as pa
import pyarrow.compute as pc

from anonymize import _buffers
from anonymize._text import ArrowColumn, as_text, nfkc, remove_matches
from anonymize.validators import MOBILE_SEPARATORS

# `(?:\+|00)?86` followed by exactly a mainland mobile number: the country code goes.
_MOBILE_COUNTRY_CODE = r"^(?:\+|00)?86(1[3-9][0-9]{9})$"


def mask_partial(
    values: ArrowColumn, *, keep_first: int, keep_last: int, mask_char: str = "*"
) -> ArrowColumn:
    """Keep the first `keep_first` and last `keep_last` characters, mask the rest.

    `110105199001011234` with 6/4 gives `110105********1234`; `13812345678` with 3/4 gives
    `138****5678`. The mask has one `mask_char` per hidden character, so the length of the
    value is preserved (and is, deliberately, still visible). A value no longer than
    `keep_first + keep_last` is masked whole: its "ends" would be the entire value, so
    keeping them would release it unmasked (a short value is usually not the kind of data
    the rule was written for, which is no reason to leak it).

    An ASCII `mask_char` (the usual case) is written in one pass over the UTF-8 bytes
    (`_buffers.mask_characters`); any other goes through Arrow's string functions. Both
    give the same strings.
    """
    if keep_first < 0 or keep_last < 0:
        raise ValueError("keep_first and keep_last must be >= 0")
    if len(mask_char) != 1:
        raise ValueError("mask_char must be exactly one character")
    text = as_text(values)
    if not mask_char.isascii():
        return _mask_partial_arrow(
            text, keep_first=keep_first, keep_last=keep_last, mask_char=mask_char
        )

    def mask(chunk: pa.Array) -> pa.Array:
        return _buffers.mask_characters(
            chunk, keep_first=keep_first, keep_last=keep_last, mask_byte=ord(mask_char)
        )

    if isinstance(text, pa.ChunkedArray):
        return pa.chunked_array([mask(chunk) for chunk in text.chunks], type=text.type)
    return mask(text)


def _mask_partial_arrow(
    text: ArrowColumn, *, keep_first: int, keep_last: int, mask_char: str
) -> ArrowColumn:
    """`mask_partial` with Arrow's string functions, for any mask character."""
    # Arrow joins only strings of one width: make the constants match the column's type.
    mask, empty = pa.scalar(mask_char, text.type), pa.scalar("", text.type)
    length = pc.utf8_length(text)
    head = pc.utf8_slice_codeunits(text, 0, keep_first)
    # A slice starting at -0 would be the whole string, not an empty tail.
    tail = (
        pc.utf8_slice_codeunits(text, -keep_last)
        if keep_last
        else pc.utf8_slice_codeunits(text, 0, 0)
    )
    hidden = pc.max_element_wise(pc.subtract(length, keep_first + keep_last), 0)
    partial = pc.binary_join_element_wise(head, pc.binary_repeat(mask, hidden), tail, empty)
    whole = pc.binary_repeat(mask, length)
    too_short = pc.less_equal(length, keep_first + keep_last)
    return pc.if_else(too_short, whole, partial)


def mask_name(values: ArrowColumn, *, mask_char: str = "*") -> ArrowColumn:
    """Keep the first character of a name and mask the rest: `张三` -> `张*`.

    The first character is the surname, or the first half of a compound surname
    (`欧阳娜娜` -> `欧***`): a surname is shared by millions and does not identify anyone,
    and keeping only one character never reveals a compound surname whole. Surrounding
    whitespace is trimmed first so it does not shift which character is kept; a
    one-character value is masked whole.
    """
    return mask_partial(
        pc.utf8_trim_whitespace(as_text(values)), keep_first=1, keep_last=0, mask_char=mask_char
    )


def redact(values: ArrowColumn, *, replacement: str = "***") -> ArrowColumn:
    """Replace every non-null value by `replacement`; only whether a value existed survives.

    Unlike masking, the length of the value is hidden too.
    """
    present = pc.is_valid(values)
    return pc.if_else(present, pa.scalar(replacement), pa.scalar(None, pa.string()))


def normalize_mobile(values: ArrowColumn) -> ArrowColumn:
    """Remove spaces and dashes, and a +86 / 0086 / 86 country code in front of a mobile.

    Masking counts positions from the ends, so `+86 138-1234-5678` masked raw with 3/4
    would show `+86` instead of the operator prefix, and each written form of one number
    would mask differently. Normalizing first makes them all mask to `138****5678`.
    Full-width digits become ASCII (NFKC). Values that are not mobile numbers only lose
    their spaces and dashes (and are NFKC-normalized).
    """
    compact = remove_matches(nfkc(as_text(values)), MOBILE_SEPARATORS)
    # A number behind a country code has at least 13 characters: a column of shorter
    # values (the usual bare 11 digits) has none to strip, and skips the regex.
    if (pc.max(pc.binary_length(compact)).as_py() or 0) < 13:
        return compact
    return pc.replace_substring_regex(compact, _MOBILE_COUNTRY_CODE, r"\1")


def mask_mobile(values: ArrowColumn, *, mask_char: str = "*") -> ArrowColumn:
    """`normalize_mobile`, then keep the 3-digit prefix and the last 4 digits: `138****5678`."""
    return mask_partial(normalize_mobile(values), keep_first=3, keep_last=4, mask_char=mask_char)
