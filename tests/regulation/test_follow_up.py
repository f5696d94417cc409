"""Spot checks and follow-ups (回访, Order 121 Art. 26): the weekly sample, the consumer's survey, its event."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.events import verify_chain
from complaints.follow_up import follow_up_answer, follow_ups_request
from complaints.models import Complaint, EventKind, FollowUp, Status
from portal.models import OutboxMessage
from regulation.follow_up import follow_ups_draw, sample_size, sampling_rank, week_before
from regulation.statistics import Satisfaction, follow_up_satisfaction, platform_satisfaction
from regulation.tasks import draw_follow_ups_task
from tests.factories import ConsumerFactory, PlatformFactory, file_complaint
from tests.fixtures_roles import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 2, 0, tzinfo=SHANGHAI)  # the beat's run; it samples 2026-W49 (30 Nov – 6 Dec)
IN_THE_WEEK = datetime(2026, 12, 3, 15, 0, tzinfo=SHANGHAI)


def closed_complaint(*, at: datetime = IN_THE_WEEK, status: str = Status.RESOLVED, consumer=None, platform=None):
    complaint = file_complaint(consumer, platform)
    Complaint.objects.filter(pk=complaint.pk).update(status=status, closed_at=at)
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def surveyed(monday, consumer, platform):
    complaint = closed_complaint(consumer=consumer, platform=platform)
    follow_ups_draw()
    return complaint


# --- the sample -------------------------------------------------------------------------------------------


def test_the_week_sampled_is_the_iso_week_before_in_shanghai():
    week = week_before(MONDAY)

    assert week.label == "2026-W49"
    assert week.since == datetime(2026, 11, 30, tzinfo=SHANGHAI)
    assert week.until == datetime(2026, 12, 7, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("closed", "sampled"), [(0, 0), (1, 1), (9, 1), (10, 1), (11, 2), (25, 3)])
def test_the_sample_is_the_share_rounded_up_and_at_least_the_minimum(closed, sampled):
    assert sample_size(closed) == sampled


def test_the_draw_takes_the_share_of_last_week_s_closings_only(monday):
    in_week = [closed_complaint() for _ in range(11)]
    closed_complaint(at=datetime(2026, 11, 29, 23, 59, tzinfo=SHANGHAI))  # the week before
    closed_complaint(at=datetime(2026, 12, 7, 0, 1, tzinfo=SHANGHAI))  # this week
    closed_complaint(status=Status.WITHDRAWN)  # not handled to the end
    closed_complaint(status=Status.CLOSED)

    result = follow_ups_draw()

    assert (result.week, result.closed, result.requested) == ("2026-W49", 12, 2)
    drawn = set(FollowUp.objects.values_list("complaint_id", flat=True))
    assert len(drawn) == 2
    closed_too = set(Complaint.objects.filter(status=Status.CLOSED).values_list("pk", flat=True))
    assert drawn <= {c.pk for c in in_week} | closed_too


def test_the_draw_is_deterministic_and_runs_once_per_week(monday):
    complaints = [closed_complaint() for _ in range(20)]
    first = follow_ups_draw()
    drawn = set(FollowUp.objects.values_list("complaint_id", flat=True))

    again = draw_follow_ups_task.apply().get()

    assert first.requested == 2 and again == {"week": "2026-W49", "closed": 20, "requested": 0}
    assert set(FollowUp.objects.values_list("complaint_id", flat=True)) == drawn
    ranked = sorted((c.pk for c in complaints), key=lambda pk: sampling_rank("2026-W49", pk))
    assert drawn == set(ranked[:2])


def test_a_draw_sends_the_survey_and_records_it_in_the_timeline(surveyed):
    follow_up = surveyed.follow_up

    assert follow_up.week == "2026-W49"
    assert follow_up.expires_at == MONDAY + timedelta(days=settings.PORTAL_FOLLOW_UP_OPEN_DAYS)
    event = surveyed.events.get(kind=EventKind.FOLLOW_UP_REQUESTED)
    assert event.actor_label == "system" and event.data["week"] == "2026-W49"
    email = OutboxMessage.objects.get(template="follow_up_survey")
    assert email.recipients == [surveyed.consumer.email]
    assert email.context["survey_url"].endswith(reverse("complaints:follow-up", args=[surveyed.pk]))
    assert verify_chain(Complaint.objects.get(pk=surveyed.pk)) is None


def test_the_beat_runs_the_draw_weekly():
    entry = settings.CELERY_BEAT_SCHEDULE["draw-follow-ups"]

    assert entry["task"] == "regulation.tasks.draw_follow_ups_task"
    assert entry["schedule"].day_of_week == {1}


# --- the answer -------------------------------------------------------------------------------------------


def test_the_consumer_answers_once_and_the_answer_is_a_chained_event(surveyed, consumer):
    follow_up_answer(complaint_id=surveyed.pk, by=consumer, resolved=True, rating=4, comment="处理及时")

    follow_up = FollowUp.objects.get(complaint=surveyed)
    assert (follow_up.resolved, follow_up.rating, follow_up.comment) == (True, 4, "处理及时")
    event = surveyed.events.get(kind=EventKind.FOLLOW_UP_ANSWERED)
    assert event.data == {"resolved": True, "rating": 4, "comment": "处理及时"}
    assert verify_chain(Complaint.objects.get(pk=surveyed.pk)) is None

    response = client_for(consumer).post(
        reverse("complaints_api:complaint-survey", args=[surveyed.pk]), {"resolved": False, "rating": 1}
    )
    assert response.status_code == 409
    assert FollowUp.objects.get(complaint=surveyed).rating == 4


def test_an_expired_survey_takes_no_answer(surveyed, consumer, monday):
    monday.shift(timedelta(days=settings.PORTAL_FOLLOW_UP_OPEN_DAYS, seconds=1))

    response = client_for(consumer).post(
        reverse("complaints_api:complaint-survey", args=[surveyed.pk]), {"resolved": True, "rating": 5}
    )

    assert response.status_code == 409
    assert not surveyed.events.filter(kind=EventKind.FOLLOW_UP_ANSWERED).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 3}, "resolved"),
        ({"resolved": True, "rating": 6}, "rating"),
        ({"resolved": True, "rating": 0}, "rating"),
        ({"resolved": True, "rating": "很好"}, "rating"),
        ({"resolved": True, "rating": 3, "comment": "长" * 1001}, "comment"),
    ],
)
def test_bad_answers_are_400_with_the_field(surveyed, consumer, body, field):
    response = client_for(consumer).post(reverse("complaints_api:complaint-survey", args=[surveyed.pk]), body)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("role", ["other_consumer", "agent", "regulator"])
def test_only_the_owning_consumer_reaches_the_survey(surveyed, role, request):
    user = request.getfixturevalue(role)
    client = client_for(user)
    client.force_login(user)
    url = reverse("complaints:follow-up", args=[surveyed.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"resolved": "yes", "rating": "5"}).status_code == 404
    api = reverse("complaints_api:complaint-survey", args=[surveyed.pk])
    assert client.get(api).status_code == 404
    assert client.post(api, {"resolved": True, "rating": 5}).status_code == 404
    assert not FollowUp.objects.get(complaint=surveyed).is_answered


def test_a_complaint_without_a_survey_has_none(monday, consumer, platform):
    complaint = closed_complaint(consumer=consumer, platform=platform)
    client = client_for(consumer)
    client.force_login(consumer)

    assert client.get(reverse("complaints:follow-up", args=[complaint.pk])).status_code == 404


def test_the_consumer_finds_the_survey_on_the_complaint_page_and_answers_it(surveyed, consumer, client):
    client.force_login(consumer)
    detail = client.get(reverse("complaints:complaint-detail", args=[surveyed.pk]))
    url = reverse("complaints:follow-up", args=[surveyed.pk])
    assert url in detail.content.decode()

    bad = client.post(url, {"resolved": "yes", "comment": "还行"})
    assert bad.status_code == 400
    assert "还行" in bad.content.decode()  # what was typed is kept
    assert bad.context["form"].errors["rating"]

    good = client.post(url, {"resolved": "no", "rating": "2", "comment": "卡密仍未到账"})
    assert good.status_code == 302
    follow_up = FollowUp.objects.get(complaint=surveyed)
    assert (follow_up.resolved, follow_up.rating) == (False, 2)
    assert url not in client.get(reverse("complaints:complaint-detail", args=[surveyed.pk])).content.decode()
    answered = client.get(url)
    assert answered.status_code == 200 and 'name="rating"' not in answered.content.decode()


def test_the_survey_costs_the_detail_page_no_query(surveyed, consumer, client):
    without = closed_complaint(consumer=consumer)
    client.force_login(consumer)

    def queries(complaint) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("complaints:complaint-detail", args=[complaint.pk])).status_code == 200
        return len(captured)

    queries(without)  # warm the session and caches
    assert queries(surveyed) == queries(without)


def test_a_complaint_is_followed_up_once_ever(monday):
    complaint = closed_complaint(consumer=ConsumerFactory(), platform=PlatformFactory())
    follow_ups_draw()
    monday.shift(timedelta(days=7))  # the next Monday: the complaint's week is behind, nothing new

    assert follow_ups_draw().requested == 0
    assert FollowUp.objects.filter(complaint=complaint).count() == 1


# --- statistics -------------------------------------------------------------------------------------------


@pytest.fixture
def answered(monday):
    """Platform A: three answers (two resolved; ratings 5, 4, 1). Platform B: one answer, unresolved, 2."""
    platform_a, platform_b = PlatformFactory(name="甲平台"), PlatformFactory(name="乙平台")
    answers = [(platform_a, True, 5), (platform_a, True, 4), (platform_a, False, 1), (platform_b, False, 2)]
    complaints = [closed_complaint(platform=platform) for platform, _resolved, _rating in answers]
    closed_complaint(platform=platform_b)  # surveyed, never answered
    follow_ups_request(complaint_ids=[c.pk for c in Complaint.objects.all()], week="2026-W49")
    for complaint, (_platform, resolved, rating) in zip(complaints, answers, strict=True):
        follow_up_answer(complaint_id=complaint.pk, by=complaint.consumer, resolved=resolved, rating=rating)
    return platform_a, platform_b


def test_satisfaction_per_platform_counts_answers_resolved_share_and_mean_rating(answered, django_assert_num_queries):
    platform_a, platform_b = answered

    with django_assert_num_queries(2):
        rows = platform_satisfaction(days=30)

    figures = {row.platform: row.satisfaction for row in rows}
    assert figures[platform_a] == Satisfaction(answers=3, resolved=2, rating_sum=10)
    assert figures[platform_a].resolved_share == pytest.approx(2 / 3)
    assert figures[platform_a].mean_rating == pytest.approx(10 / 3)
    assert figures[platform_b].answers == 1 and figures[platform_b].resolved_share == 0.0


def test_satisfaction_can_be_grouped_by_another_key(answered):
    assert follow_up_satisfaction(days=30, group_by="complaint__status") == {
        Status.RESOLVED: Satisfaction(answers=4, resolved=2, rating_sum=12)
    }


def test_answers_outside_the_window_are_not_counted(answered, monday):
    monday.shift(timedelta(days=31))

    assert platform_satisfaction(days=30) == []


def test_regulators_read_satisfaction_over_the_api_and_the_dashboard(answered, regulator, client):
    platform_a, _platform_b = answered

    response = client_for(regulator).get(reverse("regulation_api:stats-satisfaction"), {"days": 30})

    assert response.status_code == 200
    rows = {row["platform"]: row for row in response.json()["results"]}
    assert rows[platform_a.slug] == {
        "platform": platform_a.slug, "platform_name": "甲平台", "answers": 3, "resolved_share": 0.6667,
        "mean_rating": 3.33,
    }  # fmt: skip
    client.force_login(regulator)
    dashboard = client.get(reverse("regulation:dashboard-home"), {"days": 30}).content.decode()
    assert "satisfaction-title" in dashboard and "甲平台" in dashboard


@pytest.mark.parametrize("role", ["consumer", "agent"])
def test_satisfaction_statistics_are_for_regulators_only(role, request):
    response = client_for(request.getfixturevalue(role)).get(reverse("regulation_api:stats-satisfaction"))

    assert response.status_code == 403
