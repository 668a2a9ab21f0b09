import math

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymize.coordinates import cell_size, generalize_coordinates


def test_numbers_round_to_decimals() -> None:
    values = pa.array([39.9042, 116.4074, -0.004, 39.905, -39.905, None, 180.0])
    result = generalize_coordinates(values, decimals=2)
    assert result.type == pa.float64()
    assert result.to_pylist() == [39.9, 116.41, 0.0, 39.91, -39.91, None, 180.0]


def test_text_pairs_and_single_coordinates_keep_their_form() -> None:
    values = pa.array(
        ["39.9042,116.4074", "(39.9042, 116.4074)", "39.9042 116.4074", "39.9042", "-0.5", None]
    )
    assert generalize_coordinates(values, decimals=2).to_pylist() == [
        "39.90,116.41",
        "39.90,116.41",
        "39.90,116.41",
        "39.90",
        "-0.50",
        None,
    ]


def test_full_width_digits_and_commas_are_read() -> None:
    values = pa.array(["３９．９０４２，１１６．４０７４"])
    assert generalize_coordinates(values, decimals=1).to_pylist() == ["39.9,116.4"]


def test_a_grid_snaps_to_its_nearest_point_with_the_grid_s_decimals() -> None:
    values = pa.array(["39.9042,116.4074", "39.974", "-0.02"])
    assert generalize_coordinates(values, grid=0.05).to_pylist() == [
        "39.90,116.40",
        "39.95",
        "0.00",
    ]
    assert generalize_coordinates(values, grid=2.5).to_pylist() == ["40.0,117.5", "40.0", "0.0"]
    assert generalize_coordinates(pa.array([1.2, 1.3]), grid=0.5).to_pylist() == [1.0, 1.5]


@pytest.mark.parametrize("value", ["abc", "200,1", "39.9042,", "1e5", "39.9042;116.4074", ""])
def test_values_that_are_no_coordinates_become_null(value: str) -> None:
    assert generalize_coordinates(pa.array([value]), decimals=2).to_pylist() == [None]


def test_non_finite_and_out_of_range_numbers_become_null() -> None:
    values = pa.array([math.nan, math.inf, -180.5, 181.0])
    assert generalize_coordinates(values, decimals=3).to_pylist() == [None] * 4


@settings(max_examples=200)
@given(
    st.floats(-180, 180, allow_nan=False),
    st.integers(0, 6),
)
def test_every_point_moves_at_most_half_a_cell_and_lands_on_the_grid(
    value: float, decimals: int
) -> None:
    """Not reversible: the output is a grid point within half a cell of the input, the same
    for every input that rounds there."""
    (result,) = generalize_coordinates(pa.array([value]), decimals=decimals).to_pylist()
    cell = 10.0**-decimals
    assert abs(result - value) <= cell / 2 + 1e-9
    assert abs(result / cell - round(result / cell)) < 1e-6
    (text,) = generalize_coordinates(pa.array([repr(value)]), decimals=decimals).to_pylist()
    if "e" not in repr(value):  # scientific notation is not a coordinate format
        assert float(text) == result
        assert len(text.partition(".")[2]) == decimals


def test_chunked_input_and_determinism() -> None:
    chunked = pa.chunked_array([["39.9042,116.4074"], [None, "31.2304,121.4737"]])
    first = generalize_coordinates(chunked, decimals=1).to_pylist()
    assert first == ["39.9,116.4", None, "31.2,121.5"]
    assert generalize_coordinates(chunked, decimals=1).to_pylist() == first


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "either decimals or grid"),
        ({"decimals": 2, "grid": 0.1}, "either decimals or grid"),
        ({"decimals": 7}, "between 0 and 6"),
        ({"grid": 0.0000015}, "steps of 0.000001"),
        ({"grid": 0.0}, "steps of 0.000001"),
        ({"grid": 11.0}, "steps of 0.000001"),
    ],
)
def test_cell_size_refuses_bad_parameters(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cell_size(**kwargs)  # type: ignore[arg-type]
