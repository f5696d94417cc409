"""Demo data for vanished platforms (``manage.py seed_demo``): one platform whose complaints surged while it went
silent, with an open alert for the Xihu district office, and one the Binjiang office has confirmed unreachable,
whose warning shows on its registry page and the filing form. Idempotent: nothing is added twice."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from complaints import services
from platforms.models import Platform
from portal.models import Role, User

from .models import VanishingAlert, VanishingAlertStatus
from .vanishing import vanishing_alert_confirm, vanishing_alerts_refresh

SILENT = {
    "slug": "yunduan-kameng",
    "name": "云端卡盟",
    "website": "https://yunduan-kameng.example.cn",
    "domain": "yunduan-kameng.example.cn",
    "icp_filing_number": "浙ICP备2026000004号",
    "domicile_code": "330106",  # 西湖区
    "contact_email": "kefu@yunduan-kameng.example.cn",
}
VANISHED = {
    "slug": "shanchong-kameng",
    "name": "闪充卡盟",
    "website": "https://shanchong-kameng.example.cn",
    "domain": "shanchong-kameng.example.cn",
    "icp_filing_number": "浙ICP备2026000005号",
    "domicile_code": "330108",  # 滨江区
    "contact_email": "kefu@shanchong-kameng.example.cn",
}
BUYERS = 6
WORDS = ("网站打不开了，客服联系不上，怀疑平台跑路。", "付款后一直显示待发货，联系客服无人回复。")


def seed_vanished_platforms() -> None:
    """Both platforms with their complaints, the refresh that raises their alerts, and the confirmation of one."""
    if Platform.objects.filter(slug=VANISHED["slug"]).exists():
        return
    with transaction.atomic():
        _seed()


def _seed() -> None:
    silent = Platform.objects.create(**SILENT)
    vanished = Platform.objects.create(**VANISHED)
    buyers = [_buyer(n) for n in range(1, BUYERS + 1)]
    now = timezone.now()
    for index, platform in enumerate((silent, vanished)):
        _surge(platform, buyers, now, order_prefix=f"V{index}")
    vanishing_alerts_refresh(now=now)
    alert = VanishingAlert.objects.filter(platform=vanished, status=VanishingAlertStatus.OPEN).first()
    if alert is not None:
        vanishing_alert_confirm(
            alert_id=alert.pk,
            by=User.objects.get(username="demo-regulator-binjiang"),
            reason="网站无法访问，客服电话停机，经营者未按《消费者权益保护法实施条例》第二十一条公告停业。",
        )


def _buyer(n: int) -> User:
    user, created = User.objects.get_or_create(
        username=f"market-buyer-{n}",
        defaults={"role": Role.CONSUMER, "email": f"market-buyer-{n}@example.cn", "first_name": f"买家{n}"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _surge(platform: Platform, buyers: list[User], now, *, order_prefix: str) -> None:
    """A quiet month (a complaint every five days), then two a day for the last week, unanswered."""
    hours_ago = [24 * day + 3 for day in range(10, 35, 5)] + [12 * half + 2 for half in range(14)]
    for number, hours in enumerate(hours_ago):
        recent = hours < 24 * 7
        services.complaint_file(
            consumer=buyers[number % len(buyers)],
            data={
                "platform": platform,
                "order_number": f"{order_prefix}{now:%Y%m%d}{number:04d}",
                "paid_at": now - timedelta(hours=hours + 1),
                "amount": Decimal("100.00") + number,
                "payment_channel": ("alipay", "wechat", "bank_card")[number % 3],
                "payment_reference": f"2026{order_prefix}{number:06d}88001234",
                "product_name": "王者荣耀 648 点券",
                "problem": "card_key_missing",
                "platform_order_status": "paid",
                "description": WORDS[number % 2] if recent else "付款后未收到卡密，客服称稍后补发。",
                "desired_outcome": "refund",
            },
            now=now - timedelta(hours=hours),
        )
