"""A market's worth of demo history: a few thousand complaints of the last six months across a few dozen 卡盟.

``seed_market`` writes them with ``bulk_create`` in batches, on SQLite and PostgreSQL alike, so that a laptop's
``make run`` shows scores, trends, repeat offenders, penalties, published narratives and a consumer warning in
seconds. Every complaint is consistent with itself: a reference from the year's gap-free counter, a timeline
hash-chained by ``complaints.events.build_event`` (so ``verify`` passes), clocks met, missed or cancelled as its
status says, the platform's answer as a ``Response`` row. A few bad actors answer late or not at all, most
platforms answer within hours. The handful of penalties goes through ``regulation.penalties.penalty_issue``,
which numbers each in its office's series and links the cited complaints. The daily rollup is refreshed last.

Idempotent: the demo shoppers (``CONSUMER_PREFIX``) are created once; when they already have complaints, nothing
is written again.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from complaints.calendar import SHANGHAI
from complaints.deadlines import compute_due
from complaints.events import build_event
from complaints.models import (
    PLATFORM_CLOCKS,
    ClockKind,
    Complaint,
    Deadline,
    Event,
    EventKind,
    Finding,
    NoticeKind,
    Response,
    ResponseOutcome,
    Status,
)
from complaints.redaction import redact_personal_data
from complaints.services import _filing_snapshot, forwarding_data
from complaints.transitions import escalation_data
from platforms.models import Platform
from portal.models import NumberSequence, Role, StaffRole, User
from portal.offices import receiving_office_for

from .models import Notice, PenaltyKind
from .notices import ADDRESSED_TO_PLATFORM, NUMBER_WORDS
from .penalties import penalty_issue
from .rollup import refresh_daily_stats

CONSUMER_PREFIX = "demo-shopper-"
STAFF_PREFIX = "demo-staff-"
BATCH_SIZE = 500

# How a platform treats complaints: share of complaints it answers, median hours to answer, share of answers the
# consumer accepts, share of escalated complaints the regulator upholds, relative complaint volume.
PROFILES = {
    "bad": {"answers": 0.55, "median_hours": 40.0, "accepts": 0.45, "upheld": 0.8, "weight": 3.0},
    "decent": {"answers": 0.92, "median_hours": 9.0, "accepts": 0.85, "upheld": 0.4, "weight": 1.0},
    "good": {"answers": 0.98, "median_hours": 3.0, "accepts": 0.92, "upheld": 0.2, "weight": 0.7},
}
# (slug, name, domicile, profile). The domiciles are the demo's districts (西湖区 330106, 滨江区 330108) and two
# districts without an office of their own, whose complaints the city office (330100) handles.
MARKET = [
    ("heima-kameng", "黑马卡盟", "330106", "bad"),
    ("jinniu-kameng", "金牛卡盟", "330108", "bad"),
    ("xinyuan-kameng", "鑫源卡盟", "330102", "bad"),  # stops answering, confirmed unreachable: the warning
    ("kuaifa-dianka", "快发点卡", "330110", "bad"),
    ("jiguang-kameng", "极光卡盟", "330106", "good"),
    ("xingchen-kameng", "星辰卡盟", "330108", "decent"),
    ("yunduan-dianka", "云端点卡", "330106", "decent"),
    ("fengyun-kameng", "风云卡盟", "330102", "decent"),
    ("jiuzhou-kameng", "九州卡盟", "330110", "good"),
    ("longteng-kameng", "龙腾卡盟", "330108", "decent"),
    ("lanhai-dianka", "蓝海点卡网", "330106", "good"),
    ("yichong-kameng", "易充卡盟", "330108", "decent"),
    ("feiyu-kameng", "飞鱼卡盟", "330102", "decent"),
    ("xiaoxiong-dianka", "小熊点卡", "330110", "good"),
    ("tiantian-chongzhi", "天天充值", "330106", "decent"),
    ("lexiang-kameng", "乐享卡盟", "330108", "good"),
    ("yinhe-kameng", "银河卡盟", "330102", "decent"),
    ("qilin-kameng", "麒麟卡盟", "330106", "decent"),
    ("huojian-kameng", "火箭卡盟", "330110", "decent"),
    ("chengxin-kameng", "诚信卡盟", "330108", "good"),
    ("youpin-dianka", "优品点卡", "330106", "decent"),
    ("zhangshang-kameng", "掌上卡盟", "330102", "good"),
    ("xingkong-dianka", "星空点卡", "330108", "decent"),
    ("shandian-kameng", "闪电卡盟", "330110", "decent"),
    ("caihong-kameng", "彩虹卡盟", "330106", "good"),
    ("baichuan-kameng", "百川卡盟", "330108", "decent"),
    ("jiahe-kameng", "嘉禾卡盟", "330102", "good"),
    ("jubao-kameng", "聚宝卡盟", "330110", "decent"),
    ("changcheng-dianka", "长城点卡", "330106", "good"),
    ("qingyun-kameng", "青云卡盟", "330108", "decent"),
]
VANISHED_SLUG = "xinyuan-kameng"
# The demo's own platforms get a closed history too (scored on the dashboard), and no open complaint, so the
# demo logins' inboxes start with their stories.
HISTORY_ONLY_SLUGS = ("demo-kameng", "jisu-card", "xingyou-dianka")

# (product, problem, amount)
PRODUCTS = [
    ("王者荣耀 648 点券", "card_key_missing", "648.00"),
    ("腾讯视频VIP年卡", "membership_not_activated", "198.00"),
    ("爱奇艺黄金会员月卡", "membership_not_activated", "25.00"),
    ("网易一卡通 100 元", "topup_not_credited", "95.00"),
    ("Steam 钱包 200 元", "topup_not_credited", "200.00"),
    ("原神创世结晶 6480", "card_key_missing", "648.00"),
    ("QQ 会员季卡", "membership_not_activated", "45.00"),
    ("话费充值 100 元", "topup_not_credited", "99.50"),
    ("京东E卡 500 元", "wrong_item", "495.00"),
    ("和平精英 60 元点券", "other", "60.00"),
]
CHANNELS = ("alipay", "alipay", "wechat", "wechat", "bank_card", "other")
FAMILY_NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚")
ANSWER_MESSAGES = {
    ResponseOutcome.DELIVERED: "已重新发放卡密，请在订单详情中查看。",
    ResponseOutcome.REFUNDED: "已原路退款，1-3个工作日到账。",
    ResponseOutcome.COMPENSATED: "已补发并赠送5元优惠券作为补偿。",
    ResponseOutcome.REJECTED: "经核实该订单已正常发货。",
}


@dataclass
class SeedResult:
    complaints: int = 0
    events: int = 0
    clocks: int = 0
    penalties: int = 0
    platforms: int = 0
    rollup_rows: int = 0
    skipped: bool = False


@dataclass
class _Draft:
    """One complaint being built in memory: the row, its timeline (kind, actor label, time, data), its clocks and
    its answer."""

    complaint: Complaint
    timeline: list[tuple[str, str, datetime, dict]] = field(default_factory=list)
    clocks: list[Deadline] = field(default_factory=list)
    response: Response | None = None
    # The desk's written decisions (受理 / 不予受理告知书): (kind, decided at, ground, the event data that names it).
    notices: list[tuple[str, datetime, str, dict]] = field(default_factory=list)


def market_platforms() -> list[Platform]:
    """The market's platforms, registered once (kept as they are on later runs)."""
    platforms = []
    for index, (slug, name, domicile, _profile) in enumerate(MARKET, start=1):
        platform, _created = Platform.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "website": f"https://{slug}.example.cn",
                "domain": f"{slug}.example.cn",
                "icp_filing_number": f"浙ICP备2025{index:06d}号",
                "telecom_licence_number": f"浙B2-2025{index:04d}" if index % 3 else "",
                "business_licence_code": f"913301{index:012d}",
                "domicile_code": domicile,
                "contact_email": f"kefu@{slug}.example.cn",
                "is_verified": index % 4 != 0,
                "reported_monthly_orders": 20_000 + (index * 7919) % 180_000,
            },
        )
        platforms.append(platform)
    return platforms


