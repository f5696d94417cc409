"""Penalty decisions: issuing (numbering, validation, links), status moves, API, pages and the notice."""

import threading
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from complaints.events import verify_chain
from complaints.models import EventKind
from portal.errors import IllegalTransition
from portal.models import NumberSequence, OutboxMessage
from portal.offices import national_office
from regulation.models import Penalty, PenaltyKind, PenaltyStatus
from regulation.penalties import penalty_issue, penalty_sequence_scope, penalty_set_status, rmb_in_capitals
from tests.factories import PlatformFactory, RegulatorFactory, StaffFactory, file_complaint
from tests.fixtures_roles import client_for, make_api_key
from tests.pdf_reading import compact, pdf_text

pytestmark = [pytest.mark.django_db, pytest.mark.dated]

DECISION = {
    "legal_basis": "《中华人民共和国电子商务法》第七十七条",
    "facts": "当事人收款后未按约定交付虚拟商品。",
    "decision": "警告，并责令立即改正。",
}


def issue(regulator, platform, **overrides):
    fields = {"kind": PenaltyKind.WARNING, **DECISION, **overrides}
    return penalty_issue(by=regulator, platform=platform, **fields)


def year_sequence() -> int:
    """The last number of the national office's series this year (the ``regulator`` fixture's office)."""
    row = NumberSequence.objects.filter(
        scope=penalty_sequence_scope(national_office().pk), year=timezone.localdate().year
    ).first()
    return row.last_value if row else 0


# --- issuing ---------------------------------------------------------------------------------------------


def test_numbers_are_sequential_in_the_official_format(regulator, platform):
    first, second = issue(regulator, platform), issue(regulator, platform)
    year = timezone.localdate().year
    assert (first.number, second.number) == (f"国市监处罚〔{year}〕1号", f"国市监处罚〔{year}〕2号")


def test_failed_issuance_rolls_back_and_does_not_consume_a_number(regulator, platform, complaint):
    issue(regulator, platform)
    with (
        mock.patch("regulation.penalties.link_penalty", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        issue(regulator, platform, complaint_ids=[complaint.pk])
    assert (year_sequence(), Penalty.objects.count()) == (1, 1)
    assert issue(regulator, platform).sequence == 2


def test_appeal_deadline_is_sixty_days_after_the_decision(regulator, platform):
    decided_on = timezone.localdate() - timedelta(days=3)
    penalty = issue(regulator, platform, decided_on=decided_on)
    assert penalty.appeal_deadline == decided_on + timedelta(days=60)


def test_number_counts_per_year_of_the_decision(regulator, platform):
    last_year = timezone.localdate().replace(month=1, day=1) - timedelta(days=1)
    penalty = issue(regulator, platform, decided_on=last_year)
    assert penalty.number == f"国市监处罚〔{last_year.year}〕1号"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": PenaltyKind.FINE}, "fine_amount"),
        ({"kind": PenaltyKind.FINE, "fine_amount": Decimal("0")}, "fine_amount"),
        ({"kind": PenaltyKind.WARNING, "fine_amount": Decimal("100")}, "fine_amount"),
        ({"kind": PenaltyKind.RECTIFICATION}, "rectification_deadline"),
        ({"kind": PenaltyKind.RECTIFICATION, "rectification_deadline": timedelta(0)}, "rectification_deadline"),
        ({"decision": "  "}, "decision"),
        ({"decided_on": timedelta(days=1)}, "decided_on"),
    ],
)
def test_kind_specific_fields_are_validated(regulator, platform, overrides, field):
    # Dates are given as days from today, read when the test runs (collection may be on another day).
    overrides = {
        name: timezone.localdate() + value if isinstance(value, timedelta) else value
        for name, value in overrides.items()
    }
    with pytest.raises(ValidationError) as error:
        issue(regulator, platform, **overrides)
    assert field in error.value.message_dict
    assert year_sequence() == 0


def test_fine_and_rectification_with_their_fields_are_issued(regulator, platform):
    fine = issue(regulator, platform, kind=PenaltyKind.FINE, fine_amount=Decimal("5000"))
    order = issue(
        regulator,
        platform,
        kind=PenaltyKind.RECTIFICATION,
        rectification_deadline=timezone.localdate() + timedelta(days=30),
    )
    assert fine.fine_amount == Decimal("5000") and order.rectification_deadline is not None


@pytest.mark.parametrize("role", ["consumer", "agent", "manager"])
def test_only_regulators_issue(request, platform, role):
    with pytest.raises(PermissionDenied):
        issue(request.getfixturevalue(role), platform)


def test_complaints_of_another_platform_cannot_be_cited(regulator, platform, other_platform):
    foreign = file_complaint(platform=other_platform)
    with pytest.raises(ValidationError) as error:
        issue(regulator, platform, complaint_ids=[foreign.pk])
    assert foreign.reference in error.value.message_dict["complaints"][0]


def test_unknown_complaint_ids_are_a_field_error(regulator, platform):
    with pytest.raises(ValidationError) as error:
        issue(regulator, platform, complaint_ids=[999999])
    assert "complaints" in error.value.message_dict


