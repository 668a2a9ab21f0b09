import numpy as np
import pyarrow as pa
import pytest

from anonymize import synthetic
from anonymize.detect import ColumnKind, classify_column, normalize_header

CITIES = (
    "北京 上海 广州 深圳 天津 重庆 成都 武汉 杭州 南京 西安 苏州 郑州 长沙 沈阳 青岛 宁波 东莞 "
    "无锡 佛山 合肥 大连 福州 厦门 哈尔滨 济南 温州 南宁 长春 泉州 石家庄 贵阳 南昌 金华 常州 "
    "南通 嘉兴 太原 徐州 惠州 珠海 中山 台州 烟台 兰州 绍兴 海口 扬州 昆明 乌鲁木齐"
).split()
PRODUCTS = (
    "无线鼠标 蓝牙耳机 机械键盘 运动鞋 保温杯 华为手机 小米电视 连衣裙 牛仔裤 白衬衫 "
    "电饭煲 空气炸锅 洗衣机 冰箱 笔记本电脑 平板电脑 充电宝 数据线 台灯 书包"
).split()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2024)


def test_resident_ids_are_found_under_a_misleading_english_header(
    rng: np.random.Generator,
) -> None:
    found = classify_column("phone", pa.array(synthetic.resident_ids(rng, 2000)))
    assert found.kind == ColumnKind.RESIDENT_ID
    assert found.confidence == 1.0
    assert found.evidence == "1,000 of 1,000 sampled values are valid resident ID numbers"


def test_order_numbers_are_not_resident_ids_even_under_an_id_header(
    rng: np.random.Generator,
) -> None:
    found = classify_column("证件号码", pa.array(synthetic.order_numbers(rng, 500)))
    assert found.kind == ColumnKind.OTHER
    assert "header '证件号码' suggests resident_id but the values disagree" in found.evidence


def test_ids_failing_the_checksum_are_not_resident_ids(rng: np.random.Generator) -> None:
    found = classify_column("id_number", pa.array(synthetic.invalid_resident_ids(rng, 500)))
    assert found.kind == ColumnKind.OTHER


def test_random_18_digit_serials_are_not_resident_ids(rng: np.random.Generator) -> None:
    serials = [str(value) for value in rng.integers(10**17, 10**18, size=500)]
    assert classify_column("serial_no", pa.array(serials)).kind == ColumnKind.OTHER


def test_mobiles_with_country_code_and_separators(rng: np.random.Generator) -> None:
    numbers = [f"+86 {n[:3]}-{n[3:7]}-{n[7:]}" for n in synthetic.mobiles(rng, 300)]
    found = classify_column("联系电话", pa.array(numbers))
    assert found.kind == ColumnKind.MOBILE
    assert found.evidence == (
        "300 of 300 sampled values are mainland mobile numbers; header '联系电话' agrees"
    )


def test_mobiles_parsed_as_int64(rng: np.random.Generator) -> None:
    numbers = pa.array([int(n) for n in synthetic.mobiles(rng, 300)], pa.int64())
    assert classify_column("col_7", numbers).kind == ColumnKind.MOBILE


def test_names_under_a_chinese_header(rng: np.random.Generator) -> None:
    found = classify_column("姓名", pa.array(synthetic.chinese_names(rng, 500)))
    assert found.kind == ColumnKind.NAME
    assert found.evidence.endswith("header '姓名' agrees")


def test_a_header_rescues_names_with_rare_surnames(rng: np.random.Generator) -> None:
    names = synthetic.chinese_names(rng, 60) + ["仉一", "仉二", "佴三", "亓四"] * 10
    assert classify_column("姓名", pa.array(names)).kind == ColumnKind.NAME
    assert classify_column("contact", pa.array(names)).kind == ColumnKind.OTHER


@pytest.mark.parametrize("header", ["city", "城市", "name"])
def test_city_names_are_not_personal_names(header: str) -> None:
    assert classify_column(header, pa.array(CITIES * 10)).kind == ColumnKind.OTHER


def test_product_names_are_not_personal_names() -> None:
    assert classify_column("product_name", pa.array(PRODUCTS * 10)).kind == ColumnKind.OTHER


def test_addresses_are_detected(rng: np.random.Generator) -> None:
    assert classify_column("地址", pa.array(synthetic.addresses(rng, 200))).kind == (
        ColumnKind.ADDRESS
    )


def test_unified_social_credit_codes(rng: np.random.Generator) -> None:
    found = classify_column("统一社会信用代码", pa.array(synthetic.usccs(rng, 200)))
    assert found.kind == ColumnKind.USCC


