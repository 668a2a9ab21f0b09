"""The numpy kernels agree with plain arithmetic on every input they can be given."""

import numpy as np

from anonymize import _kernels
from anonymize.checksums import PROVINCE_CODES, USCC_REGION_PREFIXES


def _every_byte_pair() -> np.ndarray:
    codes = np.arange(256, dtype=np.uint8)
    return np.stack(np.meshgrid(codes, codes), axis=-1).reshape(-1, 2)


def test_two_digit_tables_agree_with_set_membership_for_every_byte_pair() -> None:
    """Digit pairs read as their number; any other pair (which callers filter out, but
    which must not crash or match) is in no table."""
    pairs = _every_byte_pair()
    number = (pairs[:, 0].astype(np.int64) - 48) * 10 + (pairs[:, 1].astype(np.int64) - 48)
    matrix = np.zeros((len(pairs), 18), dtype=np.uint8)
    matrix[:, :2] = pairs
    assert (_kernels.known_province(matrix) == np.isin(number, list(PROVINCE_CODES))).all()
    regions = _kernels._in_two_digit_table(_kernels._USCC_REGION_TABLE, pairs)
    assert (regions == np.isin(number, list(USCC_REGION_PREFIXES))).all()


def test_digits_to_int_reads_base_ten() -> None:
    codes = np.frombuffer(b"0000199012319999", dtype=np.uint8).reshape(4, 4)
    assert _kernels.digits_to_int(codes).tolist() == [0, 1990, 1231, 9999]
