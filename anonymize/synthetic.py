"""Seeded generators of realistic fake personal data, for demos, tests and benchmarks.

Every generator takes a `numpy.random.Generator` and a count and returns a `list[str]`
(feed it to `pa.array`, `pl.Series` or a DataFrame as you like). Output is deterministic
for a given generator state, and built with whole-array numpy operations, so a million
values take under a second. None of it is real: identifiers have valid structure
and check characters but are drawn at random, and any match with a real person or
company is a coincidence.
"""

import numpy as np

from anonymize import _kernels
from anonymize._text import ascii_codes
from anonymize.checksums import USCC_ALPHABET
from anonymize.surnames import COMMON_SURNAMES, COMPOUND_SURNAMES

# Districts of Beijing, Shanghai, Shenzhen, Hangzhou, Chengdu, Nanjing, Wuhan, Chongqing.
REGION_CODES = np.array(
    ["110105", "110108", "310104", "310115", "440305", "330106", "510107", "320102"]
    + ["420106", "500103"]
)
MOBILE_PREFIXES = np.array(
    [str(p) for p in [*range(130, 140), 147, *range(150, 154), *range(155, 160), 166]]
    + [str(p) for p in [*range(170, 174), *range(175, 179), *range(180, 190), 191, 193]]
    + [str(p) for p in [195, 196, 197, 198, 199]]
)
GIVEN_NAME_CHARS = np.array(
    list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红玲燕春梅琳云雪荣婷颖")
    + list("佳嘉怡欣宇浩然子轩涵睿博文晨阳思雨诗琪俊鹏飞鑫建国志峰海波辉斌亮")
)
_SURNAMES = np.array(sorted(COMMON_SURNAMES))
_REGION_MATRIX = ascii_codes(REGION_CODES)
_MOBILE_PREFIX_MATRIX = ascii_codes(MOBILE_PREFIXES)
_USCC_KIND_MATRIX = ascii_codes(np.array(["91", "92", "93", "11", "51", "52"]))
_COMPOUND_SURNAMES = np.array(sorted(COMPOUND_SURNAMES))
_PLACES = np.array(
    ["北京市朝阳区", "北京市海淀区", "上海市徐汇区", "上海市浦东新区", "广东省深圳市南山区"]
    + ["广东省广州市天河区", "浙江省杭州市西湖区", "四川省成都市武侯区", "江苏省南京市玄武区"]
)
_ROADS = np.array(
    ["建国路", "人民路", "解放路", "中山路", "长安街", "南京路", "科技园路", "文三路"]
)


def _digit_codes(numbers: np.ndarray, width: int) -> np.ndarray:
    """(n, width) ASCII digit codes of non-negative integers, zero-padded on the left."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers % 10 + ord("0")).astype(np.uint8)


def _random_digits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return rng.integers(0, 10, size=(n, width), dtype=np.uint8) + np.uint8(ord("0"))


def _pick(rng: np.random.Generator, choices: np.ndarray, n: int) -> np.ndarray:
    """n rows drawn from the rows of an ASCII code matrix."""
    return choices[rng.integers(0, len(choices), size=n)]


def _dates(rng: np.random.Generator, n: int, first: str, last: str) -> np.ndarray:
    """(n, 8) YYYYMMDD digit codes of random dates between two ISO dates, inclusive."""
    start, stop = np.datetime64(first, "D"), np.datetime64(last, "D")
    days = start + rng.integers(0, (stop - start).astype(int) + 1, size=n)
    month_start = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (days - month_start).astype(np.int64) + 1
    return _digit_codes(year * 10_000 + month * 100 + day, 8)


def _strings(*parts: np.ndarray) -> list[str]:
    """Join (n, k) ASCII code matrices side by side and decode each row to a str."""
    rows = np.ascontiguousarray(np.hstack(parts))
    return rows.view(f"S{rows.shape[1]}").ravel().astype(str).tolist()


def _resident_bodies(rng: np.random.Generator, n: int) -> np.ndarray:
    born = _dates(rng, n, "1950-01-01", "2005-12-31")
    return np.hstack([_pick(rng, _REGION_MATRIX, n), born, _random_digits(rng, n, 3)])


def resident_ids(rng: np.random.Generator, n: int) -> list[str]:
    """Valid 18-digit resident IDs: real district codes, births 1950-2005, right check char."""
    bodies = _resident_bodies(rng, n)
    return _strings(bodies, _kernels.resident_id_check_codes(bodies)[:, None])


def invalid_resident_ids(rng: np.random.Generator, n: int) -> list[str]:
    """Near misses: like `resident_ids` in every position but a wrong check character."""
    bodies = _resident_bodies(rng, n)
    right = _kernels.resident_id_check_codes(bodies)
    chars = np.frombuffer(b"0123456789X", dtype=np.uint8)
    position = np.searchsorted(chars, right)  # `chars` is sorted: index of the right one
    wrong = chars[(position + rng.integers(1, 11, size=n)) % 11]
    return _strings(bodies, wrong[:, None])


def mobiles(rng: np.random.Generator, n: int) -> list[str]:
    """Bare 11-digit mainland mobile numbers under prefixes carriers actually use."""
    return _strings(_pick(rng, _MOBILE_PREFIX_MATRIX, n), _random_digits(rng, n, 8))


def chinese_names(rng: np.random.Generator, n: int) -> list[str]:
    """Names of 2-4 characters: a common surname (a compound one 1 time in 20), 1-2 given."""
    compound = rng.random(n) < 0.05
    surname = np.where(
        compound, rng.choice(_COMPOUND_SURNAMES, size=n), rng.choice(_SURNAMES, size=n)
    )
    given = rng.choice(GIVEN_NAME_CHARS, size=n)
    second = np.where(rng.random(n) < 0.6, rng.choice(GIVEN_NAME_CHARS, size=n), "")
    return np.char.add(np.char.add(surname, given), second).tolist()


def usccs(rng: np.random.Generator, n: int) -> list[str]:
    """Valid unified social credit codes with digit-only first 8 characters.

    Authority 1, 5 or 9 and entity type 1-3 (the combinations most seen), a district code
    from `REGION_CODES`, a random 9-symbol organization code and the right check character.
    """
    alphabet = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    organization = alphabet[rng.integers(0, len(alphabet), size=(n, 9))]
    bodies = np.hstack(
        [_pick(rng, _USCC_KIND_MATRIX, n), _pick(rng, _REGION_MATRIX, n), organization]
    )
    return _strings(bodies, _kernels.uscc_check_codes(bodies)[:, None])


def order_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """18-digit order serials (date, then 10 digits) that are neither resident IDs nor USCCs.

    They start with 20, which no province code does, and a last digit that happens to be a
    valid USCC check character is bumped, so they are negatives for every detector.
    """
    bodies = np.hstack([_dates(rng, n, "2020-01-01", "2025-12-31"), _random_digits(rng, n, 9)])
    last = _random_digits(rng, n, 1)[:, 0]
    bumped = (last - ord("0") + 1) % 10 + ord("0")
    last = np.where(last == _kernels.uscc_check_codes(bodies), bumped, last).astype(np.uint8)
    return _strings(bodies, last[:, None])


def addresses(rng: np.random.Generator, n: int) -> list[str]:
    """Street addresses like 北京市朝阳区建国路88号."""
    street = np.char.add(rng.choice(_PLACES, size=n), rng.choice(_ROADS, size=n))
    number = rng.integers(1, 1000, size=n).astype(str)
    return np.char.add(np.char.add(street, number), "号").tolist()
