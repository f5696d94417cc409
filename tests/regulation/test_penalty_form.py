"""The penalty issuance page: the platform chosen from the jurisdiction's platforms, facts drafted from the cited
complaints, a warning for the ones found not upheld, and errors kept with what was typed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Finding
from regulation import desk
from regulation.jurisdiction import complaint_transfer
from regulation.models import Penalty
from regulation.penalty_drafts import penalty_platforms_for
from tests.factories import PlatformFactory, RegulatorFactory, file_complaint
from tests.offices import build_tree, platform_in
from tests.regulation.desk_helpers import escalated_complaint

pytestmark = pytest.mark.django_db

DECISION = {
    "legal_basis": "《中华人民共和国电子商务法》第七十七条",
    "facts": "当事人收款后未按约定交付虚拟商品。",
    "decision": "警告，并责令立即改正。",
}


def new_url(*complaints) -> str:
    url = reverse("regulation:penalty-new")
    return f"{url}?complaints={','.join(str(c.pk) for c in complaints)}" if complaints else url


@pytest.fixture
def tree():
    return build_tree()


def test_the_platform_is_chosen_from_a_grouped_list_of_the_jurisdictions_platforms(client, tree):
    own = platform_in(tree.district_a, name="西湖卡盟")
    neighbour = platform_in(tree.district_b, name="滨江卡盟")
    visiting = PlatformFactory(name="外地卡盟", domicile_code="")
    complaint = file_complaint(platform=visiting)
    complaint_transfer(
        complaint_id=complaint.pk, by=tree.regulator("national"), to_office=tree.district_a, reason="消费者在西湖区"
    )
    client.force_login(tree.regulator("a"))
    client.cookies["django_language"] = "en"

    html = client.get(new_url()).content.decode()

    assert '<select name="platform"' in html
    own_group = html.split(f'<optgroup label="Domiciled in the area of {tree.district_a.short_name}">')[1]
    assert own_group.index(f'value="{own.slug}"') < own_group.index("</optgroup>")
    elsewhere = html.split('<optgroup label="Domiciled elsewhere, complained about here">')[1]
    assert elsewhere.index(f'value="{visiting.slug}"') < elsewhere.index("</optgroup>")
    assert f'value="{own.slug}"' in html and f'value="{visiting.slug}"' in html
    assert f'value="{neighbour.slug}"' not in html


@pytest.mark.parametrize(("reader", "sees"), [("national", True), ("city", True), ("a", True), ("b", False)])
def test_platforms_offered_follow_the_office_scope(tree, reader, sees):
    platform = platform_in(tree.district_a)

    assert (platform in penalty_platforms_for(tree.regulator(reader))) is sees


def test_a_regulator_without_an_office_is_offered_no_platform(tree):
    platform_in(tree.district_a)

    assert not penalty_platforms_for(RegulatorFactory(office=None)).exists()


def test_a_platform_outside_the_jurisdiction_is_a_field_error_and_the_input_is_kept(client, tree):
    neighbour = platform_in(tree.district_b)
    client.force_login(tree.regulator("a"))

    response = client.post(
        new_url(),
        {
            "platform": neighbour.slug,
            "kind": "warning",
            "decided_on": timezone.localdate().isoformat(),
            **DECISION,
        },
    )

    assert response.status_code == 200
    assert "platform" in response.context["form"].errors
    html = response.content.decode()
    assert DECISION["facts"] in html and DECISION["legal_basis"] in html
    assert not Penalty.objects.exists()


def test_facts_are_drafted_from_each_cited_complaint(client, regulator, platform):
    complaints = [file_complaint(platform=platform, product_name=f"点券 {i}") for i in range(2)]
    client.force_login(regulator)

    form = client.get(new_url(*complaints)).context["form"]

    assert form.initial["platform"] == platform.slug
    facts = form.initial["facts"]
    assert platform.name in facts
    for complaint in complaints:
        for shown in (
            complaint.reference,
            complaint.order_number,
            complaint.product_name,
            str(complaint.amount),
            timezone.localtime(complaint.created_at).date().isoformat(),
        ):
            assert shown in facts


def test_facts_of_complaints_about_two_platforms_are_drafted_per_platform(client, regulator, platform, other_platform):
    ours, theirs = file_complaint(platform=platform), file_complaint(platform=other_platform)
    client.force_login(regulator)
    client.cookies["django_language"] = "en"

    form = client.get(new_url(ours, theirs)).context["form"]

    assert "platform" not in form.initial
    first, second = form.initial["facts"].split("\n\n")
    assert first.startswith(f"1 complaint about {platform.name}:") and ours.reference in first
    assert second.startswith(f"1 complaint about {other_platform.name}:") and theirs.reference in second


def test_a_platform_named_by_the_offenders_table_is_preselected(client, regulator, platform):
    client.force_login(regulator)

    form = client.get(f"{reverse('regulation:penalty-new')}?platform={platform.slug}").context["form"]

    assert form.initial["platform"] == platform.slug


def test_a_complaint_closed_not_upheld_is_warned_about_but_may_be_cited(client, regulator, platform):
    not_upheld = escalated_complaint(platform=platform)
    desk.complaint_close(complaint_id=not_upheld.pk, by=regulator, finding=Finding.NOT_UPHELD, note="已发货")
    upheld = file_complaint(platform=platform)
    client.force_login(regulator)
    client.cookies["django_language"] = "en"

    page = client.get(new_url(not_upheld, upheld))

    assert [c.reference for c in page.context["not_upheld"]] == [not_upheld.reference]
    warning = page.content.decode().split('class="alert alert-warning"')[1].split("</div>")[0]
    assert not_upheld.reference in warning and upheld.reference not in warning
    response = client.post(
        new_url(not_upheld, upheld),
        {
            "platform": platform.slug,
            "kind": "warning",
            "decided_on": timezone.localdate().isoformat(),
            "complaints": [not_upheld.pk, upheld.pk],
            **DECISION,
        },
    )
    assert response.status_code == 302
    assert set(Penalty.objects.get().complaints.all()) == {not_upheld, upheld}


def test_no_warning_when_no_cited_complaint_was_found_not_upheld(client, regulator, platform):
    client.force_login(regulator)

    page = client.get(new_url(file_complaint(platform=platform)))

    assert page.context["not_upheld"] == []
    assert "alert-warning" not in page.content.decode()


def test_a_fine_without_an_amount_keeps_the_drafted_facts_and_the_choice(client, regulator, platform):
    complaint = file_complaint(platform=platform)
    client.force_login(regulator)
    facts = client.get(new_url(complaint)).context["form"].initial["facts"]

    response = client.post(
        new_url(complaint),
        {
            "platform": platform.slug,
            "kind": "fine",
            "decided_on": timezone.localdate().isoformat(),
            "complaints": [complaint.pk],
            **DECISION,
            "facts": facts,
        },
    )

    assert response.status_code == 200
    assert "fine_amount" in response.context["form"].errors
    html = response.content.decode()
    assert complaint.reference in html and f'<option value="{platform.slug}" selected>' in html


def page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_platforms_or_cited_complaints(client, regulator, platform):
    client.force_login(regulator)
    few = page_queries(client, new_url(file_complaint(platform=platform)))

    PlatformFactory.create_batch(5)
    many = [file_complaint(platform=platform) for _ in range(4)]

    assert page_queries(client, new_url(*many)) == few


def test_the_complaints_admin_page_opens_the_penalty_form_with_it_cited(client, regulator, complaint):
    client.force_login(regulator)

    html = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()

    assert f'href="{new_url(complaint)}"' in html
