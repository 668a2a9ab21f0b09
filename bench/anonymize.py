"""Scan and mask N rows x 8 sensitive columns three ways and print rows per second.

    .venv/bin/python bench/anonymize.py              # 1,000,000 rows (the recorded run)
    .venv/bin/python bench/anonymize.py --rows 100000 --loop-rows 20000 --repeat 1

1. "sluice": our production path. Every column is classified (`classify_column`, on a
   sample) and the whole table goes through `apply_policy` with the proposed policy.
   "sluice+full scan" also runs every value through its kind's vectorized validator, the
   same work as the per-cell loop's validation.
2. "per-cell loop": the same rules one Python call per cell: the per-value reference
   validators of `anonymize.checksums` and `re`, then string slicing to mask.
3. "presidio": Microsoft Presidio's `PatternRecognizer`s with the same regexes (and
   Presidio's own credit-card recognizer) over the same values, one `analyze` call per
   cell. Presidio is not a Sluice dependency: install it in a separate environment and
   pass its interpreter, e.g.
       uv venv /tmp/presidio && VIRTUAL_ENV=/tmp/presidio uv pip install presidio-analyzer pyarrow
       .venv/bin/python bench/anonymize.py --presidio-python /tmp/presidio/bin/python
   Pattern recognizers need no spaCy model, so nothing is downloaded at run time. It runs
   in a subprocess on a Parquet copy of the first `--presidio-rows` rows.

Timings are wall-clock on this machine, the best of `--repeat` rounds that each run every
path once in turn (every run is printed, so the spread shows how noisy the machine was);
the data is synthetic (anonymize.synthetic), the same for all three. The speed-up is
printed for the production path and for the full scan. Not run by CI.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and its name would shadow
# the `anonymize` package: put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from anonymize import apply_policy, classify_column, propose_policy, synthetic  # noqa: E402
from anonymize.checksums import is_valid_resident_id, is_valid_uscc, luhn_valid  # noqa: E402
from anonymize.detect import DETECTORS, ColumnKind  # noqa: E402
from anonymize.surnames import COMMON_SURNAMES, COMPOUND_SURNAMES, NON_NAME_SUFFIXES  # noqa: E402

COLUMNS: dict[str, Callable[[np.random.Generator, int], list[str]]] = {
    "姓名": synthetic.chinese_names,
    "身份证号": synthetic.resident_ids,
    "手机号": synthetic.mobiles,
    "统一社会信用代码": synthetic.usccs,
    "银行卡号": synthetic.bank_cards,
    "邮箱": synthetic.emails,
    "联系电话": synthetic.landlines,
    "地址": synthetic.addresses,
}
KEY = b"bench-key-bench-key-bench-key-32"


def make_table(rows: int) -> pa.Table:
    rng = np.random.default_rng(0)
    return pa.table({name: make(rng, rows) for name, make in COLUMNS.items()})


def sluice(table: pa.Table) -> pa.Table:
    """The production path: classify each column from a sample, mask every value."""
    detections = {name: classify_column(name, table.column(name)) for name in table.column_names}
    return apply_policy(table, propose_policy(detections), key=KEY)


def sluice_full_scan(table: pa.Table) -> pa.Table:
    """As `sluice`, plus every value of every column through its kind's validator (what the
    per-cell loop does; the product itself only validates a sample)."""
    detections = {name: classify_column(name, table.column(name)) for name in table.column_names}
    validators = {d.kind: d.validator for d in DETECTORS if not d.needs_header}
    for name, found in detections.items():
        validators[found.kind](table.column(name))
    return apply_policy(table, propose_policy(detections), key=KEY)


_MOBILE = re.compile(r"^(?:\+86|0086|86)?1[3-9][0-9]{9}$")
_EMAIL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9.\-]+\.[A-Za-z]{2,24}$")
_LANDLINE = re.compile(r"^0(?:10|2[0-9])[2-9][0-9]{7}$|^0[3-9][0-9]{2}[2-9][0-9]{6,7}$")
_CITY = re.compile(r"^(?:\w{2,7}?(?:省|自治区))?\w{1,7}?(?:市|州|盟|地区)")


def _mask(value: str, first: int, last: int) -> str:
    if len(value) <= first + last:
        return "*" * len(value)
    return value[:first] + "*" * (len(value) - first - last) + value[len(value) - last :]


_HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def _is_name(value: str) -> bool:
    return (
        bool(_HAN_NAME.match(value))
        and (value[0] in COMMON_SURNAMES or (len(value) >= 3 and value[:2] in COMPOUND_SURNAMES))
        and value[-1] not in NON_NAME_SUFFIXES
    )


def per_cell(table: pa.Table) -> list[dict[str, str | None]]:
    import hashlib
    import hmac

    def pseudonym(value: str) -> str:
        return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()[:16]

    def city(value: str) -> str | None:
        found = _CITY.match(value)
        return found.group(0) if found else None

    rules: dict[str, tuple[Callable[[str], bool], Callable[[str], str | None]]] = {
        "姓名": (_is_name, lambda v: _mask(v, 1, 0)),
        "身份证号": (is_valid_resident_id, lambda v: _mask(v, 6, 4)),
        "手机号": (lambda v: bool(_MOBILE.match(v)), lambda v: _mask(v, 3, 4)),
        "统一社会信用代码": (is_valid_uscc, lambda v: _mask(v, 8, 0)),
        "银行卡号": (luhn_valid, lambda v: _mask(v, 6, 4)),
        "邮箱": (lambda v: bool(_EMAIL.match(v)), pseudonym),
        "联系电话": (lambda v: bool(_LANDLINE.match(v.replace("-", ""))), lambda v: _mask(v, 4, 2)),
        "地址": (lambda v: city(v) is not None, city),
    }
    out = []
    for row in table.to_pylist():
        masked: dict[str, str | None] = {}
        for name, value in row.items():
            valid, mask = rules[name]
            masked[name] = mask(value) if value is not None and valid(value) else value
        out.append(masked)
    return out


PRESIDIO_SCRIPT = r"""
import sys, time
import pyarrow.parquet as pq
from presidio_analyzer import Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