def seed_market(
    *,
    complaints: int = 3000,
    consumers: int = 400,
    days: int = 182,
    now: datetime | None = None,
    seed: int = 2026,
    refresh: bool = True,
) -> SeedResult:
    """Write the market's history once; a later call finds the demo shoppers' complaints and returns ``skipped``.

    ``refresh``: recompute the daily rollup afterwards (a caller that writes more first refreshes it itself)."""
    if Complaint.objects.filter(consumer__username__startswith=CONSUMER_PREFIX).exists():
        return SeedResult(skipped=True)
    now = now or timezone.now()
    rng = random.Random(seed)
    with transaction.atomic():
        platforms = market_platforms()
        history_only = list(Platform.objects.filter(slug__in=HISTORY_ONLY_SLUGS))
        shoppers = _shoppers(rng, consumers)
        staff = _staff(platforms)
        drafts = _drafts(rng, complaints, [*platforms, *history_only], shoppers, staff, days=days, now=now)
        result = _write(drafts)
        result.platforms = len(platforms)
        _confirm_vanished(platforms, now)
        result.penalties = _penalties(platforms, now)
    if refresh:
        result.rollup_rows = refresh_daily_stats(now=now)
    return result


# --- people ----------------------------------------------------------------------------------------------------


def _shoppers(rng: random.Random, count: int) -> list[User]:
    """Consumers without a usable password (nobody signs in as them)."""
    existing = list(User.objects.filter(username__startswith=CONSUMER_PREFIX).order_by("pk"))
    missing = [
        User(
            username=f"{CONSUMER_PREFIX}{number:04d}",
            email=f"{CONSUMER_PREFIX}{number:04d}@example.cn",
            role=Role.CONSUMER,
            last_name=rng.choice(FAMILY_NAMES),
            first_name=rng.choice(GIVEN_NAMES) + rng.choice(("", *GIVEN_NAMES)),
            password=make_password(None),  # unusable: nobody signs in as them
        )
        for number in range(len(existing) + 1, count + 1)
    ]
    User.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    return list(User.objects.filter(username__startswith=CONSUMER_PREFIX).order_by("pk"))


