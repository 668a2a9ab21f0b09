"""Bad input: no crash, and the documented result for each case.

| input                         | detection                          | masking                     |
|-------------------------------|------------------------------------|-----------------------------|
| null                          | never valid; not sampled           | stays null                  |
| empty / blank string          | never valid; not sampled           | masked whole (stays "")     |
| full-width digits (１３８) | NFKC-normalized, so detected       | mobile normalized to ASCII  |
| mixed types (numbers, words)  | read as text; float 1.38e10 -> int | same                        |
| very long cells (1 MB)        | invalid, no slowdown per value     | masked, length preserved    |
| non-UTF-8 bytes (binary)      | decoded with U+FFFD, inspected     | masked like text            |
| nested values (lists)         | `uninspected`, proposed `drop`     | not released by default     |
"""

import numpy as np
import pyarrow as pa

from anonymize import apply_policy, classify_column, propose_policy, synthetic
from anonymize.detect import ColumnKind
from anonymize.masking import mask_mobile, mask_partial
from anonymize.validators import valid_mobile_mask, valid_resident_id_mask

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def test_nulls_are_never_valid_and_stay_null() -> None:
    values = pa.array([None, None], pa.string())
    assert valid_resident_id_mask(values).to_pylist() == [False, False]
    assert mask_partial(values, keep_first=1, keep_last=1).to_pylist() == [None, None]


def test_empty_and_blank_strings() -> None:
    values = pa.array(["", "   "])
    assert valid_mobile_mask(values).to_pylist() == [False, False]
    assert mask_partial(values, keep_first=3, keep_last=4).to_pylist() == ["", "***"]
    found = classify_column("手机号", values)
    assert (found.kind, found.confidence) == (ColumnKind.OTHER, 0.0)


def test_full_width_digits_are_detected_and_masked_as_ascii() -> None:
    rng = np.random.default_rng(1)
    mobiles = [m.translate(FULL_WIDTH) for m in synthetic.mobiles(rng, 100)]
    ids = [i.translate(FULL_WIDTH) for i in synthetic.resident_ids(rng, 100)]
    assert classify_column("phone", pa.array(mobiles)).kind == ColumnKind.MOBILE
    assert classify_column("证件", pa.array(ids)).kind == ColumnKind.RESIDENT_ID
    assert mask_mobile(pa.array(["１３８１２３４５６７８"])).to_pylist() == ["138****5678"]


def test_mixed_types_in_one_column_read_as_text() -> None:
    # An Arrow column has one type: a CSV column mixing numbers and words arrives as text,
    # and a spreadsheet's phone column often arrives as float64.
    text = pa.array(["13812345678", "n/a", "12.5", "TRUE"])
    assert valid_mobile_mask(text).to_pylist() == [True, False, False, False]
    floats = pa.array([13812345678.0, 12.5, None])
    assert valid_mobile_mask(floats).to_pylist() == [True, False, False]
    # A value too short to keep 3+4 characters of is masked whole.
    assert mask_mobile(floats).to_pylist() == ["138****5678", "****", None]


def test_very_long_cells_are_invalid_and_masked_without_leaking() -> None:
    long_value = "1" * 1_000_000
    values = pa.array([long_value, "13812345678"])
    assert valid_mobile_mask(values).to_pylist() == [False, True]
    masked = mask_partial(values, keep_first=3, keep_last=4).to_pylist()
    assert masked[0] == "111" + "*" * (1_000_000 - 7) + "1111"


def test_non_utf8_remnants_are_decoded_with_replacement_and_masked() -> None:
    values = pa.array([b"\xff\xfe13812345678", "张三".encode("gbk"), None], pa.binary())
    found = classify_column("备注", values)
    assert found.kind == ColumnKind.OTHER  # inspected, not crashed
    masked = mask_partial(values, keep_first=1, keep_last=0).to_pylist()
    assert masked[0] == "\ufffd" + "*" * 12
    assert masked[2] is None


def test_nested_columns_are_dropped_by_the_proposed_policy() -> None:
    table = pa.table({"tags": pa.array([["vip"], ["x"]]), "city": ["北京", "上海"]})
    detections = {name: classify_column(name, table.column(name)) for name in table.column_names}
    assert detections["tags"].kind == ColumnKind.UNINSPECTED
    assert apply_policy(table, propose_policy(detections)).column_names == ["city"]
