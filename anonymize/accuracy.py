"""Precision and recall of the value validators on a generated, labelled corpus.

The corpus holds, for every kind, valid values (positives) and near misses that a regex
alone would accept: identifiers with a wrong check character, order numbers of the same
width, mobile-shaped numbers under a non-mobile prefix, octets above 255, plates with the
letters I/O, e-mail addresses without a domain, bare city names, impossible dates.

Each value is labelled with the first kind in `PRECEDENCE` whose validator accepts it,
the order a scanner uses when one value passes two validators (an 18-digit resident ID
that happens to pass Luhn is a resident ID, not a bank card). Checksum-backed kinds come
first because their checks are the strongest evidence. Deterministic for a seed.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from anonymize import synthetic
from anonymize.detect import ColumnKind
from anonymize.validators import (
    plausible_date_mask,
    valid_address_mask,
    valid_bank_card_mask,
    valid_email_mask,
    valid_gps_pair_mask,
    valid_ip_mask,
    valid_landline_mask,
    valid_mobile_mask,
    valid_name_mask,
    valid_passport_mask,
    valid_plate_mask,
    valid_resident_id_mask,
    valid_uscc_mask,
)

CHECKSUM_KINDS = (ColumnKind.RESIDENT_ID, ColumnKind.USCC, ColumnKind.BANK_CARD)
PRECEDENCE: tuple[tuple[ColumnKind, Callable[[pa.Array], pa.BooleanArray]], ...] = (
    (ColumnKind.RESIDENT_ID, valid_resident_id_mask),
    (ColumnKind.USCC, valid_uscc_mask),
    (ColumnKind.BANK_CARD, valid_bank_card_mask),
    (ColumnKind.MOBILE, valid_mobile_mask),
    (ColumnKind.LANDLINE, valid_landline_mask),
    (ColumnKind.EMAIL, valid_email_mask),
    (ColumnKind.IP_ADDRESS, valid_ip_mask),
    (ColumnKind.PLATE, valid_plate_mask),
    (ColumnKind.PASSPORT, valid_passport_mask),
    (ColumnKind.BIRTH_DATE, plausible_date_mask),
    (ColumnKind.GPS, valid_gps_pair_mask),
    (ColumnKind.ADDRESS, valid_address_mask),
    (ColumnKind.NAME, valid_name_mask),
)


@dataclass(frozen=True)
class KindScore:
    kind: ColumnKind
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0


def _near_misses(rng: np.random.Generator, n: int) -> list[str]:
    """Values that look like some kind but are not one (all labelled `other`)."""
    mobiles_bad_prefix = ["12" + value[2:] for value in synthetic.mobiles(rng, n)]
    short_mobiles = [value[:10] for value in synthetic.mobiles(rng, n)]
    bad_octets = [f"{a}.{b}.{c}.256" for a, b, c in rng.integers(0, 256, size=(n, 3))]
    plates_io = ["京I" + value[2:] for value in synthetic.plates(rng, n)]
    return (
        synthetic.invalid_resident_ids(rng, n)
        + synthetic.invalid_usccs(rng, n)
        + synthetic.invalid_bank_cards(rng, n)
        + synthetic.order_numbers(rng, n)
        + mobiles_bad_prefix
        + short_mobiles
        + bad_octets
        + plates_io
        + [value.split("@")[0] + "@localhost" for value in synthetic.emails(rng, n)]
        + ["北京市", "广东省深圳市", "上海市浦东新区", "1990-02-30", "2999-01-01"] * (n // 5 + 1)
        + ["苏州市", "金华县", "北京路"] * (n // 3 + 1)
    )


def labelled_corpus(n_per_kind: int, *, seed: int = 0) -> tuple[list[str], list[ColumnKind]]:
    """`n_per_kind` positives per kind plus about 10 * `n_per_kind` near misses."""
    rng = np.random.default_rng(seed)
    positives: dict[ColumnKind, list[str]] = {
        ColumnKind.RESIDENT_ID: synthetic.resident_ids(rng, n_per_kind),
        ColumnKind.USCC: synthetic.usccs(rng, n_per_kind),
        ColumnKind.BANK_CARD: synthetic.bank_cards(rng, n_per_kind),
        ColumnKind.MOBILE: synthetic.mobiles(rng, n_per_kind),
        ColumnKind.LANDLINE: synthetic.landlines(rng, n_per_kind),
        ColumnKind.EMAIL: synthetic.emails(rng, n_per_kind),
        ColumnKind.IP_ADDRESS: synthetic.ipv4s(rng, n_per_kind // 2)
        + synthetic.ipv6s(rng, n_per_kind - n_per_kind // 2),
        ColumnKind.PLATE: synthetic.plates(rng, n_per_kind),
        ColumnKind.PASSPORT: synthetic.passports(rng, n_per_kind),
        ColumnKind.BIRTH_DATE: synthetic.birth_dates(rng, n_per_kind),
        ColumnKind.GPS: synthetic.gps_pairs(rng, n_per_kind),
        ColumnKind.ADDRESS: synthetic.addresses(rng, n_per_kind),
        ColumnKind.NAME: synthetic.chinese_names(rng, n_per_kind),
    }
    values: list[str] = []
    labels: list[ColumnKind] = []
    for kind, items in positives.items():
        values += items
        labels += [kind] * len(items)
    misses = _near_misses(rng, n_per_kind)
    return values + misses, labels + [ColumnKind.OTHER] * len(misses)


def predict(values: list[str]) -> list[ColumnKind]:
    """The first kind in `PRECEDENCE` whose vectorized validator accepts each value."""
    column = pa.array(values, pa.string())
    predicted = np.full(len(values), ColumnKind.OTHER.value, dtype=object)
    open_rows = np.ones(len(values), dtype=bool)
    for kind, validator in PRECEDENCE:
        hits = validator(column).to_numpy(zero_copy_only=False) & open_rows
        predicted[hits] = kind.value
        open_rows &= ~hits
    return [ColumnKind(value) for value in predicted]


def evaluate(n_per_kind: int = 2000, *, seed: int = 0) -> list[KindScore]:
    """Precision and recall per kind over `labelled_corpus(n_per_kind, seed=seed)`."""
    values, labels = labelled_corpus(n_per_kind, seed=seed)
    truth = np.array([label.value for label in labels])
    guess = np.array([kind.value for kind in predict(values)])
    scores = []
    for kind, _ in PRECEDENCE:
        is_kind, said_kind = truth == kind.value, guess == kind.value
        scores.append(
            KindScore(
                kind,
                true_positives=int(np.sum(is_kind & said_kind)),
                false_positives=int(np.sum(~is_kind & said_kind)),
                false_negatives=int(np.sum(is_kind & ~said_kind)),
            )
        )
    return scores