def _staff(platforms: list[Platform]) -> dict[int, User]:
    """One manager per market platform, who signs its answers."""
    wanted = {f"{STAFF_PREFIX}{platform.slug}": platform for platform in platforms}
    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(
                username=username,
                email=f"{username}@example.cn",
                role=Role.PLATFORM_STAFF,
                platform=platform,
                staff_role=StaffRole.MANAGER,
                password=make_password(None),
            )
            for username, platform in wanted.items()
            if username not in existing
        ]
    )
    return {user.platform_id: user for user in User.objects.filter(username__in=wanted)}


# --- the complaints --------------------------------------------------------------------------------------------


def _profile(platform: Platform) -> dict:
    profiles = {slug: profile for slug, _name, _domicile, profile in MARKET}
    return PROFILES[profiles.get(platform.slug, "good")]


def _drafts(rng, count, platforms, shoppers, staff, *, days, now) -> list[_Draft]:
    weights = [
        _profile(platform)["weight"] * (0.4 if platform.slug in HISTORY_ONLY_SLUGS else 1) for platform in platforms
    ]
    offices = {platform.pk: receiving_office_for(platform.domicile_code) for platform in platforms}
    vanished_at = now - timedelta(days=45)
    # Filed over the window, a little more often lately (the market grows); the newest a day old, so that the
    # demo logins' stories (filed in the last hours) stay on top of every list.
    moments = sorted(now - timedelta(days=1 + (days - 1) * rng.random() ** 1.2) for _ in range(count))
    drafts = []
    for number, filed_at in enumerate(moments, start=1):
        platform = rng.choices(platforms, weights)[0]
        vanished = platform.slug == VANISHED_SLUG and filed_at >= vanished_at
        # The vanished platform's last weeks: a surge of complaints nobody answers.
        if platform.slug == VANISHED_SLUG and not vanished and rng.random() < 0.5:
            platform = rng.choice(platforms)
        draft = _draft(
            rng,
            number,
            platform,
            rng.choice(shoppers),
            staff.get(platform.pk),
            offices[platform.pk],
            filed_at=filed_at,
            now=now,
            silent=vanished,
            history_only=platform.slug in HISTORY_ONLY_SLUGS,
        )
        drafts.append(draft)
    return drafts


def _lognormal_hours(rng: random.Random, median: float) -> float:
    return median * math.exp(rng.gauss(0, 0.9))


