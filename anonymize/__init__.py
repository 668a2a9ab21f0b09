"""Desensitization of tabular data before it is listed on the exchange.

The library finds columns of personal data (`classify_column`: mainland resident IDs,
mobile numbers, Chinese names, unified social credit codes), proposes a treatment per
column (`propose_policy`), and applies a reviewed policy to an Arrow table
(`apply_policy`).

Guarantees: every operator is deterministic, keyless and irreversible (masked characters
are discarded, not encrypted), and nulls stay null. `apply_policy` fails closed: a column
leaves only under an explicit rule, and a column missing from the policy is dropped.
Detection is a heuristic that a person reviews; it is deterministic for a given column but
can miss data it has no detector for, which is why the policy, not the detector, decides.

All work on values is vectorized over Arrow and numpy. The package imports nothing from the
rest of Sluice and can be used on its own.
"""

from anonymize.checksums import (
    is_valid_resident_id,
    is_valid_uscc,
    luhn_valid,
    resident_id_check_char,
    uscc_check_char,
)
from anonymize.detect import (
    ColumnDetection,
    ColumnKind,
    classify_column,
    valid_mobile_mask,
    valid_name_mask,
    valid_resident_id_mask,
    valid_uscc_mask,
)
from anonymize.masking import mask_mobile, mask_name, mask_partial, normalize_mobile, redact
from anonymize.policy import ColumnRule, Policy, apply_policy, default_rule, propose_policy

__all__ = [
    "ColumnDetection",
    "ColumnKind",
    "ColumnRule",
    "Policy",
    "apply_policy",
    "classify_column",
    "default_rule",
    "is_valid_resident_id",
    "is_valid_uscc",
    "luhn_valid",
    "mask_mobile",
    "mask_name",
    "mask_partial",
    "normalize_mobile",
    "propose_policy",
    "redact",
    "resident_id_check_char",
    "uscc_check_char",
    "valid_mobile_mask",
    "valid_name_mask",
    "valid_resident_id_mask",
    "valid_uscc_mask",
]