def test_nulls_and_blanks_are_left_out_of_the_sample(rng: np.random.Generator) -> None:
    ids = synthetic.resident_ids(rng, 100)
    values = pa.chunked_array([[None, "", "  "] * 100, ids])
    found = classify_column("x", values)
    assert found.kind == ColumnKind.RESIDENT_ID
    assert found.evidence.startswith("100 of 100 sampled values")


@pytest.mark.parametrize(
    "values",
    [
        pa.array([], pa.string()),
        pa.array([None, None], pa.string()),
        pa.array(["", " ", None]),
        pa.array([None, None], pa.null()),
        pa.chunked_array([], pa.int64()),
    ],
)
def test_columns_without_values_are_other_with_zero_confidence(
    values: pa.Array | pa.ChunkedArray,
) -> None:
    found = classify_column("身份证号", values)
    assert (found.kind, found.confidence) == (ColumnKind.OTHER, 0.0)
    assert "no non-blank values" in found.evidence


def test_nested_columns_are_not_inspected() -> None:
    found = classify_column("tags", pa.array([["a"], ["b"]]))
    assert (found.kind, found.confidence) == (ColumnKind.UNINSPECTED, 0.0)
    assert "not inspected" in found.evidence


def test_the_sample_is_capped_and_deterministic(rng: np.random.Generator) -> None:
    values = pa.array(synthetic.mobiles(rng, 5000))
    first = classify_column("m", values, sample_size=250)
    assert first == classify_column("m", values, sample_size=250)
    assert first.evidence.startswith("250 of 250 sampled values")


def test_a_moderate_match_rate_needs_the_header(rng: np.random.Generator) -> None:
    # 60% mobiles, 40% landlines: enough with a header that says phone, not without.
    values = pa.array(synthetic.mobiles(rng, 60) + ["010-6512-3456"] * 40)
    assert classify_column("phone_number", values).kind == ColumnKind.MOBILE
    assert classify_column("contact_no", values).kind == ColumnKind.OTHER


@pytest.mark.parametrize(
    ("header", "normalized"),
    [("IdCard", "id_card"), ("ID card", "id_card"), ("id-card", "id_card"), ("手机号", "手机号")],
)
def test_normalize_header(header: str, normalized: str) -> None:
    assert normalize_header(header) == normalized


def test_sample_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        classify_column("x", pa.array(["a"]), sample_size=0)


@pytest.mark.parametrize(
    ("header", "make", "kind"),
    [
        ("银行卡号", synthetic.bank_cards, ColumnKind.BANK_CARD),
        ("联系电话", synthetic.landlines, ColumnKind.LANDLINE),
        ("email", synthetic.emails, ColumnKind.EMAIL),
        ("client_ip", synthetic.ipv4s, ColumnKind.IP_ADDRESS),
        ("车牌号", synthetic.plates, ColumnKind.PLATE),
        ("护照号", synthetic.passports, ColumnKind.PASSPORT),
        ("出生日期", synthetic.birth_dates, ColumnKind.BIRTH_DATE),
        ("坐标", synthetic.gps_pairs, ColumnKind.GPS),
        ("住址", synthetic.addresses, ColumnKind.ADDRESS),
    ],
)
def test_new_kinds_are_detected(
    rng: np.random.Generator, header: str, make: object, kind: ColumnKind
) -> None:
    found = classify_column(header, pa.array(make(rng, 300)))  # type: ignore[operator]
    assert found.kind == kind, found
    assert found.confidence >= 0.9


def test_a_date_column_without_a_birth_header_is_not_a_birth_date(
    rng: np.random.Generator,
) -> None:
    found = classify_column("order_date", pa.array(synthetic.birth_dates(rng, 200)))
    assert found.kind == ColumnKind.OTHER


def test_credit_codes_failing_the_check_under_a_header_are_uscc_with_lower_confidence(
    rng: np.random.Generator,
) -> None:
    failing = classify_column("统一社会信用代码", pa.array(synthetic.invalid_usccs(rng, 200)))
    passing = classify_column("统一社会信用代码", pa.array(synthetic.usccs(rng, 200)))
    assert failing.kind == passing.kind == ColumnKind.USCC
    assert failing.confidence < passing.confidence
    assert "not verified" in failing.evidence
    unlabelled = classify_column("code", pa.array(synthetic.invalid_usccs(rng, 200)))
    assert unlabelled.kind == ColumnKind.OTHER


def test_order_numbers_under_a_card_header_are_not_cards(rng: np.random.Generator) -> None:
    found = classify_column("卡号", pa.array(synthetic.order_numbers(rng, 300)))
    assert found.kind == ColumnKind.OTHER