def _draft(rng, number, platform, consumer, staff_user, office, *, filed_at, now, silent, history_only) -> _Draft:
    profile = _profile(platform)
    product, problem, amount = rng.choice(PRODUCTS)
    order_number = f"DM{filed_at:%y%m%d}{number:06d}"
    complaint = Complaint(
        consumer=consumer,
        platform=platform,
        office=office,
        first_received_by=office,
        office_since=filed_at,
        order_number=order_number,
        paid_at=filed_at - timedelta(hours=rng.uniform(1, 48)),
        amount=Decimal(amount),
        payment_channel=rng.choice(CHANNELS),
        payment_reference=f"4200{filed_at:%Y%m%d}{number:010d}",
        product_name=product,
        problem=problem,
        platform_order_status=rng.choice(("paid", "awaiting_delivery", "abnormal")),
        description=f"{product}付款成功后迟迟未到账，联系客服{rng.choice(('不回复', '只说在处理', '让我再等等'))}。"
        f"联系电话13{rng.randint(100000000, 999999999)}。",
        desired_outcome=rng.choice(("delivery", "refund", "refund", "compensation")),
        status=Status.AWAITING_PLATFORM,
        created_at=filed_at,
        forwarded_at=filed_at,
    )
    draft = _Draft(complaint=complaint)
    consumer_label = f"consumer:{consumer.pk}"
    staff_label = f"platform:{platform.pk}:{staff_user.username}" if staff_user else "system"
    draft.timeline += [
        (EventKind.FILED, consumer_label, filed_at, _filing_snapshot(complaint)),
        (EventKind.FORWARDED, "system", filed_at, forwarding_data(complaint)),
    ]
    clocks = {kind: _clock(kind, filed_at) for kind in PLATFORM_CLOCKS}
    draft.clocks += clocks.values()

    answered_at = None
    if not silent and rng.random() < profile["answers"]:
        answered_at = filed_at + timedelta(hours=_lognormal_hours(rng, profile["median_hours"]))
    if history_only and (answered_at is None or answered_at > now - timedelta(hours=12)):
        answered_at = min(filed_at + timedelta(hours=_lognormal_hours(rng, 3)), now - timedelta(hours=2))
    if answered_at is not None and answered_at > now:
        answered_at = None

    end = now
    if answered_at is None:
        end = _unanswered(rng, draft, clocks, consumer_label, now=now, profile=profile)
    else:
        end = _answered(
            rng,
            draft,
            clocks,
            answered_at,
            consumer_label,
            staff_label,
            staff_user,
            now=now,
            profile=profile,
            history_only=history_only,
        )
    _settle_clocks(draft, clocks.values(), end=end, now=now)
    if complaint.status == Status.RESOLVED and rng.random() < 0.12:
        complaint.publish_consent = True
        complaint.public_narrative = redact_personal_data(complaint.description)
        draft.timeline.append((EventKind.PUBLICATION_CHANGED, consumer_label, complaint.closed_at, {"consent": True}))
    complaint.platform_due_at = min(
        (clock.due_at for clock in draft.clocks if clock.kind in PLATFORM_CLOCKS and _running(clock)), default=None
    )
    return draft


def _clock(kind: str, start: datetime) -> Deadline:
    due_at, explanation = compute_due(kind, start)
    return Deadline(kind=kind, started_at=start, due_at=due_at, explanation=explanation)


def _running(clock: Deadline) -> bool:
    return clock.met_at is None and clock.breached_at is None and clock.cancelled_at is None


def _unanswered(rng, draft, clocks, consumer_label, *, now, profile) -> datetime:
    """No answer: the clocks run out; when the negotiation limit is missed the sweep escalates the complaint to the
    regulator. Returns when the platform's clocks stop (now while they run)."""
    complaint = draft.complaint
    hard_limit = clocks[ClockKind.HARD_LIMIT]
    escalated_at = hard_limit.due_at + timedelta(minutes=3)
    if escalated_at >= now:
        return now
    complaint.status = Status.ESCALATED
    complaint.escalated_at = escalated_at
    draft.timeline.append(
        (EventKind.ESCALATED, "system", escalated_at, escalation_data(trigger="deadline", clock=hard_limit.kind))
    )
    _desk(rng, draft, escalated_at, now=now, upheld=profile["upheld"] + 0.1)
    return escalated_at