MOBILE, EMAIL, CITY = sys.argv[2], sys.argv[3], sys.argv[4]
recognizers = {
    "身份证号": PatternRecognizer(
        supported_entity="CN_RID", patterns=[Pattern("rid", r"\b[0-9]{17}[0-9X]\b", 0.5)]
    ),
    "手机号": PatternRecognizer(supported_entity="CN_MOBILE", patterns=[Pattern("m", MOBILE, 0.5)]),
    "统一社会信用代码": PatternRecognizer(
        supported_entity="CN_USCC",
        patterns=[Pattern("u", r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$", 0.5)],
    ),
    "银行卡号": CreditCardRecognizer(),
    "邮箱": PatternRecognizer(supported_entity="EMAIL", patterns=[Pattern("e", EMAIL, 0.5)]),
    "联系电话": PatternRecognizer(
        supported_entity="CN_TEL", patterns=[Pattern("t", r"0[0-9]{2,3}-[0-9]{7,8}", 0.5)]
    ),
    "姓名": PatternRecognizer(supported_entity="CN_NAME", patterns=[Pattern("n", r"^\w{2,4}$", 0.1)]),
    "地址": PatternRecognizer(supported_entity="CN_ADDR", patterns=[Pattern("a", CITY, 0.3)]),
}
table = pq.read_table(sys.argv[1])
start = time.perf_counter()
found = 0
for name in table.column_names:
    recognizer = recognizers[name]
    for value in table.column(name).to_pylist():
        found += len(recognizer.analyze(value, entities=recognizer.supported_entities, nlp_artifacts=None))
print(time.perf_counter() - start, found)
"""


def presidio(python: str, table: pa.Table) -> tuple[float, int]:
    """Seconds Presidio's recognizers take over `table` (in `python`), and entities found."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.parquet"
        pq.write_table(table, path)
        done = subprocess.run(
            [
                python,
                "-c",
                PRESIDIO_SCRIPT,
                str(path),
                _MOBILE.pattern,
                _EMAIL.pattern,
                _CITY.pattern,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    seconds, found = done.stdout.split()
    return float(seconds), int(found)


def _best_of(paths: dict[str, tuple[int, Callable[[], object]]], repeat: int) -> dict[str, float]:
    """Best wall-clock seconds of each path over `repeat` rounds. Each round runs every
    path once, in turn, so a burst of load from other jobs falls on all paths alike
    rather than on whichever ran during it; every run is printed, so the spread shows
    how noisy the machine was."""
    runs: dict[str, list[float]] = {label: [] for label in paths}
    for _ in range(repeat):
        for label, (_, run) in paths.items():
            start = time.perf_counter()
            run()
            runs[label].append(time.perf_counter() - start)
    for label, (rows, _) in paths.items():
        best = min(runs[label])
        spread = " ".join(f"{seconds:.2f}" for seconds in runs[label])
        print(f"{label:<16} {best:9.2f} s  {rows / best:>14,.0f} rows/s   (runs: {spread})")
    return {label: min(seconds) for label, seconds in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--loop-rows", type=int, default=None, help="rows for the loop")
    parser.add_argument("--presidio-python", default=None, help="interpreter with presidio")
    parser.add_argument("--presidio-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per path; best is kept")
    args = parser.parse_args()
    table = make_table(args.rows)
    loop_rows = args.loop_rows or args.rows
    loop_table = table.slice(0, loop_rows)
    print(f"{args.rows:,} rows x {table.num_columns} sensitive columns, best of {args.repeat}")
    detections = {n: classify_column(n, table.column(n)).kind for n in table.column_names}
    assert ColumnKind.OTHER not in detections.values(), detections
    best = _best_of(
        {
            "sluice": (args.rows, lambda: sluice(table)),
            "sluice+full scan": (args.rows, lambda: sluice_full_scan(table)),
            "per-cell loop": (loop_rows, lambda: per_cell(loop_table)),
        },
        args.repeat,
    )
    loop_rate, our_rate = loop_rows / best["per-cell loop"], args.rows / best["sluice"]
    full_rate = args.rows / best["sluice+full scan"]
    print(f"speed-up over the per-cell loop, production path: {our_rate / loop_rate:.1f}x")
    print(f"speed-up over the per-cell loop, full scan:       {full_rate / loop_rate:.1f}x")
    if not args.presidio_python:
        print("presidio         skipped: pass --presidio-python (see the module docstring)")
        return
    sample = table.slice(0, min(args.rows, args.presidio_rows))
    took, found = presidio(args.presidio_python, sample)
    rate = sample.num_rows / took
    print(f"{'presidio':<16} {took:9.2f} s  {rate:>14,.0f} rows/s  ({sample.num_rows:,} rows)")
    print(f"speed-up over presidio: {our_rate / rate:.1f}x ({found:,} entities found)")


if __name__ == "__main__":
    main()