def test_linked_complaints_get_a_penalty_event_and_their_chain_verifies(regulator, platform):
    complaints = [file_complaint(platform=platform) for _ in range(2)]
    penalty = issue(regulator, platform, complaint_ids=[c.pk for c in complaints])
    assert set(penalty.complaints.all()) == set(complaints)
    for complaint in complaints:
        complaint.refresh_from_db()
        last = complaint.events.order_by("-sequence").first()
        assert (last.kind, last.data["penalty"]) == (EventKind.PENALTY_LINKED, penalty.number)
        assert verify_chain(complaint) is None


def test_platform_staff_are_told_by_email(regulator, platform, agent):
    penalty = issue(regulator, platform)
    message = OutboxMessage.objects.get(template="penalty_issued")
    assert agent.email in message.recipients
    assert message.context["number"] == penalty.number


# --- status ----------------------------------------------------------------------------------------------


def test_status_follows_appeal_then_enforcement(regulator, platform):
    penalty = issue(regulator, platform)
    for status in (PenaltyStatus.APPEALED, PenaltyStatus.UPHELD, PenaltyStatus.PAID):
        penalty = penalty_set_status(by=regulator, penalty_id=penalty.pk, status=status, note="复议维持")
    assert (penalty.status, penalty.status_note) == (PenaltyStatus.PAID, "复议维持")


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ((), PenaltyStatus.UPHELD),
        ((PenaltyStatus.APPEALED,), PenaltyStatus.PAID),
        ((PenaltyStatus.APPEALED, PenaltyStatus.OVERTURNED), PenaltyStatus.PAID),
        ((PenaltyStatus.PAID,), PenaltyStatus.APPEALED),
    ],
)
def test_illegal_status_moves_are_refused(regulator, platform, path, illegal):
    penalty = issue(regulator, platform)
    for status in path:
        penalty_set_status(by=regulator, penalty_id=penalty.pk, status=status)
    with pytest.raises(IllegalTransition):
        penalty_set_status(by=regulator, penalty_id=penalty.pk, status=illegal)


# --- concurrency (PostgreSQL) ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_penalties_issued_at_once_get_distinct_consecutive_numbers():
    regulator, platform = RegulatorFactory(), PlatformFactory()
    barrier = threading.Barrier(2)
    numbers, errors = [], []

    def issue_one():
        try:
            barrier.wait(timeout=10)
            numbers.append(issue(regulator, platform).sequence)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(numbers) == [1, 2]


# --- capital numerals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("5000", "人民币伍仟元整"),
        ("100000", "人民币壹拾万元整"),
        ("10010.50", "人民币壹万零壹拾元伍角"),
        ("1234567.89", "人民币壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("100000001", "人民币壹亿零壹元整"),
        ("3000.05", "人民币叁仟元零伍分"),
    ],
)
def test_fine_in_capital_numerals(amount, text):
    assert rmb_in_capitals(Decimal(amount)) == text


# --- API -------------------------------------------------------------------------------------------------


def api_payload(platform, **overrides):
    return {"platform": platform.slug, "kind": "fine", "fine_amount": "5000.00", **DECISION, **overrides}


def test_regulator_issues_through_the_api(regulator, platform, complaint):
    payload = api_payload(platform, complaints=[complaint.pk])
    response = client_for(regulator).post(reverse("regulation_api:penalty-list"), payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].endswith("〕1号") and body["id"] == Penalty.objects.get().pk
    assert body["complaints"] == [{"id": complaint.pk, "reference": complaint.reference}]


def test_api_field_errors_are_400(regulator, platform):
    response = client_for(regulator).post(
        reverse("regulation_api:penalty-list"), api_payload(platform, fine_amount=None), format="json"
    )
    assert response.status_code == 400
    assert "fine_amount" in response.json()


@pytest.mark.parametrize("role", ["consumer", "agent", "manager"])
def test_api_issuance_is_403_for_everyone_but_regulators(request, platform, role):
    url = reverse("regulation_api:penalty-list")
    response = client_for(request.getfixturevalue(role)).post(url, api_payload(platform), format="json")
    assert response.status_code == 403
    assert not Penalty.objects.exists()


def test_api_list_shows_staff_and_keys_only_their_platform(regulator, platform, other_platform, agent):
    own, foreign = issue(regulator, platform), issue(regulator, other_platform)
    for client in (client_for(agent), client_for(api_key=make_api_key(platform))):
        numbers = [row["number"] for row in client.get(reverse("regulation_api:penalty-list")).json()["results"]]
        assert numbers == [own.number]
    assert client_for(regulator).get(reverse("regulation_api:penalty-list")).json()["count"] == 2
    assert foreign.pk


def test_api_list_is_403_for_consumers(consumer):
    assert client_for(consumer).get(reverse("regulation_api:penalty-list")).status_code == 403


def test_api_detail_of_another_platform_is_404(regulator, platform, other_platform, agent):
    foreign = issue(regulator, other_platform)
    assert client_for(agent).get(reverse("regulation_api:penalty-detail", args=[foreign.pk])).status_code == 404
    assert client_for(agent).get(reverse("regulation_api:penalty-notice", args=[foreign.pk])).status_code == 404


