import re
from collections.abc import Callable

import numpy as np
import pytest

from anonymize import synthetic
from anonymize.checksums import is_valid_resident_id, is_valid_uscc

GENERATORS: list[Callable[[np.random.Generator, int], list[str]]] = [
    synthetic.resident_ids,
    synthetic.invalid_resident_ids,
    synthetic.mobiles,
    synthetic.chinese_names,
    synthetic.usccs,
    synthetic.order_numbers,
    synthetic.addresses,
]


@pytest.mark.parametrize("generate", GENERATORS)
def test_generators_are_deterministic_for_a_seed(
    generate: Callable[[np.random.Generator, int], list[str]],
) -> None:
    first = generate(np.random.default_rng(3), 50)
    assert first == generate(np.random.default_rng(3), 50)
    assert len(first) == 50
    assert all(isinstance(value, str) for value in first)


@pytest.mark.parametrize("generate", GENERATORS)
def test_generators_accept_zero(generate: Callable[[np.random.Generator, int], list[str]]) -> None:
    assert generate(np.random.default_rng(3), 0) == []


def test_identifier_validity() -> None:
    rng = np.random.default_rng(4)
    assert all(map(is_valid_resident_id, synthetic.resident_ids(rng, 300)))
    assert not any(map(is_valid_resident_id, synthetic.invalid_resident_ids(rng, 300)))
    assert all(map(is_valid_uscc, synthetic.usccs(rng, 300)))
    orders = synthetic.order_numbers(rng, 300)
    assert all(re.fullmatch(r"20[0-9]{16}", order) for order in orders)
    assert not any(map(is_valid_resident_id, orders))
    assert not any(map(is_valid_uscc, orders))


def test_near_misses_differ_from_a_valid_id_only_in_the_check_character() -> None:
    valid = synthetic.resident_ids(np.random.default_rng(5), 100)
    near = synthetic.invalid_resident_ids(np.random.default_rng(5), 100)
    assert [v[:17] for v in valid] == [n[:17] for n in near]
    assert all(v[17] != n[17] for v, n in zip(valid, near, strict=True))


def test_shapes_of_mobiles_names_and_addresses() -> None:
    rng = np.random.default_rng(6)
    assert all(re.fullmatch(r"1[3-9][0-9]{9}", m) for m in synthetic.mobiles(rng, 200))
    assert all(2 <= len(name) <= 4 for name in synthetic.chinese_names(rng, 200))
    assert all(re.fullmatch(r"\w+[0-9]+号", a) for a in synthetic.addresses(rng, 200))
