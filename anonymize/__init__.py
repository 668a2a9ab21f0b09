"""Desensitization of tabular data before it is listed on the exchange.

The library finds columns of personal data (`classify_column`: resident IDs, mobiles,
landlines, bank cards, credit codes, e-mail, IP addresses, plates, passports and permits,
birth dates, GPS coordinates, Chinese names, postal addresses), proposes a treatment per
column for the dataset's grade (`propose_policy`), applies a reviewed policy to an Arrow
table (`apply_policy`), and measures the k-anonymity of the result (`k_anonymity`).

Guarantees: every operator is irreversible and nulls stay null. Keyless operators (mask,
redact, generalize, truncate) are deterministic. Pseudonyms are deterministic for a key the
caller derives per buyer, so two buyers' tokens cannot be linked. Noise and date shifts are
one draw per cell under a key the caller derives per dataset (`cell_key`), the same for every
viewer, so no two viewers hold different draws of a cell to average; noise at several scales
(policy versions) is coupled so that together they reveal no more than the least noisy one
(`anonymize.noise`). `apply_policy` fails closed: a column leaves only under an explicit
rule, a column missing from the policy is dropped, and a keyed rule without its key raises.
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
from anonymize.kanonymity import KAnonymityReport, k_anonymity
from anonymize.masking import mask_mobile, mask_name, mask_partial, normalize_mobile, redact
from anonymize.operators import derive_key, pseudonymize
from anonymize.policy import (
    DEFAULT_GRADE,
    ColumnRule,
    MissingKey,
    Policy,
    Sensitivity,
    apply_policy,
    default_rule,
    propose_policy,
)

__all__ = [
    "DEFAULT_GRADE",
    "ColumnDetection",
    "ColumnKind",
    "ColumnRule",
    "KAnonymityReport",
    "MissingKey",
    "Policy",
    "Sensitivity",
    "apply_policy",
    "classify_column",
    "default_rule",
    "derive_key",
    "is_valid_resident_id",
    "is_valid_uscc",
    "k_anonymity",
    "luhn_valid",
    "mask_mobile",
    "mask_name",
    "mask_partial",
    "normalize_mobile",
    "propose_policy",
    "pseudonymize",
    "redact",
    "resident_id_check_char",
    "uscc_check_char",
    "valid_mobile_mask",
    "valid_name_mask",
    "valid_resident_id_mask",
    "valid_uscc_mask",
]
