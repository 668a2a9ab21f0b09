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


def _luhn_check_codes(bodies: np.ndarray) -> np.ndarray:
    """ASCII code of the Luhn check digit for each row of an (n, k) digit-code matrix."""
    digits = (bodies.astype(np.int64) - ord("0"))[:, ::-1]
    doubled = digits[:, ::2] * 2  # with the check digit appended these become odd positions
    total = (doubled - 9 * (doubled > 9)).sum(axis=1) + digits[:, 1::2].sum(axis=1)
    return ((10 - total % 10) % 10 + ord("0")).astype(np.uint8)


def _bank_card_bodies(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    prefix = np.tile(np.frombuffer(b"62", dtype=np.uint8), (n, 1))
    return np.hstack([prefix, _random_digits(rng, n, width - 3)])


def bank_cards(rng: np.random.Generator, n: int) -> list[str]:
    """UnionPay-style card numbers (62...), 16 or 19 digits, with a valid Luhn digit."""
    short = rng.random(n) < 0.5
    out = np.empty(n, dtype=object)
    for width, rows in ((16, np.flatnonzero(short)), (19, np.flatnonzero(~short))):
        bodies = _bank_card_bodies(rng, len(rows), width)
        out[rows] = _strings(bodies, _luhn_check_codes(bodies)[:, None])
    return out.tolist()


def invalid_bank_cards(rng: np.random.Generator, n: int) -> list[str]:
    """Near misses: 16-digit 62... numbers whose last digit fails the Luhn check."""
    bodies = _bank_card_bodies(rng, n, 16)
    right = _luhn_check_codes(bodies)
    wrong = ((right - ord("0") + rng.integers(1, 10, size=n)) % 10 + ord("0")).astype(np.uint8)
    return _strings(bodies, wrong[:, None])


def invalid_usccs(rng: np.random.Generator, n: int) -> list[str]:
    """Near misses: `usccs` with a wrong check character."""
    codes = usccs(rng, n)
    alphabet = list(USCC_ALPHABET)
    shift = rng.integers(1, len(alphabet), size=n)
    position = np.array([alphabet.index(code[-1]) for code in codes], dtype=np.int64)
    wrong = np.array(alphabet)[(position + shift) % len(alphabet)]
    return [code[:-1] + char for code, char in zip(codes, wrong, strict=True)]


_AREA_CODES = np.array(["010", "021", "020", "022", "023", "0755", "0571", "028", "0512"])


def landlines(rng: np.random.Generator, n: int) -> list[str]:
    """Fixed-line numbers written `0755-12345678` (8-digit locals, first digit 2-8)."""
    area = rng.choice(_AREA_CODES, size=n)
    local = rng.integers(2, 9, size=n) * 10_000_000 + rng.integers(0, 10_000_000, size=n)
    return np.char.add(np.char.add(area, "-"), local.astype(str)).tolist()


def emails(rng: np.random.Generator, n: int) -> list[str]:
    """Addresses like `zhang.wei83@163.com` at common mail domains."""
    users = rng.choice(["zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao"], n)
    numbers = rng.integers(1, 10_000, size=n).astype(str)
    domains = rng.choice(["163.com", "qq.com", "126.com", "sina.com", "example.cn"], n)
    return np.char.add(
        np.char.add(np.char.add(users, "."), numbers), np.char.add("@", domains)
    ).tolist()


def ipv4s(rng: np.random.Generator, n: int) -> list[str]:
    """Dotted-quad IPv4 addresses."""
    octets = rng.integers(0, 256, size=(n, 4)).astype(str)
    return [".".join(row) for row in octets]


def ipv6s(rng: np.random.Generator, n: int) -> list[str]:
    """Full-form IPv6 addresses (8 groups of 4 hex digits)."""
    groups = rng.integers(0, 65536, size=(n, 8))
    return [":".join(f"{g:04x}" for g in row) for row in groups]


_PLATE_PROVINCES = np.array(list("京津沪渝冀豫云辽黑湘皖鲁苏浙赣鄂桂甘晋陕吉闽贵粤川"))
_PLATE_LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
_PLATE_SYMBOLS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))


def plates(rng: np.random.Generator, n: int) -> list[str]:
    """Plates: `京A·12345`-style fuel plates, and 1 in 5 new-energy `沪AD12345`."""
    head = np.char.add(rng.choice(_PLATE_PROVINCES, n), rng.choice(_PLATE_LETTERS, n))
    fuel = ["".join(row) for row in rng.choice(_PLATE_SYMBOLS, size=(n, 5))]
    energy = np.char.add(rng.choice(["D", "F"], n), rng.integers(10000, 100000, n).astype(str))
    tail = np.where(rng.random(n) < 0.2, energy, np.array(fuel))
    return np.char.add(head, tail).tolist()


def passports(rng: np.random.Generator, n: int) -> list[str]:
    """Ordinary passport numbers (E + 8 digits, or E + letter + 7) and 港澳 permits (C...)."""
    kind = rng.integers(0, 3, size=n)
    digits8 = rng.integers(10_000_000, 100_000_000, size=n).astype(str)
    digits7 = rng.integers(1_000_000, 10_000_000, size=n).astype(str)
    letter = rng.choice(np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ")), n)
    forms = [
        np.char.add("E", digits8),
        np.char.add(np.char.add("E", letter), digits7),
        np.char.add("C", digits8),
    ]
    return np.choose(kind, forms).tolist()


def birth_dates(rng: np.random.Generator, n: int) -> list[str]:
    """Birth dates 1940-2010 written YYYY-MM-DD."""
    codes = _dates(rng, n, "1940-01-01", "2010-12-31")
    return [f"{s[:4]}-{s[4:6]}-{s[6:]}" for s in _strings(codes)]


def gps_pairs(rng: np.random.Generator, n: int) -> list[str]:
    """`lat,lng` pairs inside mainland China's bounding box, 6 decimals."""
    lat = rng.uniform(18.0, 53.0, size=n)
    lng = rng.uniform(73.0, 135.0, size=n)
    return [f"{a:.6f},{b:.6f}" for a, b in zip(lat, lng, strict=True)]