def _answered(
    rng, draft, clocks, answered_at, consumer_label, staff_label, staff_user, *, now, profile, history_only
) -> datetime:
    complaint = draft.complaint
    rejects = 0.45 if profile is PROFILES["bad"] else 0.12
    outcome = (
        ResponseOutcome.REJECTED
        if rng.random() < rejects
        else rng.choice((ResponseOutcome.DELIVERED, ResponseOutcome.REFUNDED, ResponseOutcome.COMPENSATED))
    )
    response = Response(
        outcome=outcome,
        message=ANSWER_MESSAGES[outcome],
        responder=staff_user,
        created_at=answered_at,
    )
    if outcome == ResponseOutcome.DELIVERED:
        response.delivered_at = answered_at
        response.delivery_method = "站内信"
        response.delivery_record = f"KM-****-****-{rng.randint(1000, 9999)}"
    elif outcome == ResponseOutcome.REFUNDED:
        response.refund_amount = complaint.amount
        response.refund_reference = f"RF{answered_at:%y%m%d}{rng.randint(100000, 999999)}"
    elif outcome == ResponseOutcome.COMPENSATED:
        response.compensation = "补发并赠送5元优惠券"
    else:
        response.rejection_reason = "already_delivered"
    draft.response = response
    complaint.status = Status.AWAITING_CONSUMER
    complaint.first_answered_at = complaint.final_answered_at = answered_at
    draft.timeline.append(
        (EventKind.ANSWERED, staff_label, answered_at, {"outcome": outcome, "message": response.message})
    )
    for kind in PLATFORM_CLOCKS:
        clocks[kind].met_at = answered_at
    reply = _clock(ClockKind.CONSUMER_REPLY, answered_at)
    draft.clocks.append(reply)

    decided_at = answered_at + timedelta(hours=rng.uniform(2, 96))
    if decided_at >= now and not history_only:
        return answered_at
    decided_at = min(decided_at, now - timedelta(hours=1))
    reply.met_at = decided_at
    accepts = profile["accepts"] * (0.4 if outcome == ResponseOutcome.REJECTED else 1.0)
    choice = rng.random()
    if history_only or choice < accepts:
        rating = rng.choice((3, 4, 4, 5, 5)) if outcome != ResponseOutcome.REJECTED else rng.choice((1, 2, 3))
        complaint.status = Status.RESOLVED
        complaint.rating = rating
        complaint.closed_at = decided_at
        draft.timeline.append(
            (
                EventKind.ACCEPTED,
                consumer_label,
                decided_at,
                {"trigger": "consumer", "automatic": False, "rating": rating, "comment": ""},
            )
        )
        return answered_at
    if choice < accepts + 0.05:
        complaint.status = Status.WITHDRAWN
        complaint.closed_at = decided_at
        draft.timeline.append((EventKind.WITHDRAWN, consumer_label, decided_at, {"reason": "已与平台协商解决"}))
        return answered_at
    complaint.status = Status.DISPUTED
    complaint.dispute_reason = "答复与事实不符，仍未收到商品。"
    draft.timeline.append((EventKind.DISPUTED, consumer_label, decided_at, {"reason": complaint.dispute_reason}))
    escalated_at = decided_at + timedelta(hours=rng.uniform(1, 48))
    if escalated_at >= now:
        return answered_at
    complaint.status = Status.ESCALATED
    complaint.escalated_at = escalated_at
    draft.timeline.append(
        (
            EventKind.ESCALATED,
            consumer_label,
            escalated_at,
            escalation_data(trigger="consumer", reason="平台答复不实。"),
        )
    )
    _desk(rng, draft, escalated_at, now=now, upheld=profile["upheld"])
    return answered_at


# Refusal grounds of Order 121 Art. 16 the demo uses: (3) the same complaint already handled, (5) no reply to a
# request for material, (7) not a consumer dispute.
REFUSAL_GROUNDS = ("art16_3", "art16_5", "art16_7")


def _desk(rng, draft, escalated_at, *, now, upheld: float) -> None:
    """The office decides within days (Order 121 Art. 15): refuses on an Art. 16 ground, or accepts (受理) and
    closes with a finding later, or is still deciding. Each decision has its written notice."""
    complaint = draft.complaint
    acceptance = _clock(ClockKind.REGULATOR_ACCEPTANCE, escalated_at)
    draft.clocks.append(acceptance)
    decided_at = escalated_at + timedelta(hours=rng.uniform(4, 96))
    if decided_at >= now:
        return
    acceptance.met_at = decided_at
    if rng.random() < 0.12:
        ground = rng.choice(REFUSAL_GROUNDS)
        data = {"finding": Finding.REFUSED, "ground": ground, "note": "", "notice": None}
        draft.notices.append((NoticeKind.REFUSAL, decided_at, ground, data))
        draft.timeline.append((EventKind.REFUSED, "system", decided_at, data))
        complaint.status = Status.CLOSED
        complaint.finding = Finding.REFUSED
        complaint.closed_at = decided_at
        return
    data = {"note": "", "notice": None}
    draft.notices.append((NoticeKind.ACCEPTANCE, decided_at, "", data))
    draft.timeline.append((EventKind.MEDIATION_ACCEPTED, "system", decided_at, data))
    complaint.status = Status.ACCEPTED
    closed_at = decided_at + timedelta(days=rng.uniform(3, 20))
    if closed_at >= now:
        return
    finding = Finding.UPHELD if rng.random() < upheld else Finding.NOT_UPHELD
    complaint.status = Status.CLOSED
    complaint.finding = finding
    complaint.closed_at = closed_at
    draft.timeline.append((EventKind.CLOSED, "system", closed_at, {"finding": finding, "note": ""}))


