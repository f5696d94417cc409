"""The rulebook: which edition governs a clock, and the regulator's clocks counted as the law in force says.

Order 121 (from 2026-04-15) counts per Art. 45: the starting day is not counted, a period ends with its last day,
and a last day off moves to the next working day. Order 20 (until 2026-04-14) is what the portal counted before:
45 working days of mediation, same time of day. 2026 holidays come from the ``holidays`` package (National Day
Oct 1–7, make-up workdays Sat May 9 and Sat Oct 10); 2027 is only guessed there, so tests that depend on the
2027 Spring Festival set the days off as a regulator would, with calendar exceptions (docs/operations.md).
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from complaints import rulebook, services
from complaints.calendar import SHANGHAI, clear_exceptions_cache
from complaints.deadlines import (
    build_clock,
    compute_due,
    extend_clue_check,
    pause_clocks,
    resume_clocks,
    start_clocks,
    start_clocks_of,
)
from complaints.dossier import dossier_context
from complaints.models import (
    CalendarException,
    ClockKind,
    ClockRule,
    Complaint,
    Deadline,
    EventKind,
    GroundKind,
    RuleEdition,
    Status,
)
from complaints.sweep import deadlines_sweep
from portal.errors import IllegalTransition
from regulation import desk
from tests.factories import RegulatorFactory, StaffFactory, file_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.dated]


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> datetime:
    """The last second of a day, Beijing time: when a period counted in whole days (Art. 45) ends."""
    return shanghai(year, month, day, 23, 59, 59)


def escalated_complaint(at: datetime) -> Complaint:
    """A complaint the consumer escalated to the regulator at ``at`` (answered, disputed, escalated)."""
    with time_machine.travel(at, tick=False):
        complaint = file_complaint()
        services.complaint_respond(
            complaint_id=complaint.pk,
            by=StaffFactory(platform=complaint.platform),
            outcome="refunded",
            message="已原路退款。",
            refund_amount=Decimal("199.00"),
            refund_reference="RF20261203001",
        )
        services.complaint_dispute(complaint_id=complaint.pk, by=complaint.consumer, reason="并没有收到退款")
        services.complaint_escalate(complaint_id=complaint.pk, by=complaint.consumer, reason="平台不处理")
    return complaint


def accepted_for_mediation(at: datetime) -> Complaint:
    complaint = escalated_complaint(at)
    with time_machine.travel(at, tick=False):
        desk.complaint_accept_for_mediation(complaint_id=complaint.pk, by=RegulatorFactory())
    return complaint


def clock(complaint: Complaint, kind: str) -> Deadline:
    return complaint.deadlines.get(kind=kind)


@pytest.fixture
def spring_festival_2027():
    """The 2027 Spring Festival as a regulator enters it while ``holidays`` only guesses 2027 (Feb 5–10, no
    make-up days): every day from Fri Feb 5 to Sun Feb 14 off, and Sat Feb 20 a make-up working day. Set day by
    day, so the test does not change when a later ``holidays`` release knows the official schedule."""
    for offset in range(10):
        CalendarException.objects.create(date=date(2027, 2, 5) + timedelta(days=offset), is_working_day=False)
    CalendarException.objects.create(date=date(2027, 2, 20), is_working_day=True, note="春节调休上班")
    clear_exceptions_cache()
    yield
    clear_exceptions_cache()


# --- editions ----------------------------------------------------------------------------------------------


def test_order_20_governs_until_the_end_of_2026_04_14_beijing_time():
    assert rulebook.edition_in_force(shanghai(2026, 4, 14, 23, 59, 59)).code == "order20"


def test_order_121_governs_from_2026_04_15_beijing_time_even_while_it_is_still_the_14th_in_utc():
    assert rulebook.edition_in_force(shanghai(2026, 4, 15, 0, 0)).code == "order121"


def test_no_edition_before_the_first_one():
    with pytest.raises(RuleEdition.DoesNotExist):
        rulebook.edition_in_force(shanghai(2019, 6, 1))


def test_order_121_cites_itself():
    edition = rulebook.edition_in_force(shanghai(2026, 12, 3))
    assert (edition.citation, edition.abbreviation) == ("国家市场监督管理总局令第121号", "令第121号")
    rule = rulebook.clock_rule(ClockKind.MEDIATION, shanghai(2026, 12, 3))
    assert (rule.length, rule.unit, rule.citation) == (60, "calendar_days", "令第121号第二十三条第一款第（五）项")
    assert rule.citation_en == "SAMR Order 121, Art. 23(1)(5)"


def test_the_platform_side_clocks_are_not_the_law_s():
    with pytest.raises(ClockRule.DoesNotExist):
        rulebook.clock_rule(ClockKind.FIRST_RESPONSE, shanghai(2026, 12, 3))


def test_a_new_edition_is_a_row_and_every_caller_follows_it():
    order121 = RuleEdition.objects.get(code="order121")
    order121.effective_until = date(2029, 12, 31)
    order121.save()
    later = RuleEdition.objects.create(
        code="order999",
        title="假想的新办法",
        title_en="A later edition",
        citation="国家市场监督管理总局令第999号",
        abbreviation="令第999号",
        abbreviation_en="SAMR Order 999",
        effective_from=date(2030, 1, 1),
    )
    ClockRule.objects.create(
        edition=later,
        kind=ClockKind.MEDIATION,
        length=30,
        unit="calendar_days",
        counting="article_45",
        article="第二十条",
        article_en="Art. 20",
    )
    rulebook.clear_cache()  # in a test the commit that clears it never comes
    try:
        assert build_clock(None, ClockKind.MEDIATION, shanghai(2029, 12, 31, 10)).edition_id == "order121"
        started_later = build_clock(None, ClockKind.MEDIATION, shanghai(2030, 3, 2, 10))
        assert (started_later.edition_id, started_later.article) == ("order999", "令第999号第二十条")
        assert started_later.due_at == end_of(2030, 4, 1)
    finally:
        rulebook.clear_cache()


def test_the_rules_are_read_once_per_process_not_per_clock(django_assert_num_queries):
    complaints = [escalated_complaint(shanghai(2026, 12, 3, 10)) for _ in range(3)]
    compute_due(ClockKind.MEDIATION, shanghai(2026, 12, 3))  # the rules and the calendar exceptions, read
    with django_assert_num_queries(1):  # the one INSERT … ON CONFLICT
        start_clocks_of(complaints, [ClockKind.MEDIATION, ClockKind.CLUE_CHECK], shanghai(2026, 12, 3, 11))


# --- grounds -----------------------------------------------------------------------------------------------


def test_order_121_has_seven_refusal_and_eight_termination_grounds():
    at = shanghai(2026, 12, 3)
    assert [g.code for g in rulebook.grounds(GroundKind.REFUSAL, at)] == [f"art16_{n}" for n in range(1, 8)]
    assert [g.code for g in rulebook.grounds(GroundKind.TERMINATION, at)] == [f"art23_{n}" for n in range(1, 9)]


def test_a_ground_carries_its_article_and_text_in_both_languages():
    ground = rulebook.ground("art16_3", kind=GroundKind.REFUSAL, at=shanghai(2026, 12, 3))
    assert (ground.code, ground.kind, ground.edition.code) == ("art16_3", "refusal", "order121")
    assert ground.citation == "令第121号第十六条第（三）项"
    assert ground.text_zh.startswith("不是为生活消费需要购买")
    with translation.override("en"):
        assert ground.text == ground.text_en
    with translation.override("zh-hans"):
        assert ground.text == ground.text_zh


@pytest.mark.parametrize(
    ("code", "kind", "at"),
    [
        ("art16_9", GroundKind.REFUSAL, shanghai(2026, 12, 3)),  # no such item
        ("art23_1", GroundKind.REFUSAL, shanghai(2026, 12, 3)),  # a termination ground, not a refusal one
        ("art16_1", GroundKind.REFUSAL, shanghai(2026, 4, 14, 12)),  # Order 20 had no coded grounds
    ],
)
def test_an_unknown_or_out_of_force_ground_is_a_validation_error_on_the_ground_field(code, kind, at):
    with pytest.raises(ValidationError) as raised:
        rulebook.ground(code, kind=kind, at=at)
    assert list(raised.value.message_dict) == ["ground"]


# --- mediation: 60 days from acceptance (Art. 23(1)(5)), counted per Art. 45, paused by tests (Art. 22) ------


def test_mediation_accepted_on_2026_12_03_ends_on_2027_02_01():
    mediation = clock(accepted_for_mediation(shanghai(2026, 12, 3, 10)), ClockKind.MEDIATION)
    assert mediation.due_at == end_of(2027, 2, 1)
    assert (mediation.edition_id, mediation.article) == ("order121", "令第121号第二十三条第一款第（五）项")
    explanation = mediation.explanation
    assert (explanation["days"], explanation["counting_from"], explanation["last_day"]) == (
        60,
        "2026-12-04",
        "2027-02-01",
    )
    assert (explanation["citation_en"], explanation["counting"]) == ("SAMR Order 121, Art. 23(1)(5)", "article_45")


def test_a_ten_day_test_pauses_mediation_and_pushes_its_end_by_exactly_ten_days():
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    pause_clocks(complaint, [ClockKind.MEDIATION], shanghai(2026, 12, 10, 9))
    resume_clocks(complaint, [ClockKind.MEDIATION], shanghai(2026, 12, 20, 9))
    mediation = clock(complaint, ClockKind.MEDIATION)
    assert mediation.due_at == end_of(2027, 2, 1) + timedelta(days=10) == end_of(2027, 2, 11)
    assert mediation.explanation["pauses"][0]["seconds"] == 10 * 24 * 3600
    assert mediation.edition_id == "order121"


def test_a_clock_started_before_2026_04_15_keeps_order_20_and_says_so():
    complaint = accepted_for_mediation(shanghai(2026, 3, 3, 10))
    mediation = clock(complaint, ClockKind.MEDIATION)
    # 45 working days, same time of day; Sat May 9 is a make-up workday and counts.
    assert mediation.due_at == shanghai(2026, 5, 9, 10)
    assert (mediation.edition_id, mediation.article) == ("order20", "令第20号第二十一条")
    assert mediation.explanation["working_days"] == 45
    assert mediation.explanation["citation_en"] == "SAMR Order 20, Art. 21"
    # Paused and resumed under Order 121, it still follows the edition it started under.
    pause_clocks(complaint, [ClockKind.MEDIATION], shanghai(2026, 4, 10, 10))
    resume_clocks(complaint, [ClockKind.MEDIATION], shanghai(2026, 4, 20, 10))
    mediation.refresh_from_db()
    assert (mediation.edition_id, mediation.due_at) == ("order20", shanghai(2026, 5, 19, 10))


def test_a_60th_day_on_a_statutory_holiday_moves_to_the_first_working_day_after_it():
    due_at, explanation = compute_due(ClockKind.MEDIATION, shanghai(2026, 8, 2, 15))
    assert due_at == end_of(2026, 10, 8)  # day 60 is Oct 1, National Day; Oct 1–7 are off
    assert explanation["skipped"][0]["date"] == "2026-10-01"
    assert explanation["last_day"] == "2026-10-08"


def test_a_60th_day_on_a_make_up_saturday_stays_there():
    due_at, explanation = compute_due(ClockKind.MEDIATION, shanghai(2026, 8, 11, 15))
    assert due_at == end_of(2026, 10, 10)  # Sat Oct 10 is a 调休 working day
    assert explanation["skipped"] == []


def test_a_60th_day_on_new_year_s_day_moves_past_the_weekend_after_it():
    due_at, explanation = compute_due(ClockKind.MEDIATION, shanghai(2026, 11, 2, 15))
    assert due_at == end_of(2027, 1, 4)  # Fri Jan 1 holiday, Sat 2 and Sun 3 weekend
    assert [day["date"] for day in explanation["skipped"]] == ["2027-01-01", "2027-01-02", "2027-01-03"]


def test_a_60th_day_in_the_spring_festival_moves_past_the_regulator_s_days_off(spring_festival_2027):
    due_at, _explanation = compute_due(ClockKind.MEDIATION, shanghai(2026, 12, 8, 15))
    assert due_at == end_of(2027, 2, 15)  # day 60 is Sat Feb 6; off until Sun Feb 14 with the exceptions


# --- the regulator's working-day clocks --------------------------------------------------------------------


def test_the_acceptance_decision_is_due_seven_working_days_after_the_office_receives_it():
    acceptance = clock(escalated_complaint(shanghai(2026, 12, 3, 10)), ClockKind.REGULATOR_ACCEPTANCE)
    # Art. 45: Dec 3 not counted; Dec 4, 7, 8, 9, 10, 11, 14.
    assert acceptance.due_at == end_of(2026, 12, 14)
    assert (acceptance.edition_id, acceptance.article) == ("order121", "令第121号第十五条")


def test_a_make_up_saturday_counts_as_a_working_day():
    due_at, explanation = compute_due(ClockKind.REGULATOR_ACCEPTANCE, shanghai(2026, 5, 7, 10))
    # May 8, Sat 9 (调休), 11, 12, 13, 14, 15; Sun May 10 is skipped.
    assert due_at == end_of(2026, 5, 15)
    assert explanation["skipped"] == [{"date": "2026-05-10", "reason": "weekend"}]


def test_a_working_day_clock_crosses_the_year_end_holiday():
    due_at, explanation = compute_due(ClockKind.REGULATOR_ACCEPTANCE, shanghai(2026, 12, 28, 10))
    assert due_at == end_of(2027, 1, 7)  # Dec 29, 30, 31, Jan 4, 5, 6, 7
    assert [day["date"] for day in explanation["skipped"]] == ["2027-01-01", "2027-01-02", "2027-01-03"]


def test_the_termination_notice_is_due_seven_working_days_after_the_decision(spring_festival_2027):
    complaint = accepted_for_mediation(shanghai(2027, 1, 20, 10))
    start_clocks(complaint, [ClockKind.TERMINATION_NOTICE], shanghai(2027, 2, 3, 16))
    notice = clock(complaint, ClockKind.TERMINATION_NOTICE)
    # Feb 4, then the Spring Festival (Feb 5–14 off, exceptions included), then Feb 15, 16, 17, 18, 19, Sat 20.
    assert notice.due_at == end_of(2027, 2, 20)
    assert (notice.edition_id, notice.article) == ("order121", "令第121号第二十三条第二款")


def test_a_violation_clue_is_checked_within_fifteen_working_days():
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    start_clocks(complaint, [ClockKind.CLUE_CHECK], shanghai(2026, 12, 4, 10))
    check = clock(complaint, ClockKind.CLUE_CHECK)
    assert check.due_at == end_of(2026, 12, 25)
    assert check.article == "令第121号第二十七条"


def test_the_clue_check_extends_once_by_fifteen_working_days_with_a_recorded_approval():
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    start_clocks(complaint, [ClockKind.CLUE_CHECK], shanghai(2026, 12, 4, 10))
    extended = extend_clue_check(
        complaint, approved_by="王局长", approval="审批单 2026-118", at=shanghai(2026, 12, 20, 9)
    )
    # 15 more working days after Fri Dec 25: Dec 28–31, Jan 4–8, Jan 11–15, Jan 18 (Jan 1 off).
    assert extended.due_at == end_of(2027, 1, 18)
    extension = clock(complaint, ClockKind.CLUE_CHECK).explanation["extension"]
    assert (extension["approved_by"], extension["approval"], extension["working_days"]) == (
        "王局长",
        "审批单 2026-118",
        15,
    )
    assert extension["previous_due"] == end_of(2026, 12, 25).isoformat()


def test_a_second_extension_of_the_clue_check_is_refused():
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    start_clocks(complaint, [ClockKind.CLUE_CHECK], shanghai(2026, 12, 4, 10))
    extend_clue_check(complaint, approved_by="王局长", approval="审批单 1", at=shanghai(2026, 12, 20, 9))
    with pytest.raises(IllegalTransition):
        extend_clue_check(complaint, approved_by="王局长", approval="审批单 2", at=shanghai(2027, 1, 10, 9))
    assert clock(complaint, ClockKind.CLUE_CHECK).due_at == end_of(2027, 1, 18)


def test_an_extension_without_the_approval_is_refused():
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    start_clocks(complaint, [ClockKind.CLUE_CHECK], shanghai(2026, 12, 4, 10))
    with pytest.raises(ValidationError) as raised:
        extend_clue_check(complaint, approved_by=" ", approval="审批单 1", at=shanghai(2026, 12, 20, 9))
    assert list(raised.value.message_dict) == ["approved_by"]


def test_there_is_no_clue_check_to_extend_before_one_starts():
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    with pytest.raises(IllegalTransition):
        extend_clue_check(complaint, approved_by="王局长", approval="审批单 1", at=shanghai(2026, 12, 20, 9))


# --- the sweep ---------------------------------------------------------------------------------------------


def test_a_missed_regulator_clock_is_recorded_but_is_no_platform_breach():
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    start_clocks(complaint, [ClockKind.CLUE_CHECK], shanghai(2026, 12, 4, 10))
    result = deadlines_sweep(now=shanghai(2027, 2, 2, 9))
    assert result.breached == 2  # the clue check and mediation
    complaint.refresh_from_db()
    assert (complaint.status, complaint.is_overdue) == (Status.ACCEPTED, False)
    assert complaint.events.filter(kind=EventKind.DEADLINE_BREACHED).count() == 2


def test_the_regulators_are_reminded_of_the_clue_check(mailoutbox, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    start_clocks(complaint, [ClockKind.CLUE_CHECK], shanghai(2026, 12, 4, 10))
    result = deadlines_sweep(now=end_of(2026, 12, 25) - timedelta(hours=1))
    assert result.reminded == 1
    assert clock(complaint, ClockKind.CLUE_CHECK).reminded_at is not None


# --- API and pages -----------------------------------------------------------------------------------------


def test_the_rulebook_api_lists_the_editions_for_anyone(client):
    response = client.get(reverse("complaints_api:rulebook"))
    assert response.status_code == 200
    order20, order121 = response.json()
    assert (order20["code"], order20["effective_until"], order20["grounds"]) == ("order20", "2026-04-14", [])
    assert (order121["code"], order121["effective_from"], order121["in_force"]) == ("order121", "2026-04-15", True)
    mediation = next(rule for rule in order121["clocks"] if rule["kind"] == "mediation")
    assert mediation == {
        "kind": "mediation",
        "length": 60,
        "unit": "calendar_days",
        "counting": "article_45",
        "paused_by": "appraisal",
        "extension_length": 0,
        "article": "第二十三条第一款第（五）项",
        "article_en": "Art. 23(1)(5)",
        "citation": "令第121号第二十三条第一款第（五）项",
        "citation_en": "SAMR Order 121, Art. 23(1)(5)",
    }
    assert len(order121["grounds"]) == 15
    assert set(order121["grounds"][0]) == {
        "code",
        "kind",
        "article",
        "article_en",
        "citation",
        "citation_en",
        "text_zh",
        "text_en",
    }
    assert {notice["title"] for notice in order121["notice_templates"]} == {
        "不予受理告知书",
        "受理告知书",
        "终止调解告知书",
    }


def test_the_rulebook_api_costs_no_query_once_the_rules_are_read(client, django_assert_max_num_queries):
    client.get(reverse("complaints_api:rulebook"))
    with django_assert_max_num_queries(0):
        assert client.get(reverse("complaints_api:rulebook")).status_code == 200


def test_a_complaint_s_clocks_in_the_api_carry_edition_article_and_explanation(client):
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    client.force_login(complaint.consumer)
    deadlines = client.get(reverse("complaints_api:complaint-detail", args=[complaint.pk])).json()["deadlines"]
    by_kind = {row["kind"]: row for row in deadlines}
    mediation = by_kind["mediation"]
    assert mediation["due_at"] == end_of(2027, 2, 1).isoformat()
    assert (mediation["edition"], mediation["article"]) == ("order121", "令第121号第二十三条第一款第（五）项")
    assert mediation["explanation"]["last_day"] == "2027-02-01"
    assert (by_kind["first_response"]["edition"], by_kind["first_response"]["article"]) == (None, "")


def test_the_detail_page_names_the_article_in_chinese_and_english(client):
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    client.force_login(complaint.consumer)
    url = reverse("complaints:complaint-detail", args=[complaint.pk])
    chinese = client.get(url, headers={"accept-language": "zh-hans"}).content.decode()
    assert "令第121号第二十三条第一款第（五）项" in chinese
    english = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "SAMR Order 121, Art. 23(1)(5) (令第121号第二十三条第一款第（五）项)" in english
    assert "Order 121 Art. 45" in english


def test_the_dossier_names_the_rule_of_each_regulator_clock():
    complaint = accepted_for_mediation(shanghai(2026, 12, 3, 10))
    facts = {row["clock"].kind: row for row in dossier_context(complaint)["clocks"]}
    mediation = facts[ClockKind.MEDIATION]
    assert (mediation["citation"], mediation["last_day"], mediation["whole_days"]) == (
        "令第121号第二十三条第一款第（五）项",
        "2027-02-01",
        True,
    )
    assert facts[ClockKind.FIRST_RESPONSE]["citation"] == ""
