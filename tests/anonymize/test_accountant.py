"""Exact ε/δ units and sequential composition."""

from __future__ import annotations

import pytest

from anonymize import accountant


def test_units_round_up_so_charges_are_never_smaller() -> None:
    assert accountant.epsilon_to_units(0.1) == 100_000
    assert accountant.epsilon_to_units(0.0000001) == 1
    assert accountant.delta_to_units(1e-6) == 1_000_000_000
    assert accountant.epsilon_from_units(accountant.epsilon_to_units(0.25)) == 0.25


def test_ten_charges_of_a_tenth_sum_exactly_to_one() -> None:
    charges = [(accountant.epsilon_to_units(0.1), accountant.delta_to_units(1e-7))] * 10
    eps, delta = accountant.compose_sequential(charges)
    assert eps == accountant.epsilon_to_units(1.0)
    assert delta == accountant.delta_to_units(1e-6)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_invalid_epsilon_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="epsilon"):
        accountant.epsilon_to_units(bad)


def test_split_evenly() -> None:
    assert accountant.split_evenly(1.0, 4) == 0.25
    with pytest.raises(ValueError, match="parts"):
        accountant.split_evenly(1.0, 0)