def _settle_clocks(draft: _Draft, clocks, *, end: datetime, now: datetime) -> None:
    """Missed clocks (and answers after the due time) are breaches, recorded as the sweep records them; clocks
    still running when the complaint ended are cancelled."""
    complaint = draft.complaint
    for clock in clocks:
        missed = clock.met_at is None and clock.due_at <= end
        if missed or (clock.met_at is not None and clock.met_at > clock.due_at):
            clock.breached_at = clock.due_at + timedelta(minutes=2)
            complaint.is_overdue = True
            draft.timeline.append(
                (
                    EventKind.DEADLINE_BREACHED,
                    "system",
                    clock.breached_at,
                    {"clock": clock.kind, "due_at": clock.due_at},
                )
            )
        elif clock.met_at is None and not complaint.is_open:
            clock.cancelled_at = complaint.closed_at
    if complaint.is_open:
        return
    for clock in draft.clocks:
        if _running(clock):
            clock.cancelled_at = complaint.closed_at or now


# --- writing ---------------------------------------------------------------------------------------------------


def _write(drafts: list[_Draft]) -> SeedResult:
    """Number the complaints per year in filing order, chain their timelines, then write every row in batches."""
    counts: dict[int, int] = {}
    for draft in drafts:
        year = timezone.localtime(draft.complaint.created_at, SHANGHAI).year
        counts[year] = counts.get(year, 0) + 1
    next_numbers = {}
    for year, count in counts.items():
        sequence, _created = NumberSequence.objects.select_for_update().get_or_create(scope="complaint", year=year)
        next_numbers[year] = sequence.last_value + 1
        NumberSequence.objects.filter(pk=sequence.pk).update(last_value=F("last_value") + count)
    notices = _number_notices(drafts)
    events: list[Event] = []
    for draft in drafts:
        complaint = draft.complaint
        year = timezone.localtime(complaint.created_at, SHANGHAI).year
        complaint.reference = f"{settings.PORTAL_REFERENCE_PREFIX}-{year}-{next_numbers[year]:06d}"
        next_numbers[year] += 1
        for kind, label, at, data in sorted(draft.timeline, key=lambda entry: entry[2]):
            events.append(build_event(complaint, kind=kind, actor_label=label, data=data, at=at))
    Complaint.objects.bulk_create([draft.complaint for draft in drafts], batch_size=BATCH_SIZE)
    clocks, responses = [], []
    for draft in drafts:
        for clock in draft.clocks:
            clock.complaint = draft.complaint
            clocks.append(clock)
        if draft.response is not None:
            draft.response.complaint = draft.complaint
            responses.append(draft.response)
    # Each row's complaint has its primary key now: bulk_create reads it from the related object.
    Event.objects.bulk_create(events, batch_size=BATCH_SIZE)
    Deadline.objects.bulk_create(clocks, batch_size=BATCH_SIZE)
    # Response.created_at is auto_now_add, which bulk_create sets to now: the answers get back the time they
    # were given.
    answered = [response.created_at for response in responses]
    Response.objects.bulk_create(responses, batch_size=BATCH_SIZE)
    Notice.objects.bulk_create(notices, batch_size=BATCH_SIZE)
    for response, moment in zip(responses, answered, strict=True):
        response.created_at = moment
    Response.objects.bulk_update(responses, ["created_at"], batch_size=BATCH_SIZE)
    return SeedResult(complaints=len(drafts), events=len(events), clocks=len(clocks))


