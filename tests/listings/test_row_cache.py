"""The row cache: pages of stored Parquet files, within its bounds, never stale."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from listings.row_cache import RowCache

ROWS = 3000
GROUP = 500


def _table(rows: int = ROWS, *, tag: str = "a") -> pa.Table:
    return pa.table(
        {
            "row": list(range(rows)),
            "tag": [f"{tag}{i}" for i in range(rows)],
            "value": [i * 0.25 for i in range(rows)],
        }
    )


def _write(path: Path, table: pa.Table, *, group: int = GROUP) -> Path:
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, row_group_size=group)
    os.replace(tmp, path)
    return path


def _everything(name: str) -> bool:
    return True


def _read(cache: RowCache, path: Path, offset: int, limit: int) -> pa.Table:
    return cache.read(path, offset=offset, limit=limit, columns=_everything)


def _pages(seed: int, count: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return [(rng.randrange(ROWS + 50), rng.randrange(0, 800)) for _ in range(count)]


@pytest.mark.parametrize("group", [GROUP, ROWS, 7])
@pytest.mark.parametrize("budget", [10**8, 0], ids=["kept", "streamed"])
def test_pages_equal_slices_of_the_whole_file(tmp_path: Path, group: int, budget: int) -> None:
    """Decoded and kept, or (a group larger than the budget) streamed a batch at a time."""
    path = _write(tmp_path / "d.parquet", _table(), group=group)
    whole = pq.read_table(path)
    cache = RowCache(max_files=4, max_bytes=budget)
    pages = [(0, ROWS), (GROUP - 1, 2), (ROWS - 3, 10), (ROWS, 5), (ROWS + 9, 5), (10, 0)]
    for offset, limit in pages + _pages(1, 40):
        assert _read(cache, path, offset, limit) == whole.slice(offset, limit), (offset, limit)


def test_only_the_chosen_columns_are_read_in_the_files_order(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.parquet", _table())
    chosen = RowCache(max_files=4, max_bytes=10**8)
    page = chosen.read(path, offset=490, limit=20, columns=lambda name: name in ("value", "row"))
    assert page.column_names == ["row", "value"]
    assert page.column("row").to_pylist() == list(range(490, 510))
    everything = RowCache(max_files=4, max_bytes=10**8)
    _read(everything, path, 490, 20)
    assert 0 < chosen.decoded_bytes < everything.decoded_bytes  # "tag" was never decoded


def test_no_column_chosen_still_counts_the_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.parquet", _table())
    page = RowCache(max_files=4, max_bytes=10**8).read(
        path, offset=ROWS - 5, limit=100, columns=lambda name: False
    )
    assert (page.num_rows, page.num_columns) == (5, 0)


def test_open_files_stay_within_the_bound(tmp_path: Path) -> None:
    cache = RowCache(max_files=2, max_bytes=10**8)
    paths = [_write(tmp_path / f"{i}.parquet", _table(tag=f"t{i}")) for i in range(5)]
    for round_ in range(3):
        for i, path in enumerate(paths):
            page = _read(cache, path, 100 * round_, 10)
            assert page.column("tag").to_pylist()[0] == f"t{i}{100 * round_}"
            assert cache.open_files <= 2


def test_decoded_columns_stay_within_the_byte_budget(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.parquet", _table())
    whole = pq.read_table(path)
    one_group = pq.read_table(path).slice(0, GROUP).combine_chunks()
    budget = 2 * one_group.get_total_buffer_size()  # about two groups' worth
    cache = RowCache(max_files=4, max_bytes=budget)
    for offset, limit in _pages(2, 60):
        assert _read(cache, path, offset, limit) == whole.slice(offset, limit)
        assert cache.decoded_bytes <= budget


def test_a_group_larger_than_the_budget_is_streamed_and_not_kept(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.parquet", _table(20 * ROWS), group=20 * ROWS)
    cache = RowCache(max_files=4, max_bytes=1000)
    assert _read(cache, path, 12000, 3).column("row").to_pylist() == [12000, 12001, 12002]
    assert cache.decoded_bytes == 0


def test_a_cache_turned_off_still_reads(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.parquet", _table())
    cache = RowCache(max_files=0, max_bytes=0)
    assert _read(cache, path, 499, 2).column("row").to_pylist() == [499, 500]
    assert (cache.open_files, cache.decoded_bytes) == (0, 0)


def test_concurrent_readers_get_exactly_their_pages(tmp_path: Path) -> None:
    """Threads reading three files through one small cache (constant eviction)."""
    paths = [_write(tmp_path / f"{i}.parquet", _table(tag=f"f{i}")) for i in range(3)]
    wholes = [pq.read_table(path) for path in paths]
    one_group = wholes[0].slice(0, GROUP).combine_chunks().get_total_buffer_size()
    cache = RowCache(max_files=2, max_bytes=3 * one_group)
    failures: list[str] = []

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        for offset, limit in _pages(seed, 40):
            which = rng.randrange(3)
            if _read(cache, paths[which], offset, limit) != wholes[which].slice(offset, limit):
                failures.append(f"file {which} at {offset}+{limit}")

    threads = [threading.Thread(target=reader, args=(seed,)) for seed in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert cache.open_files <= 2
    assert cache.decoded_bytes <= 3 * one_group


@pytest.mark.parametrize("rows", [ROWS, ROWS + 1000])
def test_a_replaced_file_is_read_anew(tmp_path: Path, rows: int) -> None:
    path = _write(tmp_path / "d.parquet", _table(tag="old"))
    cache = RowCache(max_files=4, max_bytes=10**8)
    assert _read(cache, path, 0, 5).column("tag").to_pylist()[0] == "old0"
    _write(path, _table(rows, tag="new"))  # renamed over it, as every writer does
    page = _read(cache, path, 0, 5)
    assert page.column("tag").to_pylist() == [f"new{i}" for i in range(5)]
    assert _read(cache, path, rows - 1, 5).column("tag").to_pylist() == [f"new{rows - 1}"]


def test_a_file_rewritten_in_place_is_read_anew(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.parquet", _table(tag="old"))
    cache = RowCache(max_files=4, max_bytes=10**8)
    assert _read(cache, path, 0, 1).column("tag").to_pylist() == ["old0"]
    sink = pa.BufferOutputStream()
    pq.write_table(_table(tag="new"), sink, row_group_size=GROUP)
    with path.open("r+b") as same_inode:  # same inode, new bytes
        same_inode.truncate(0)
        same_inode.write(sink.getvalue().to_pybytes())
    assert _read(cache, path, 0, 1).column("tag").to_pylist() == ["new0"]


def test_a_removed_file_is_refused_and_forgotten(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.parquet", _table())
    cache = RowCache(max_files=4, max_bytes=10**8)
    assert _read(cache, path, 0, 10).num_rows == 10
    assert cache.decoded_bytes > 0
    path.unlink()
    with pytest.raises(FileNotFoundError):
        _read(cache, path, 0, 10)
    assert (cache.open_files, cache.decoded_bytes) == (0, 0)


def test_negative_pages_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.parquet", _table())
    with pytest.raises(ValueError, match="negative"):
        _read(RowCache(max_files=1, max_bytes=0), path, -1, 10)
