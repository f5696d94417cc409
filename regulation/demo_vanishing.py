"""Demo data for vanished platforms (``manage.py seed_demo``): one platform whose complaints surged while it went
silent, with an open alert for the Xihu district office, and one the Binjiang office has confirmed unreachable,
whose warning shows on its registry page and the filing form.

Against the unreachable one, demo-consumer's own complaint (filed before the stories, so those stay on top of
their list) leads a joint complaint of three consumers (SAMR Order 121 Art. 12) with two elected
representatives, a settlement proposal still missing one member's consent (adopting it is refused, 409) and a
refund the Binjiang office recorded for one member; and its chargeback pack is built. Everything goes through
the services a person's clicks go through. Idempotent: nothing is added twice."""

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from complaints import joint, services
from complaints.calendar import SHANGHAI
from complaints.chargeback import chargeback_pack_build_now
from complaints.models import (
    OPEN_STATUSES,
    ChargebackPack,
    Complaint,
    DossierExportStatus,
    EvidenceKind,
    JointComplaint,
    ProposalKind,
)
from complaints.selectors import unscoped_complaints_for_system
from platforms.models import Platform
from portal.models import Role, User

from .models import VanishingAlert, VanishingAlertStatus
from .remediation import refund_record
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
CONSUMER = "demo-consumer"
REGULATOR = "demo-regulator-binjiang"
# Older than every story of demo-consumer (seed_demo's oldest is 500 hours old): the stories stay on top.
CONSUMER_FILED_AGO = timedelta(days=24)
# The members with demo-consumer: background accounts of the surge (never "demo-", which the login page lists).
MEMBERS = ("market-buyer-1", "market-buyer-2")
JOINT_TITLE = "闪充卡盟跑路：付款后未发卡密"
JOINT_SUMMARY = "闪充卡盟收款后未发放卡密，网站无法访问、客服无人回复；成员均要求全额退款。"
SETTLEMENT = "接受平台资产管理人按实付金额的八成退款，其余部分放弃主张。"
REFUND = {"amount": Decimal("60.00"), "channel_reference": "ZFB-RF-20261120-0001"}
WORDS = ("网站打不开了，客服联系不上，怀疑平台跑路。", "付款后一直显示待发货，联系客服无人回复。")


def seed_vanished_platforms() -> None:
    """Both platforms with their complaints, the refresh that raises their alerts, the confirmation of one, and
    against it the joint complaint and demo-consumer's chargeback pack."""
    if not Platform.objects.filter(slug=VANISHED["slug"]).exists():
        with transaction.atomic():
            _seed()
    vanished = Platform.objects.get(slug=VANISHED["slug"])
    consumer = User.objects.get(username=CONSUMER)
    if not JointComplaint.objects.filter(platform=vanished).exists():
        with transaction.atomic():
            _joint_complaint(vanished, consumer)
    mine = _consumer_complaint(vanished, consumer, timezone.now())
    if not ChargebackPack.objects.filter(complaint=mine, status=DossierExportStatus.DONE).exists():
        chargeback_pack_build_now(complaint=mine, by=consumer)


def _seed() -> None:
    silent = Platform.objects.create(**SILENT)
    vanished = Platform.objects.create(**VANISHED)
    buyers = [_buyer(n) for n in range(1, BUYERS + 1)]
    now = timezone.now()
    _consumer_complaint(vanished, User.objects.get(username=CONSUMER), now)
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


def _consumer_complaint(platform: Platform, consumer: User, now) -> Complaint:
    """demo-consumer's complaint against ``platform``, with the payment voucher the chargeback pack carries."""
    mine = unscoped_complaints_for_system().filter(platform=platform, consumer=consumer).order_by("pk").first()
    if mine is not None:
        return mine
    filed_at = now - CONSUMER_FILED_AGO
    mine, _created = services.complaint_file(
        consumer=consumer,
        data={
            "platform": platform,
            "order_number": f"SC{timezone.localtime(filed_at, SHANGHAI):%Y%m%d}0001",
            "paid_at": filed_at - timedelta(hours=2),
            "amount": Decimal("328.00"),
            "payment_channel": "alipay",
            "payment_reference": "2026110922001412345678",
            "product_name": "原神 月卡 ×5",
            "problem": "card_key_missing",
            "platform_order_status": "paid",
            "description": "付款成功后一直显示待发货，联系客服无人回复，现在网站也打不开了。",
            "desired_outcome": "refund",
        },
        now=filed_at,
    )
    services.complaint_add_evidence(
        complaint_id=mine.pk, by=consumer, files=[(_voucher_image(), EvidenceKind.PAYMENT_VOUCHER)]
    )
    return mine


def _voucher_image() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (480, 640), "#1677ff").save(buffer, format="PNG")
    return SimpleUploadedFile("支付宝账单截图.png", buffer.getvalue(), content_type="image/png")


def _joint_complaint(platform: Platform, consumer: User) -> JointComplaint:
    """Three consumers, two elected representatives (demo-consumer and market-buyer-1), a settlement proposal
    market-buyer-2 has not consented to yet, and a refund to market-buyer-2 recorded by the Binjiang office."""
    mine = _consumer_complaint(platform, consumer, timezone.now())
    case = joint.joint_create(by=consumer, complaint_id=mine.pk, title=JOINT_TITLE, summary=JOINT_SUMMARY, consent=True)
    members = [joint.my_membership(consumer, case)]
    complaints = [mine]
    for username in MEMBERS:
        member = User.objects.get(username=username)
        theirs = (
            unscoped_complaints_for_system()
            .filter(platform=platform, consumer=member, status__in=OPEN_STATUSES)
            .order_by("created_at", "pk")
            .first()
        )
        members.append(joint.joint_join(by=member, join_code=case.join_code, complaint_id=theirs.pk, consent=True))
        complaints.append(theirs)
    # Written choices (Order 121 Art. 12): two of three members name the same two, who are elected.
    representatives = [members[0].pk, members[1].pk]
    joint.joint_choose_representatives(by=consumer, joint_id=case.pk, candidate_ids=representatives)
    joint.joint_choose_representatives(by=complaints[1].consumer, joint_id=case.pk, candidate_ids=representatives)
    proposal = joint.joint_propose(by=consumer, joint_id=case.pk, kind=ProposalKind.SETTLEMENT, text=SETTLEMENT)
    joint.joint_consent(by=consumer, proposal_id=proposal.pk, consents=True)
    joint.joint_consent(by=complaints[1].consumer, proposal_id=proposal.pk, consents=True)
    refund_record(
        by=User.objects.get(username=REGULATOR),
        complaint_id=complaints[2].pk,
        refunded_on=timezone.localdate(timezone.now(), SHANGHAI),
        joint_id=case.pk,
        **REFUND,
    )
    return case