def _number_notices(drafts: list[_Draft]) -> list[Notice]:
    """The desk's notices in decision order, numbered per kind and year as ``notices.notice_decide`` numbers them
    (the counter moves past them); each number is written into the event that records the decision. Their PDFs
    are rendered on first download (``notices.notice_issue``)."""
    decisions = sorted(
        ((kind, at, ground, data, draft.complaint) for draft in drafts for kind, at, ground, data in draft.notices),
        key=lambda decision: decision[1],
    )
    counts: dict[tuple[str, int], int] = {}
    for kind, at, *_rest in decisions:
        key = (kind, timezone.localtime(at, SHANGHAI).year)
        counts[key] = counts.get(key, 0) + 1
    next_numbers = {}
    for (kind, year), count in counts.items():
        sequence, _created = NumberSequence.objects.select_for_update().get_or_create(scope=f"notice-{kind}", year=year)
        next_numbers[kind, year] = sequence.last_value + 1
        NumberSequence.objects.filter(pk=sequence.pk).update(last_value=F("last_value") + count)
    notices = []
    for kind, at, ground, data, complaint in decisions:
        year = timezone.localtime(at, SHANGHAI).year
        sequence = next_numbers[kind, year]
        next_numbers[kind, year] += 1
        data["notice"] = f"〔{year}〕{NUMBER_WORDS[kind]}字第{sequence:04d}号"
        notices.append(
            Notice(
                complaint=complaint,
                kind=kind,
                year=year,
                sequence=sequence,
                number=data["notice"],
                ground_code=ground,
                addressed_to_platform=ADDRESSED_TO_PLATFORM[kind],
                decided_at=at,
            )
        )
    return notices


# --- the regulators' side --------------------------------------------------------------------------------------


def _confirm_vanished(platforms: list[Platform], now: datetime) -> None:
    """The platform that stopped answering, confirmed unreachable by the office that handles its complaints: the
    consumer warning (消费预警, 消费者权益保护法实施条例 Art. 27)."""
    platform = next((platform for platform in platforms if platform.slug == VANISHED_SLUG), None)
    if platform is None or platform.unreachable_confirmed_at is not None:
        return
    platform.unreachable_confirmed_at = now - timedelta(days=10)
    platform.unreachable_office = receiving_office_for(platform.domicile_code)
    platform.unreachable_reference = f"杭市监预警〔{timezone.localtime(now, SHANGHAI).year}〕1号"
    platform.save(update_fields=["unreachable_confirmed_at", "unreachable_office", "unreachable_reference"])


# (platform slug, kind, days ago, fine)
PENALTIES = [
    ("heima-kameng", PenaltyKind.WARNING, 120, None),
    ("heima-kameng", PenaltyKind.FINE, 20, Decimal("50000")),
    ("jinniu-kameng", PenaltyKind.RECTIFICATION, 12, None),
    ("kuaifa-dianka", PenaltyKind.WARNING, 35, None),
    ("xinyuan-kameng", PenaltyKind.FINE, 8, Decimal("20000")),
]


def _penalties(platforms: list[Platform], now: datetime) -> int:
    """A handful of decisions against the bad actors, issued through the penalty service by a regulator of the
    office that handles the platform's complaints (skipped where that office has no regulator)."""
    by_slug = {platform.slug: platform for platform in platforms}
    today = timezone.localtime(now, SHANGHAI).date()
    issued = 0
    for slug, kind, days_ago, fine in PENALTIES:
        platform = by_slug.get(slug)
        office = receiving_office_for(platform.domicile_code) if platform else None
        regulator = User.objects.filter(role=Role.REGULATOR, office=office).order_by("pk").first() if office else None
        if regulator is None:
            continue
        decided_on: date = today - timedelta(days=days_ago)
        cited = list(
            Complaint.objects.filter(
                platform=platform, office=office, finding=Finding.UPHELD, closed_at__date__lte=decided_on
            )
            .order_by("-closed_at")
            .values_list("pk", flat=True)[:3]
        )
        penalty_issue(
            by=regulator,
            platform=platform,
            kind=kind,
            legal_basis="《网络交易监督管理办法》第五十四条；《消费者权益保护法》第五十六条",
            facts=f"{platform.name}多次未在承诺时限内处理消费者投诉，经调解查实投诉属实。",
            decision="依法作出处罚，责令改正。",
            complaint_ids=cited,
            fine_amount=fine,
            rectification_deadline=decided_on + timedelta(days=30) if kind == PenaltyKind.RECTIFICATION else None,
            decided_on=decided_on,
        )
        issued += 1
    return issued
