"""Masking personal data in published complaint narratives: a table of cases, then properties."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.redaction import redact_personal_data

MASKED = [
    # mobile numbers
    ("联系我13812345678谢谢", "联系我[手机号已隐藏]谢谢"),
    ("电话：+86 138 1234 5678", "电话：[手机号已隐藏]"),
    ("手机 86-139-1234-5678。", "手机 [手机号已隐藏]。"),
    ("号码 0086 19912345678", "号码 [手机号已隐藏]"),
    ("全角１５９１２３４５６７８也算", "全角[手机号已隐藏]也算"),
    # resident ID numbers
    ("身份证号11010119900307123X", "身份证号[身份证号已隐藏]"),
    ("身份证 440301198512310017，请核实", "身份证 [身份证号已隐藏]，请核实"),
    ("老身份证110101900307123", "老身份证[身份证号已隐藏]"),
    # landlines
    ("客服电话010-62345678", "客服电话[电话已隐藏]"),
    ("座机(0755)88886666转123", "座机[电话已隐藏]"),
    # e-mail
    ("邮箱 zhang.san+shop@example.com.cn 收", "邮箱 [邮箱已隐藏] 收"),
    ("QQ邮箱12345678@qq.com", "QQ邮箱[邮箱已隐藏]"),
    # QQ
    ("加我QQ：12345678", "加我QQ：[QQ已隐藏]"),
    ("qq号 987654321 或扣扣 55667", "qq号 [QQ已隐藏] 或扣扣 [QQ已隐藏]"),
    # WeChat
    ("微信：zhang_san-88", "微信：[微信号已隐藏]"),
    ("加vx abc123456", "加vx [微信号已隐藏]"),
    ("V信是Kameng2026", "V信是[微信号已隐藏]"),
    ("WeChat: seller_888", "WeChat: [微信号已隐藏]"),
    ("对方的 wxid_a1b2c3d4e5 拉黑了我", "对方的 [微信号已隐藏] 拉黑了我"),
    # bank cards
    ("退款到6222021234567890123", "退款到[银行卡号已隐藏]"),
    ("卡号 6222 0212 3456 7890", "卡号 [银行卡号已隐藏]"),
    # card keys and passwords
    ("卡密：ABCD-1234-EFGH-5678", "卡密：[卡密已隐藏]"),
    ("收到的兑换码 K7F3Q9ZB2M4X 无效", "收到的兑换码 [卡密已隐藏] 无效"),
    ("激活码是X9K2M7P4Q8", "激活码是[卡密已隐藏]"),
    ("密码=Abc@12345", "密码=[卡密已隐藏]"),
    ("发来的是 a7Kx9Qm2Zp4Lw8Rt 这一串", "发来的是 [卡密已隐藏] 这一串"),
    ("礼品卡 XKCD-9F2A-77QZ 已被使用", "礼品卡 [卡密已隐藏] 已被使用"),
    # names
    ("姓名：张三，手机13800000000", "姓名：[姓名已隐藏]，手机[手机号已隐藏]"),
    ("我叫欧阳娜娜。", "我叫[姓名已隐藏]。"),
    ("我的名字是李四", "我的名字是[姓名已隐藏]"),
    # the label word survives and an order number does not shield a mobile number
    ("订单号13912345678", "订单号[手机号已隐藏]"),
]

KEPT = [
    "金额199.00元，已付款",
    "2026-10-01 12:30 下单，2026年10月1日 12:30:45 付款",
    "订单号：202610011230001234",
    "订单编号 DD20261001123456 一直未发货",
    "投诉编号 KM2026000123 已受理",
    "共3张卡，每张50元，合计150元",
    "客服说24小时内处理，等了72小时",
    "我叫了客服三次都没人理",
    "卡密一直没有发货",
    "QQ群里说明天发",
    "价格从 1999 降到 1899",
    "Steam 充值卡 100 元面值",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_data_is_masked(text, expected):
    assert redact_personal_data(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_left_unchanged(text):
    assert redact_personal_data(text) == text


def test_masks_are_stable_when_redacting_twice():
    once = redact_personal_data(" ".join(text for text, _ in MASKED))

    assert redact_personal_data(once) == once


def test_forged_placeholder_characters_cannot_pull_out_protected_text():
    assert redact_personal_data("订单号：A123456 \ue000\ue100\ue001") == "订单号：A123456 \ue100"


# --- properties ---------------------------------------------------------------------------------------------

MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")

_mobile_numbers = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
_separator = st.sampled_from(["", " ", "-"])


@st.composite
def _written_mobile(draw) -> str:
    """A mobile number the way people type it: optional +86, optional spaces or dashes in 3-4-4 groups."""
    number = draw(_mobile_numbers)
    separator = draw(_separator)
    prefix = draw(st.sampled_from(["", "+86 ", "86", "+86-", "0086"]))
    return prefix + separator.join((number[:3], number[3:7], number[7:]))


_filler = st.text(
    alphabet=st.sampled_from(list("联系我手机号订单微信卡密QQ姓名电话 ，。:：-+@._xX0123456789abcKM\n")),
    max_size=12,
)
_narratives = st.lists(st.one_of(_filler, _written_mobile(), _mobile_numbers), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(_narratives)
def test_no_mobile_number_in_the_input_survives_in_the_output(text):
    redacted = redact_personal_data(text)

    assert not set(MOBILE.findall(text)) & set(MOBILE.findall(redacted))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | _narratives)
def test_redacting_is_idempotent(text):
    once = redact_personal_data(text)

    assert redact_personal_data(once) == once