def test_api_list_query_count_does_not_grow(regulator, platform, django_assert_max_num_queries):
    for _ in range(5):
        issue(regulator, platform, complaint_ids=[file_complaint(platform=platform).pk])
    with django_assert_max_num_queries(6):
        assert client_for(regulator).get(reverse("regulation_api:penalty-list")).status_code == 200


# --- the notice ------------------------------------------------------------------------------------------


def test_notice_is_a_pdf_with_the_number_and_chinese_text(regulator, platform, complaint):
    penalty = issue(
        regulator, platform, kind=PenaltyKind.FINE, fine_amount=Decimal("5000"), complaint_ids=[complaint.pk]
    )
    response = client_for(regulator).get(reverse("regulation_api:penalty-notice", args=[penalty.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = compact(pdf_text(response.content))
    for expected in (
        "行政处罚决定书",
        penalty.number,
        platform.name,
        complaint.reference,
        "人民币伍仟元整",
        "行政复议",
        "六个月",
    ):
        assert compact(expected) in text


# --- pages -----------------------------------------------------------------------------------------------


def test_penalty_list_page_shows_staff_only_their_own(client, regulator, platform, other_platform, agent):
    own, foreign = issue(regulator, platform), issue(regulator, other_platform)
    client.force_login(agent)
    page = client.get(reverse("regulation:penalty-list")).content.decode()
    assert own.number in page and foreign.number not in page


def test_penalty_list_page_is_403_for_consumers(client, consumer):
    client.force_login(consumer)
    assert client.get(reverse("regulation:penalty-list")).status_code == 403


def test_penalty_list_page_query_count_does_not_grow(client, regulator, platform, django_assert_max_num_queries):
    for _ in range(5):
        issue(regulator, platform, complaint_ids=[file_complaint(platform=platform).pk])
    client.force_login(regulator)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("regulation:penalty-list")).status_code == 200


def test_penalty_pages_of_another_platform_are_404(client, regulator, other_platform, agent):
    foreign = issue(regulator, other_platform)
    client.force_login(agent)
    assert client.get(reverse("regulation:penalty-detail", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("regulation:penalty-notice", args=[foreign.pk])).status_code == 404


def test_issuance_page_is_prefilled_from_selected_complaints(client, regulator, platform):
    complaints = [file_complaint(platform=platform) for _ in range(2)]
    client.force_login(regulator)
    url = f"{reverse('regulation:penalty-new')}?complaints={','.join(str(c.pk) for c in complaints)}"
    form = client.get(url).context["form"]
    assert form.initial["platform"] == platform.slug
    assert set(form.fields["complaints"].queryset) == set(complaints)


def test_issuance_page_issues_and_redirects_to_the_decision(client, regulator, platform, complaint):
    client.force_login(regulator)
    response = client.post(
        f"{reverse('regulation:penalty-new')}?complaints={complaint.pk}",
        {
            "platform": platform.slug,
            "kind": "warning",
            "decided_on": timezone.localdate().isoformat(),
            "complaints": [complaint.pk],
            **DECISION,
        },
    )
    penalty = Penalty.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("regulation:penalty-detail", args=[penalty.pk])
    assert list(penalty.complaints.all()) == [complaint]


def test_issuance_page_shows_service_errors_on_the_fields(client, regulator, platform):
    client.force_login(regulator)
    response = client.post(
        reverse("regulation:penalty-new"),
        {
            "platform": platform.slug,
            "kind": "fine",
            "decided_on": timezone.localdate().isoformat(),
            **DECISION,
        },
    )
    assert response.status_code == 200
    assert "fine_amount" in response.context["form"].errors


def test_issuance_page_is_403_for_platform_staff(client, agent):
    client.force_login(agent)
    assert client.get(reverse("regulation:penalty-new")).status_code == 403


def test_staff_of_the_platform_see_the_decision(client, regulator, platform):
    penalty = issue(regulator, platform)
    client.force_login(StaffFactory(platform=platform))

    response = client.get(reverse("regulation:penalty-detail", args=[penalty.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for shown in (penalty.number, DECISION["legal_basis"], DECISION["facts"], DECISION["decision"], platform.name):
        assert shown in html, f"the decision page does not show {shown}"



@pytest.mark.parametrize("amount", ["10000000.01", "99999999999", "1e15"])
def test_api_fine_beyond_the_plausible_maximum_is_400_naming_it(regulator, platform, amount):
    response = client_for(regulator).post(
        reverse("regulation_api:penalty-list"),
        api_payload(platform, fine_amount=amount),
        format="json",
        headers={"accept-language": "en"},
    )

    assert response.status_code == 400
    assert response.json()["fine_amount"] == ["The amount cannot exceed 10,000,000 yuan."]
    assert not Penalty.objects.exists()


def test_service_refuses_a_fine_beyond_the_plausible_maximum(regulator, platform, settings):
    settings.PORTAL_FINE_MAX = 1000

    with pytest.raises(ValidationError) as refused:
        issue(regulator, platform, kind=PenaltyKind.FINE, fine_amount=Decimal("1000.01"))

    assert "fine_amount" in refused.value.message_dict
