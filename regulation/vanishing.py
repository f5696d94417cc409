"""Platforms that have gone dark (跑路): detection, the regulator's confirmation or dismissal, and the alerts'
selector. The formula, its parameters and a worked example are in docs/vanished-platforms.md.

Detection computes, per platform, five signals (settings.PORTAL_VANISHING): a surge of new complaints against
the median day of the weeks before, the share of recent complaints answered, failed webhook deliveries in a row,
days without any sign of life (API key, answers), and complaints whose text says the site or its support is gone.
It is set-based: a fixed number of grouped queries whatever the number of platforms or complaints, then a pass
over the grouped rows in Python. A platform with at least ``min_signals`` signals gets an alert for the office of
its domicile (Order 121 Art. 13; 消费者权益保护法实施条例 Art. 27: 加强对投诉、举报信息的分析应用，开展消费预警和风险
提示). An alert is never a verdict: only a regulator confirms the platform unreachable, or dismisses the alert
with a reason.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.calendar import SHANGHAI, is_working_day
from complaints.models import DeliveryStatus, WebhookDelivery
from complaints.selectors import unscoped_complaints_for_system
from complaints.unreachable import complaints_stop_for_unreachable_platform
from platforms.models import ApiKey, Platform
from portal.access import acts_as_regulator, office_scope
from portal.audit import record_act
from portal.errors import Conflict, IllegalTransition
from portal.models import AuditAction, Office
from portal.offices import division_candidates
from portal.sequences import sequence_next

from .models import VanishingAlert, VanishingAlertStatus

SIGNALS = ("surge", "unanswered", "webhooks", "inactive", "keywords")


def _config() -> dict:
    return settings.PORTAL_VANISHING


# --- the window ------------------------------------------------------------------------------------------


def _start_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)


@dataclass(frozen=True)
class DetectionWindow:
    """The dates one refresh reads, in Beijing time: the recent days (today included), the baseline days
    before them, and the working days before today whose complaints should have been answered by now."""

    now: datetime
    recent_from: date
    baseline_from: date
    answer_from: date
    today: date

    @classmethod
    def at(cls, now: datetime) -> "DetectionWindow":
        config = _config()
        today = now.astimezone(SHANGHAI).date()
        recent_from = today - timedelta(days=config["recent_days"] - 1)
        baseline_from = recent_from - timedelta(days=config["baseline_days"])
        answer_from, counted = today, 0
        while counted < config["answer_working_days"]:
            answer_from -= timedelta(days=1)
            if is_working_day(answer_from):
                counted += 1
        return cls(now=now, recent_from=recent_from, baseline_from=baseline_from, answer_from=answer_from, today=today)

    @property
    def baseline_days(self) -> list[date]:
        return [self.baseline_from + timedelta(days=i) for i in range((self.recent_from - self.baseline_from).days)]

    @property
    def lookback_start(self) -> datetime:
        return _start_of(min(self.baseline_from, self.answer_from))

    def as_dict(self) -> dict:
        return {
            "computed_at": self.now.isoformat(),
            "recent_from": self.recent_from.isoformat(),
            "recent_to": self.today.isoformat(),
            "baseline_from": self.baseline_from.isoformat(),
            "baseline_to": (self.recent_from - timedelta(days=1)).isoformat(),
            "answer_from": self.answer_from.isoformat(),
            "answer_to": (self.today - timedelta(days=1)).isoformat(),
        }


# --- detection ---------------------------------------------------------------------------------------------


@dataclass
class PlatformFigures:
    """What detection found for one platform: the figures behind each signal, and the signals that fired."""

    platform_id: int
    daily: dict[date, int] = field(default_factory=dict)
    answer_window: int = 0
    answered: int = 0
    last_answer: datetime | None = None
    last_key_use: datetime | None = None
    webhook_failures: int = 0
    last_webhook_failure: datetime | None = None
    keyword_ids: list[int] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)


def _keywords_q() -> Q:
    condition = Q()
    for word in _config()["keywords"]:
        if word.strip():
            condition |= Q(description__icontains=word.strip())
    return condition


def _gather(window: DetectionWindow, platform_ids: set[int]) -> dict[int, PlatformFigures]:
    """The grouped rows behind the signals: five queries whatever the number of platforms."""
    figures = {pk: PlatformFigures(pk) for pk in platform_ids}
    recent_start = _start_of(window.recent_from)
    complaints = unscoped_complaints_for_system().filter(
        platform_id__isnull=False, created_at__gte=window.lookback_start, created_at__lte=window.now
    )
    # 1. Complaints per platform and filing day (Beijing time), baseline and recent days alike.
    for row in (
        complaints.filter(created_at__gte=_start_of(window.baseline_from))
        .annotate(day=TruncDate("created_at", tzinfo=SHANGHAI))
        .values("platform_id", "day")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if row["platform_id"] in figures:
            figures[row["platform_id"]].daily[row["day"]] = row["n"]
    # 2. Answers: the share answered of the complaints filed on the working days before today, and the latest
    # answer (first or final) to any complaint of the lookback — read from the statistics' covering index.
    answer_window = Q(created_at__gte=_start_of(window.answer_from), created_at__lt=_start_of(window.today))
    for row in (
        complaints.values("platform_id")
        .annotate(
            answer_window=Count("pk", filter=answer_window),
            answered=Count("pk", filter=answer_window & Q(first_answered_at__isnull=False)),
            last_first=Max("first_answered_at"),
            last_final=Max("final_answered_at"),
        )
        .order_by()
    ):
        if (platform := figures.get(row["platform_id"])) is not None:
            platform.answer_window = row["answer_window"]
            platform.answered = row["answered"]
            platform.last_answer = max(filter(None, (row["last_first"], row["last_final"])), default=None)
    # 3. Recent complaints whose text says the site or the support is gone.
    keywords = _keywords_q()
    if keywords:
        for platform_id, pk in (
            complaints.filter(keywords, created_at__gte=recent_start).values_list("platform_id", "pk").order_by("pk")
        ):
            if platform_id in figures:
                figures[platform_id].keyword_ids.append(pk)
    # 4. Failed deliveries in a row per active endpoint: those written after its last success (in the lookback;
    # ids grow with time, and unlike timestamps never tie).
    last_success = (
        WebhookDelivery.objects.filter(endpoint_id=OuterRef("endpoint_id"), status=DeliveryStatus.DELIVERED)
        .order_by("-pk")
        .values("pk")[:1]
    )
    for row in (
        WebhookDelivery.objects.filter(
            endpoint__is_active=True, status=DeliveryStatus.FAILED, created_at__gte=window.lookback_start
        )
        .annotate(last_success=Subquery(last_success))
        .filter(Q(last_success__isnull=True) | Q(pk__gt=F("last_success")))
        .values("endpoint_id", "endpoint__platform_id")
        .annotate(n=Count("pk"), last=Max("created_at"))
        .order_by()
    ):
        platform = figures.get(row["endpoint__platform_id"])
        if platform is not None and row["n"] > platform.webhook_failures:
            platform.webhook_failures, platform.last_webhook_failure = row["n"], row["last"]
    # 5. The last use of any of its API keys.
    for platform_id, last_used in (
        ApiKey.objects.values("platform_id")
        .annotate(last=Max("last_used_at"))
        .values_list("platform_id", "last")
        .order_by()
    ):
        if platform_id in figures:
            figures[platform_id].last_key_use = last_used
    return figures


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _evaluate(platform: PlatformFigures, window: DetectionWindow) -> None:
    """Decide which signals fire for ``platform`` and write the evidence that shows why."""
    config = _config()
    baseline = [platform.daily.get(day, 0) for day in window.baseline_days]
    median = float(statistics.median(baseline)) if baseline else 0.0
    recent_days = config["recent_days"]
    recent = sum(n for day, n in platform.daily.items() if day >= window.recent_from)
    expected = median * recent_days
    threshold = max(config["surge_min_complaints"], config["surge_multiple"] * expected)
    surge = recent >= threshold
    share = platform.answered / platform.answer_window if platform.answer_window else None
    unanswered = (
        platform.answer_window >= config["answered_min_complaints"]
        and share is not None
        and share <= config["answered_share_max"]
    )
    webhooks = platform.webhook_failures >= config["webhook_failures"]
    last_activity = max(filter(None, (platform.last_answer, platform.last_key_use)), default=None)
    inactive_days = (window.now - last_activity).days if last_activity else None
    # Silence matters only while complaints arrive: a platform nobody complains about may be quiet.
    inactive = recent > 0 and (inactive_days is None or inactive_days >= config["inactive_days"])
    keywords = len(platform.keyword_ids) >= config["keyword_min_complaints"]
    fired = {"surge": surge, "unanswered": unanswered, "webhooks": webhooks, "inactive": inactive, "keywords": keywords}
    platform.signals = [name for name in SIGNALS if fired[name]]
    platform.evidence = {
        "window": window.as_dict(),
        "surge": {
            "recent_complaints": recent,
            "recent_days": recent_days,
            "baseline_median_per_day": median,
            "expected": expected,
            "threshold": threshold,
            "daily": {day.isoformat(): n for day, n in sorted(platform.daily.items())},
            "fired": surge,
        },
        "unanswered": {
            "complaints": platform.answer_window,
            "answered": platform.answered,
            "share_answered": share,
            "fired": unanswered,
        },
        "webhooks": {
            "consecutive_failures": platform.webhook_failures,
            "last_failure": _iso(platform.last_webhook_failure),
            "fired": webhooks,
        },
        "inactive": {
            "last_api_key_use": _iso(platform.last_key_use),
            "last_answer": _iso(platform.last_answer),
            "days_inactive": inactive_days,
            "fired": inactive,
        },
        "keywords": {
            "complaints": len(platform.keyword_ids),
            "complaint_ids": platform.keyword_ids[: config["evidence_complaint_ids"]],
            "fired": keywords,
        },
    }


def vanishing_detect(*, now: datetime | None = None) -> dict[int, PlatformFigures]:
    """The signals of every platform not yet confirmed unreachable, by platform id. Reads only."""
    window = DetectionWindow.at(now or timezone.now())
    platform_ids = set(Platform.objects.filter(unreachable_confirmed_at__isnull=True).values_list("pk", flat=True))
    figures = _gather(window, platform_ids)
    for platform in figures.values():
        _evaluate(platform, window)
    return figures


def _offices_for(domiciles: dict[int, str]) -> dict[int, Office | None]:
    """``portal.offices.receiving_office_for`` of many platforms in one query: the county office of each domicile,
    else the nearest office above it on the portal, else the highest receiving centre (Order 121 Art. 13, 41)."""
    candidates = {pk: division_candidates(code or "") for pk, code in domiciles.items()}
    codes = {code for chain in candidates.values() for code in chain}
    offices = list(Office.objects.filter(Q(division_code__in=codes) | Q(is_receiving_centre=True)))
    by_code = {office.division_code: office for office in offices}
    centres = sorted((office for office in offices if office.is_receiving_centre), key=lambda office: office.path)
    fallback = centres[0] if centres else None
    return {
        pk: next((by_code[code] for code in chain if code in by_code), fallback) for pk, chain in candidates.items()
    }


@dataclass
class RefreshResult:
    opened: int = 0
    refreshed: int = 0
    alerting: int = 0
    platforms: int = 0


def vanishing_alerts_refresh(*, now: datetime | None = None) -> RefreshResult:
    """Open an alert for each platform whose signals reach ``min_signals`` and has none open; refresh the evidence
    of the open ones (an open alert whose signals calmed down stays open, for a regulator to dismiss: never an
    automatic verdict either way). Idempotent; a fixed number of queries whatever the number of platforms.

    A platform whose alert was dismissed within ``dismissal_quiet_days`` gets no new one meanwhile.
    """
    now = now or timezone.now()
    config = _config()
    figures = vanishing_detect(now=now)
    result = RefreshResult(platforms=len(figures))
    alerting = {pk for pk, platform in figures.items() if len(platform.signals) >= config["min_signals"]}
    result.alerting = len(alerting)
    with transaction.atomic():
        open_alerts = {
            alert.platform_id: alert
            for alert in VanishingAlert.objects.select_for_update().filter(status=VanishingAlertStatus.OPEN)
        }
        quiet_since = now - timedelta(days=config["dismissal_quiet_days"])
        quiet = set(
            VanishingAlert.objects.filter(
                status=VanishingAlertStatus.DISMISSED, decided_at__gte=quiet_since
            ).values_list("platform_id", flat=True)
        )
        to_open = sorted(alerting - open_alerts.keys() - quiet)
        listed = to_open + [pk for pk in open_alerts if pk in figures]
        ids_by_platform = _recent_complaint_ids(listed, figures, now)
        for platform_id, alert in open_alerts.items():
            platform = figures.get(platform_id)
            if platform is None:  # confirmed meanwhile: its alert is decided by the confirmation
                continue
            alert.signals = platform.signals
            alert.evidence = {**platform.evidence, "complaints": ids_by_platform.get(platform_id, {})}
            alert.refreshed_at = now
        VanishingAlert.objects.bulk_update(list(open_alerts.values()), ["signals", "evidence", "refreshed_at"])
        result.refreshed = len(open_alerts)
        domiciles = dict(Platform.objects.filter(pk__in=to_open).values_list("pk", "domicile_code"))
        offices = _offices_for(domiciles) if to_open else {}
        new_alerts = [
            VanishingAlert(
                platform_id=platform_id,
                office=offices[platform_id],
                opened_at=now,
                refreshed_at=now,
                signals=figures[platform_id].signals,
                evidence={**figures[platform_id].evidence, "complaints": ids_by_platform.get(platform_id, {})},
            )
            for platform_id in to_open
            if offices.get(platform_id) is not None
        ]
        VanishingAlert.objects.bulk_create(new_alerts)
        result.opened = len(new_alerts)
    return result


def _recent_complaint_ids(platform_ids: list[int], figures: dict[int, PlatformFigures], now: datetime) -> dict:
    """The complaints an alert names: those filed in the recent days, newest first, in one query."""
    if not platform_ids:
        return {}
    window_start = _start_of(DetectionWindow.at(now).recent_from)
    limit = _config()["evidence_complaint_ids"]
    ids: dict[int, list[int]] = defaultdict(list)
    for platform_id, pk in (
        unscoped_complaints_for_system()
        .filter(platform_id__in=platform_ids, created_at__gte=window_start, created_at__lte=now)
        .order_by("platform_id", "-created_at", "-pk")
        .values_list("platform_id", "pk")
    ):
        ids[platform_id].append(pk)
    return {
        platform_id: {"count": len(ids[platform_id]), "ids": ids[platform_id][:limit]} for platform_id in platform_ids
    }


# --- reading alerts ------------------------------------------------------------------------------------------


def vanishing_alerts_visible_to(user) -> QuerySet[VanishingAlert]:
    """The alerts of ``user``'s office and the offices below it; none for anyone who is not a regulator."""
    if not acts_as_regulator(user):
        return VanishingAlert.objects.none()
    return VanishingAlert.objects.filter(office_scope(user).filter("office")).select_related("platform", "office")


