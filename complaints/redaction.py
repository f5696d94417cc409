"""Masking of Chinese personal data in complaint narratives before they are published.

Consumers write their complaint the way they would tell it to a friend: phone numbers, WeChat IDs, the card
key they paid for, sometimes their ID number. Before a narrative appears in the public registry, each of
these is replaced by a labelled mask such as ``[手机号已隐藏]``, so a reader still understands what was there.

Choices, in the order the rules run:

- Mobile numbers are masked first, over the whole text and before anything is protected, so that no
  11-digit mobile number survives in any context (not even after 订单号).
- An order number explicitly introduced as 订单号 / 订单编号 / 交易单号 is kept: it identifies the purchase,
  not a person, and platforms need it to find the order. A long number *not* introduced that way is masked
  by the rule it resembles (a 16-19 digit run is treated as a bank card).
- E-mail, QQ (only after QQ/扣扣), WeChat (only after 微信/wx/vx/V信…), card keys and passwords
  (after 卡密/卡号/密码/激活码/兑换码…) and names (only after 姓名/名字/我叫): the label word stays,
  the value goes. Names take the two to four Han characters that follow, so "我叫张三今天…" loses "张三今天".
  Bare numbers are not treated as QQ numbers: 5-11 digits are too often amounts or quantities.
- Resident ID numbers (18-digit with X check digit, old 15-digit) must look like a real one (plausible birth
  date); the check digit is not verified, so a mistyped ID is still masked.
- Card keys: dash-separated groups (``ABCD-1234-EFGH``) and runs of 12+ letters and digits mixed together.
  A run that is one block of letters then one block of digits (``DD20261001123456``, ``KM2026000123``)
  reads as a reference number and is kept; product names like ``iPhone15ProMax256GB`` are masked — we
  prefer losing a model name to publishing a gift-card code.
- Amounts (``199.00元``), dates and times (``2026-10-01 12:30``) never match any rule: every digit rule is
  anchored on both sides against further digits and needs far more digits than a date or amount has.

Full-width digits and Latin letters are folded to ASCII first (``１３８…`` is still a phone number); other
full-width punctuation is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MASK_MOBILE = "[手机号已隐藏]"
MASK_LANDLINE = "[电话已隐藏]"
MASK_ID_NUMBER = "[身份证号已隐藏]"
MASK_EMAIL = "[邮箱已隐藏]"
MASK_QQ = "[QQ已隐藏]"
MASK_WECHAT = "[微信号已隐藏]"
MASK_BANK_CARD = "[银行卡号已隐藏]"
MASK_CARD_KEY = "[卡密已隐藏]"
MASK_NAME = "[姓名已隐藏]"

# Full-width digits, Latin letters and the + - @ . signs that occur inside numbers and addresses.
_FOLD_FULL_WIDTH = str.maketrans(
    {
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF10, 0xFF1A)},
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF21, 0xFF3B)},
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF41, 0xFF5B)},
        "＋": "+",
        "－": "-",
        "＠": "@",
        "．": ".",
    }
)

# Protected spans are swapped out for placeholders built from private-use characters, which no rule matches.
_PLACEHOLDER_OPEN, _PLACEHOLDER_CLOSE, _PLACEHOLDER_BASE = "\ue000", "\ue001", 0xE100
_PLACEHOLDER = re.compile("\ue000([\ue100-\uf8ff]+)\ue001")

_SEPARATOR = r"\s*(?:[:：=]|是|为)?\s*"  # between a label word and its value: "QQ：", "微信是 ", "卡密="
_NOT_DIGIT_BEFORE, _NOT_DIGIT_AFTER = r"(?<![0-9])", r"(?![0-9])"

_MOBILE = re.compile(
    _NOT_DIGIT_BEFORE + r"(?:(?:\+|00)?86[\s-]?)?1[3-9][0-9](?:[\s-]?[0-9]){8}" + _NOT_DIGIT_AFTER
)
_ORDER_NUMBER = re.compile(
    r"(?:订单号|订单编号|交易单号|商户单号|订单ID)"
    + _SEPARATOR
    + r"(?P<value>[A-Za-z0-9][A-Za-z0-9_-]{3,63})"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_QQ = re.compile(
    r"(?:(?<![A-Za-z])[Qq]{2}|扣扣|企鹅)(?:号码|号)?"
    + _SEPARATOR
    + r"(?P<value>[1-9][0-9]{4,10})"
    + _NOT_DIGIT_AFTER
)
_WECHAT_INTERNAL_ID = re.compile(r"(?<![A-Za-z0-9])wxid_[A-Za-z0-9_-]{4,30}")
_WECHAT = re.compile(
    r"(?:微信|威信|薇信|[Vv]信|(?<![A-Za-z])(?i:wechat|weixin|wx|vx))(?:号码|号)?"
    + _SEPARATOR
    + r"(?P<value>[A-Za-z0-9_-]{6,20})(?![A-Za-z0-9_-])"
)
_SECRET = re.compile(
    r"(?:卡密|卡号|密码|激活码|兑换码|充值码|提取码|(?<![A-Za-z])(?i:cdkey|cdk))"
    + _SEPARATOR
    + r"(?P<value>[A-Za-z0-9!@#$%^&*_+=~/-]{4,64})"
)
# Two to four Han characters after 姓名/名字/我叫, but not particles and pronouns that follow those words in
# ordinary sentences ("我叫了客服"), and not our own mask text.
_NAME_CHAR = r"(?:(?![的了是在和与及或我你他她它们说要就都也还被把给从到对吗呢吧啊])[\u4e00-\u9fff])"
_NAME = re.compile(
    r"(?:真实姓名|姓名|名字|我叫)" + _SEPARATOR + r"(?!已隐藏)(?P<value>" + _NAME_CHAR + r"{2,4})"
)
_BIRTH_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_ID_NUMBER_18 = re.compile(
    _NOT_DIGIT_BEFORE
    + r"[1-9][0-9]{5} ?(?:18|19|20)[0-9]{2}"
    + _BIRTH_DATE
    + r" ?[0-9]{3}[0-9Xx]"
    + _NOT_DIGIT_AFTER
)
_ID_NUMBER_15 = re.compile(
    _NOT_DIGIT_BEFORE + r"[1-9][0-9]{7}" + _BIRTH_DATE + r"[0-9]{3}" + _NOT_DIGIT_AFTER
)
_BANK_CARD = re.compile(
    _NOT_DIGIT_BEFORE + r"(?:[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -]?[0-9]{1,3})?)" + _NOT_DIGIT_AFTER
)
_LANDLINE = re.compile(
    _NOT_DIGIT_BEFORE
    + r"(?:\(0[0-9]{2,3}\)|（0[0-9]{2,3}）|0[0-9]{2,3})[\s-]?[1-9][0-9]{2,3}[\s-]?[0-9]{4}"
    + r"(?:(?:-|转)[0-9]{1,5})?"
    + _NOT_DIGIT_AFTER
)
_GROUPED_KEY = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z0-9]{4,8}(?:-[A-Za-z0-9]{4,8}){2,}(?![A-Za-z0-9-])")
_LONG_RUN = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z0-9]{12,}(?![A-Za-z0-9_])")
_REFERENCE_LIKE = re.compile(r"[A-Za-z]+[0-9]+|[0-9]+[A-Za-z]+")


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    mask: str
    keep: Callable[[str], bool] = lambda _value: False  # True for a match that should stay after all


def _is_not_a_card_key(run: str) -> bool:
    has_digit = any(char.isdigit() for char in run)
    has_letter = any(char.isalpha() for char in run)
    return not (has_digit and has_letter) or bool(_REFERENCE_LIKE.fullmatch(run))


# After mobile numbers and protected order numbers, in this order: e-mail before QQ (``12345@qq.com``),
# labelled values before bare numbers (so the label word stays), ID numbers before bank cards (both can have
# 18 digits), bank cards before 卡号 values and dash-grouped keys (``卡号 6222 0212 3456 7890`` is a bank
# card, and its spaces would split it into a "key" and a "phone number").
_RULES = (
    _Rule(_EMAIL, MASK_EMAIL),
    _Rule(_WECHAT_INTERNAL_ID, MASK_WECHAT),
    _Rule(_QQ, MASK_QQ),
    _Rule(_WECHAT, MASK_WECHAT),
    _Rule(_ID_NUMBER_18, MASK_ID_NUMBER),
    _Rule(_ID_NUMBER_15, MASK_ID_NUMBER),
    _Rule(_BANK_CARD, MASK_BANK_CARD),
    _Rule(_SECRET, MASK_CARD_KEY),
    _Rule(_NAME, MASK_NAME),
    _Rule(_LANDLINE, MASK_LANDLINE),
    _Rule(_GROUPED_KEY, MASK_CARD_KEY),
    _Rule(_LONG_RUN, MASK_CARD_KEY, keep=_is_not_a_card_key),
)


def redact_personal_data(text: str) -> str:
    """Return ``text`` with phone, ID, e-mail, QQ, WeChat, bank card, card key and name data masked.

    See the module docstring for what is masked and what is deliberately kept.
    """
    text = text.translate(_FOLD_FULL_WIDTH)
    # Our placeholder delimiters have no meaning in a narrative; dropping them keeps placeholders unforgeable.
    text = text.replace(_PLACEHOLDER_OPEN, "").replace(_PLACEHOLDER_CLOSE, "")
    text = _MOBILE.sub(MASK_MOBILE, text)

    protected: list[str] = []

    def protect(match: re.Match[str]) -> str:
        protected.append(match["value"])
        return _replace_group(match, "value", _placeholder(len(protected) - 1))

    text = _ORDER_NUMBER.sub(protect, text)
    for rule in _RULES:
        text = rule.pattern.sub(lambda match, rule=rule: _mask(match, rule), text)
    return _PLACEHOLDER.sub(lambda match: protected[_placeholder_index(match[1])], text)


def _mask(match: re.Match[str], rule: _Rule) -> str:
    """Mask the ``value`` group if the pattern has one (keeping its label word), else the whole match."""
    group = "value" if "value" in match.re.groupindex else 0
    if rule.keep(match[group]):
        return match[0]
    return _replace_group(match, group, rule.mask)


def _replace_group(match: re.Match[str], group: int | str, replacement: str) -> str:
    start, end = match.start(group) - match.start(), match.end(group) - match.start()
    whole = match[0]
    return whole[:start] + replacement + whole[end:]


def _placeholder(index: int) -> str:
    digits = ""
    while True:
        index, remainder = divmod(index, 256)
        digits = chr(_PLACEHOLDER_BASE + remainder) + digits
        if not index:
            return _PLACEHOLDER_OPEN + digits + _PLACEHOLDER_CLOSE


def _placeholder_index(digits: str) -> int:
    index = 0
    for char in digits:
        index = index * 256 + ord(char) - _PLACEHOLDER_BASE
    return index
