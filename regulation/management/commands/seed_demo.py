"""Demo data for a first look: offices (a city with two districts), three platforms domiciled in those districts,
a consumer, staff, regulators of each office and a national supervisor, and complaints in varied states."""

import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from complaints import services
from complaints.models import Finding
from platforms.models import Platform
from portal.demo import DEMO_ACCOUNTS
from portal.models import Office, OfficeLevel, Role, StaffRole, User
from portal.roles import make_regulator
from regulation import desk
from regulation.demo_bulk import seed_market
from regulation.demo_vanishing import seed_vanished_platforms
from regulation.rollup import refresh_daily_stats

PLATFORMS = [
    {
        "slug": "demo-kameng",
        "name": "演示卡盟",
        "website": "https://demo-kameng.example.cn",
        "domain": "demo-kameng.example.cn",
        "icp_filing_number": "京ICP备2026000001号",
        "telecom_licence_number": "京B2-20260001",
        "business_licence_code": "91330106MA00000001",
        "domicile_code": "330106",  # 西湖区: complaints go to the Xihu district office (Order 121 Art. 13)
        "contact_email": "support@demo-kameng.example.cn",
        "is_verified": True,
        "compensation_standard": "未在2小时内发货自动全额退款",
        "compensation_hours": 2,
        "reported_monthly_orders": 120000,
    },
    {
        "slug": "jisu-card",
        "name": "极速卡盟",
        "website": "https://jisu-card.example.cn",
        "domain": "jisu-card.example.cn",
        "icp_filing_number": "沪ICP备2026000002号",
        "telecom_licence_number": "沪B2-20260002",
        "business_licence_code": "91330108MA00000002",
        "domicile_code": "330108",  # 滨江区
        "contact_email": "kefu@jisu-card.example.cn",
        "is_verified": True,
        "compensation_standard": "超时30分钟未到账补偿5元优惠券",
        "compensation_hours": 1,
        "reported_monthly_orders": 45000,
    },
    {
        "slug": "xingyou-dianka",
        "name": "星游点卡",
        "website": "https://xingyou.example.cn",
        "domain": "xingyou.example.cn",
        "icp_filing_number": "粤ICP备2026000003号",
        "telecom_licence_number": "",
        "contact_email": "help@xingyou.example.cn",
        "domicile_code": "330108",
        "is_verified": False,
    },
]
# (code, level, parent code, authority name, short name, penalty-number prefix, receiving centre)
OFFICES = [
    ("100000", OfficeLevel.NATIONAL, None, "国家市场监督管理总局", "市场监管总局", "国市监处罚", True),
    ("330000", OfficeLevel.PROVINCE, "100000", "浙江省市场监督管理局", "浙江省局", "浙市监处罚", True),
    ("330100", OfficeLevel.CITY, "330000", "杭州市市场监督管理局", "杭州市局", "杭市监处罚", True),
    ("330106", OfficeLevel.COUNTY, "330100", "杭州市西湖区市场监督管理局", "西湖区局", "杭西市监处罚", False),
    ("330108", OfficeLevel.COUNTY, "330100", "杭州市滨江区市场监督管理局", "滨江区局", "杭滨市监处罚", False),
]
# (username, office code, first name): demo-regulator is the national supervisor and sees every office's cases.
REGULATORS = [
    ("demo-regulator", "100000", "监管员"),
    ("demo-regulator-city", "330100", "杭州市局"),
    ("demo-regulator-xihu", "330106", "西湖区局"),
    ("demo-regulator-binjiang", "330108", "滨江区局"),
]
STAFF = [
    ("demo-platform", "demo-kameng", StaffRole.MANAGER),
    ("demo-agent", "demo-kameng", StaffRole.AGENT),
    ("demo-platform-jisu", "jisu-card", StaffRole.MANAGER),
    ("demo-platform-xingyou", "xingyou-dianka", StaffRole.MANAGER),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=settings.PORTAL_DEMO_PASSWORD)
        parser.add_argument(
            "--market-complaints", type=int, default=3000, help="Complaints of the last six months (0: none)."
        )

    def handle(self, *args, password: str, market_complaints: int, **options):
        consumer, regulator, platforms = self._accounts(password)
        self._market(market_complaints)
        self._stories(consumer, regulator, platforms)
        seed_vanished_platforms()
        self._refresh_statistics()
        self._print_logins(password)

    def _accounts(self, password):
        """Offices, the demo platforms and the demo logins (kept as they are on later runs)."""
        with transaction.atomic():
            offices = self._offices()
            platforms = {
                spec["slug"]: Platform.objects.get_or_create(slug=spec["slug"], defaults=spec)[0]
                for spec in PLATFORMS
            }
            consumer = self._user(
                "demo-consumer", password, role=Role.CONSUMER, first_name="小明", last_name="张"
            )
            for username, slug, staff_role in STAFF:
                self._user(
                    username,
                    password,
                    role=Role.PLATFORM_STAFF,
                    platform=platforms[slug],
                    staff_role=staff_role,
                )
            for username, code, first_name in REGULATORS:
                user = self._user(username, password, role=Role.REGULATOR, first_name=first_name,
                                  office=offices[code])
                make_regulator(user)
            regulator = User.objects.get(username="demo-regulator")
        return consumer, regulator, platforms

    def _market(self, complaints: int):
        """A market's six months behind the stories, so every dashboard figure shows something (seconds)."""
        if complaints <= 0:
            return
        started, cpu = time.monotonic(), time.process_time()
        result = seed_market(complaints=complaints, refresh=False)
        if result.skipped:
            return
        self.stdout.write(
            f"Demo market: {result.complaints} complaints, {result.events} events, {result.penalties} penalties "
            f"across {result.platforms} platforms in {time.monotonic() - started:.1f} s "
            f"({time.process_time() - cpu:.1f} s CPU)"
        )

    @staticmethod
    def _offices() -> dict[str, Office]:
        offices: dict[str, Office] = {}
        for code, level, parent, name, short_name, prefix, receiving in OFFICES:
            offices[code] = Office.objects.get_or_create(
                division_code=code,
                defaults={"level": level, "parent": offices.get(parent), "name": name, "short_name": short_name,
                          "penalty_number_prefix": prefix, "is_receiving_centre": receiving},
            )[0]
        return offices

    def _user(self, username, password, **fields):
        user, created = User.objects.get_or_create(
            username=username, defaults={**fields, "email": f"{username}@example.cn"}
        )
        if created:
            user.set_password(password)
            user.save()
        return user

    def _stories(self, consumer, regulator, platforms):
        """The demo logins' own complaints, once."""
        if not consumer.complaints.exists():
            self._complaints(consumer, regulator, platforms)

    @staticmethod
    def _refresh_statistics():
        """The daily rollup, so the dashboards read everything just written (regulation.rollup)."""
        refresh_daily_stats()

    def _complaints(self, consumer, regulator, platforms):
        """One complaint in each state the demo walks through, filed in this order (their references follow it)."""
        now = timezone.now()
        agent = User.objects.get(username="demo-agent")
        jisu_staff = User.objects.get(username="demo-platform-jisu")

        def file(platform, order, product, amount, hours_ago, **extra):
            return self._file(consumer, now, platform, order, product, amount, hours_ago, **extra)

        self._awaiting_response(file, platforms, now)
        self._refunded(file, platforms, agent)
        self._escalated(file, platforms, consumer, jisu_staff, now)
        self._withdrawn(file, platforms, consumer)
        self._mediated_and_upheld(file, platforms, consumer, regulator, jisu_staff)
        self._unregistered_platform(file)

    @staticmethod
    def _file(consumer, now, platform, order, product, amount, hours_ago, **extra):
        data = {
            "payment_channel": "alipay",
            "problem": "card_key_missing",
            "platform_order_status": "awaiting_delivery",
            "desired_outcome": "delivery",
            "platform": platform,
            "order_number": order,
            "product_name": product,
            "amount": Decimal(amount),
            "paid_at": now - timedelta(hours=hours_ago + 2),
            "payment_reference": f"2026{order[-6:]}2200141234567890",
            "description": f"{product}付款成功后一直显示待发货，联系客服后仍未到账。",
            **extra,
        }
        return services.complaint_file(consumer=consumer, data=data, now=now - timedelta(hours=hours_ago))[0]

    @staticmethod
    def _awaiting_response(file, platforms, now):
        file(
            platforms["demo-kameng"],
            "DK202611250001",
            "腾讯视频VIP年卡",
            "198.00",
            2,
            problem="membership_not_activated",
            support_agent_id="KF-0231",
            support_promise="24小时内补发",
            support_contacted_at=now - timedelta(hours=3),
        )

    @staticmethod
    def _refunded(file, platforms, agent):
        answered = file(
            platforms["demo-kameng"],
            "DK202611240002",
            "王者荣耀 648 点券",
            "648.00",
            20,
            payment_channel="wechat",
        )
        services.complaint_respond(
            complaint_id=answered.pk,
            by=agent,
            outcome="refunded",
            message="已原路退回微信零钱。",
            refund_amount=Decimal("648.00"),
            refund_reference="RF-DK-0002",
        )

    @staticmethod
    def _escalated(file, platforms, consumer, jisu_staff, now):
        disputed = file(
            platforms["jisu-card"],
            "JS202611200003",
            "网易一卡通 100 元",
            "95.00",
            60,
            problem="topup_not_credited",
            platform_order_status="paid",
            payment_channel="bank_card",
        )
        services.complaint_respond(
            complaint_id=disputed.pk,
            by=jisu_staff,
            outcome="delivered",
            message="已发放卡密，请查收站内信。",
            delivered_at=now - timedelta(hours=30),
            delivery_method="站内信",
            delivery_record="WY-****-****-8841",
        )
        services.complaint_dispute(
            complaint_id=disputed.pk, by=consumer, reason="站内信里没有卡密，充值仍未到账。"
        )
        services.complaint_escalate(
            complaint_id=disputed.pk, by=consumer, reason="平台坚称已发货，但我没有收到。"
        )

    @staticmethod
    def _withdrawn(file, platforms, consumer):
        closed = file(
            platforms["xingyou-dianka"],
            "XY202611010004",
            "Steam 钱包 200 元",
            "200.00",
            500,
            problem="topup_not_credited",
            platform_order_status="abnormal",
        )
        services.complaint_withdraw(complaint_id=closed.pk, by=consumer, reason="平台已私下退款")

    @staticmethod
    def _mediated_and_upheld(file, platforms, consumer, regulator, jisu_staff):
        mediated = file(
            platforms["jisu-card"],
            "JS202611150005",
            "爱奇艺黄金会员季卡",
            "68.00",
            200,
            problem="membership_not_activated",
        )
        services.complaint_respond(
            complaint_id=mediated.pk,
            by=jisu_staff,
            outcome="rejected",
            message="该订单不存在。",
            rejection_reason="not_our_order",
        )
        services.complaint_dispute(complaint_id=mediated.pk, by=consumer, reason="订单截图可以证明订单存在。")
        services.complaint_escalate(complaint_id=mediated.pk, by=consumer, reason="平台否认订单。")
        desk.complaint_accept_for_mediation(complaint_id=mediated.pk, by=regulator)
        desk.complaint_close(
            complaint_id=mediated.pk,
            by=regulator,
            finding=Finding.UPHELD,
            note="订单截图与支付凭证一致，投诉属实。",
        )

    @staticmethod
    def _unregistered_platform(file):
        file(
            None,
            "XX202611250006",
            "原神创世结晶 6480",
            "648.00",
            1,
            unregistered_platform_name="某小众卡盟",
            unregistered_platform_url="https://xiaozhong-kameng.example.com",
        )

    def _print_logins(self, password):
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {password})"))
        for username, what in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<24} {what}")
        self.stdout.write(f"Open {settings.SITE_URL}/ — API docs at {settings.SITE_URL}/api/docs/\n")
