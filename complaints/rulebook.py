"""The legal rules as data: grounds of refusal (Order 121 Art. 16) and of termination (Art. 23) by code.

A ground is looked up by its code and the moment it applies: a code that is unknown, or not in force then, is a
field error (``ground``), never a silent free-text fallback.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .calendar import SHANGHAI

ORDER_121 = "order121"
ORDER_121_IN_FORCE_FROM = date(2026, 4, 15)
ORDER_121_TITLE = "《市场监督管理投诉举报处理办法》（国家市场监督管理总局令第121号）"


class GroundKind(models.TextChoices):
    REFUSAL = "refusal", "不予受理"
    TERMINATION = "termination", "终止调解"


@dataclass(frozen=True)
class Ground:
    code: str
    kind: str
    article: str
    citation: str
    text_zh: str
    text_en: str
    edition: str

    @property
    def text(self) -> str:
        return self.text_zh if (get_language() or "").startswith("zh") else self.text_en


def _refusal(item: int, zh_item: str, text_zh: str, text_en: str) -> Ground:
    return Ground(
        code=f"art16_{item}", kind=GroundKind.REFUSAL, article=f"Art. 16({item})",
        citation=f"令第121号第十六条第（{zh_item}）项", text_zh=text_zh, text_en=text_en, edition=ORDER_121,
    )


def _termination(item: int, zh_item: str, text_zh: str, text_en: str) -> Ground:
    return Ground(
        code=f"art23_{item}", kind=GroundKind.TERMINATION, article=f"Art. 23(1)({item})",
        citation=f"令第121号第二十三条第一款第（{zh_item}）项", text_zh=text_zh, text_en=text_en, edition=ORDER_121,
    )


GROUNDS: tuple[Ground, ...] = (
    _refusal(1, "一", "投诉事项不属于市场监督管理部门职责，或者本行政机关不具有处理权限的",
             "The matter is outside the duties of market regulation, or outside this office's authority"),
    _refusal(2, "二",
             "法院、仲裁机构、市场监督管理部门或者其他行政机关、消费者协会已经受理或者处理过同一消费者权益争议的",
             "A court, arbitration body, regulator or consumer association has already taken up or handled the "
             "same dispute"),
    _refusal(3, "三", "不是为生活消费需要购买、使用商品或者接受服务，或者不能证明与被投诉人之间存在消费者权益争议的",
             "Not bought for personal consumption, or no consumer dispute with the respondent can be shown"),
    _refusal(4, "四", "除法律另有规定外，投诉人知道或者应当知道自己的权益受到被投诉人侵害之日起超过三年的",
             "More than three years since the complainant knew or should have known of the infringement"),
    _refusal(5, "五", "未提供本办法第十条第一款、第十一条规定的材料，或者提供虚假材料的",
             "The material required by Art. 10(1) and Art. 11 was not provided, or was false"),
    _refusal(6, "六", "冒用他人名义或者拒不配合市场监督管理部门核验真实身份信息的",
             "Filed in another person's name, or the complainant refused to let the regulator verify their identity"),
    _refusal(7, "七", "法律、法规、规章规定不予受理的其他情形",
             "Another case in which laws, regulations or rules exclude acceptance"),
    _termination(1, "一", "投诉人撤回投诉或者双方自行和解的",
                 "The complainant withdrew the complaint, or the parties settled between themselves"),
    _termination(2, "二", "投诉人、被投诉人无正当理由不参加调解，或者明确拒绝调解的",
                 "A party did not take part in mediation without good reason, or refused it expressly"),
    _termination(3, "三", "经组织调解，投诉人或者被投诉人明确表示无法达成调解协议的",
                 "After mediation a party stated expressly that no agreement can be reached"),
    _termination(4, "四", "投诉人与被投诉人对鉴定、检测费用承担无法协商一致的",
                 "The parties could not agree who bears the cost of an appraisal or test"),
    _termination(5, "五", "自投诉受理之日起六十日内投诉人和被投诉人未能达成调解协议的",
                 "No mediation agreement within 60 days of acceptance"),
    _termination(6, "六", "市场监督管理部门受理投诉后，发现存在本办法第十六条、第四十二条规定情形的",
                 "After acceptance the regulator found a case of Art. 16 or Art. 42"),
    _termination(7, "七", "投诉人、被投诉人死亡或者主体资格灭失的",
                 "A party died or ceased to exist"),
    _termination(8, "八", "法律、法规、规章规定的应当终止调解的其他情形",
                 "Another case in which laws, regulations or rules require mediation to end"),
)


def _in_force(at: datetime | None) -> bool:
    day = timezone.localtime(at or timezone.now(), SHANGHAI).date()
    return day >= ORDER_121_IN_FORCE_FROM


def grounds(kind: str, at: datetime | None = None) -> list[Ground]:
    """The grounds of ``kind`` in force at ``at`` (now by default)."""
    if not _in_force(at):
        return []
    return [ground for ground in GROUNDS if ground.kind == kind]


def ground(code: str, *, kind: str, at: datetime | None = None) -> Ground:
    """The ground ``code`` of ``kind`` in force at ``at``; a field error (``ground``) otherwise."""
    for candidate in grounds(kind, at):
        if candidate.code == code:
            return candidate
    raise ValidationError({"ground": [_("Choose one of the grounds in force: %(codes)s.") % {
        "codes": ", ".join(candidate.code for candidate in grounds(kind, at)) or "—"
    }]})