# --- deciding -------------------------------------------------------------------------------------------------


def _lock_alert(by, alert_id) -> VanishingAlert:
    if not acts_as_regulator(by):
        raise PermissionDenied(_("Only regulators can do that."))
    try:
        alert = vanishing_alerts_visible_to(by).select_for_update(of=("self",)).get(pk=alert_id)
    except (VanishingAlert.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such alert.")) from None
    if alert.status != VanishingAlertStatus.OPEN:
        raise IllegalTransition(_("This alert was decided already."))
    return alert


def unreachable_reference(prefix: str, year: int, sequence: int) -> str:
    """The confirmation's number in the office's series, after its penalty numbers: 沪浦市监处罚 gives
    沪浦市监预警〔2026〕1号; an office without a prefix numbers 预警〔2026〕第0001号."""
    if prefix:
        stem = prefix.removesuffix("处罚")
        return f"{stem}预警〔{year}〕{sequence}号"
    return f"预警〔{year}〕第{sequence:04d}号"


def unreachable_sequence_scope(office_id: int) -> str:
    return f"unreachable:{office_id}"


def vanishing_alert_confirm(*, alert_id: int, by, reason: str = "") -> VanishingAlert:
    """Confirm that the alert's platform can no longer be reached.

    Sets the platform's ``unreachable_confirmed_at`` / ``unreachable_reference`` / ``unreachable_office`` (the
    consumer warning shows from then on), and for every open complaint against it stops its platform clocks (not
    breaches), moves it to the desk when it waited on the platform and tells the consumer to go to the payment
    channel first (complaints.unreachable). One transaction; the audit trail records the act.
    """
    now = timezone.now()
    with transaction.atomic():
        alert = _lock_alert(by, alert_id)
        platform = Platform.objects.select_for_update().get(pk=alert.platform_id)
        if platform.is_unreachable:
            raise Conflict(_("This platform was confirmed unreachable already."))
        office = alert.office
        year = now.astimezone(SHANGHAI).year
        sequence = sequence_next(scope=unreachable_sequence_scope(office.pk), year=year)
        reference = unreachable_reference(office.penalty_number_prefix, year, sequence)
        platform.unreachable_confirmed_at = now
        platform.unreachable_reference = reference
        platform.unreachable_office = office
        platform.save(update_fields=["unreachable_confirmed_at", "unreachable_reference", "unreachable_office"])
        confirmation = {
            "reference": reference,
            "office": office.division_code,
            "office_name": office.name,
            "confirmed_at": now,
            "alert": alert.pk,
        }
        stopped = complaints_stop_for_unreachable_platform(
            platform_id=platform.pk, confirmation=confirmation, by=by, at=now
        )
        alert.status = VanishingAlertStatus.CONFIRMED
        alert.decided_by = by
        alert.decided_at = now
        alert.reason = (reason or "").strip()
        alert.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        record_act(
            by=by,
            action=AuditAction.VANISHING_CONFIRMED,
            obj=platform,
            object_repr=reference,
            data={
                **confirmation,
                "platform": platform.pk,
                "reason": alert.reason,
                "complaints": stopped.complaints,
                "moved_to_desk": stopped.moved_to_desk,
                "clocks_stopped": stopped.clocks_stopped,
            },
        )
    return alert


def vanishing_alert_dismiss(*, alert_id: int, by, reason: str) -> VanishingAlert:
    """Dismiss an alert: the platform is reachable after all. The reason is required and recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the alert is dismissed.")]})
    now = timezone.now()
    with transaction.atomic():
        alert = _lock_alert(by, alert_id)
        alert.status = VanishingAlertStatus.DISMISSED
        alert.decided_by = by
        alert.decided_at = now
        alert.reason = reason
        alert.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        record_act(
            by=by,
            action=AuditAction.VANISHING_DISMISSED,
            obj=alert,
            data={"platform": alert.platform_id, "office": alert.office.division_code, "reason": reason},
        )
    return alert
