"""Text search on every complaint list (complaints/search.py): what a term matches, that a search never widens
what a role sees, and the search on each list — consumer's page and API, platform inbox page and API, the desk
queue API, the complaint admin. Runs on SQLite and on PostgreSQL (where the search indexes exist)."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.urls import reverse

from complaints.search import SEARCH_TERM_MAX_LENGTH, complaints_matching, search_term
from complaints.selectors import complaints_visible_to
from portal.roles import make_regulator
from tests.factories import ConsumerFactory, PlatformFactory, RegulatorFactory, StaffFactory, file_complaint
from tests.fixtures_roles import client_for
from tests.offices import build_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(db):
    """Two platforms, two consumers, four complaints with distinct identifiers and products."""
    jisu = PlatformFactory(name="极速卡盟", slug="jisu")
    xingyou = PlatformFactory(name="星游点卡", slug="xingyou")
    alice, bob = ConsumerFactory(), ConsumerFactory()
    complaints = {
        "alice_jisu": file_complaint(
            alice,
            jisu,
            order_number="DK2026112500991",
            payment_reference="2026112522001400000000000001",
            product_name="腾讯视频VIP年卡",
        ),
        "alice_xingyou": file_complaint(
            alice,
            xingyou,
            order_number="XY778899",
            payment_reference="4200001234567890000000000002",
            product_name="Steam 钱包 200 元",
        ),
        "bob_jisu": file_complaint(
            bob,
            jisu,
            order_number="DK2026112500123",
            payment_reference="2026112522001400000000000003",
            product_name="王者荣耀 648 点券",
        ),
        "bob_xingyou": file_complaint(
            bob,
            xingyou,
            order_number="XY112233",
            payment_reference="4200001234567890000000000004",
            product_name="原神创世结晶 6480",
        ),
    }
    return {
        "platforms": {"jisu": jisu, "xingyou": xingyou},
        "consumers": {"alice": alice, "bob": bob},
        "complaints": complaints,
        "agent_jisu": StaffFactory(platform=jisu),
        "regulator": _regulator(),
    }


def _regulator():
    user = RegulatorFactory()
    make_regulator(user)
    return user


def found(user, term) -> set[str]:
    return set(complaints_matching(complaints_visible_to(user), term, user=user).values_list("reference", flat=True))


def refs(market, *names) -> set[str]:
    return {market["complaints"][name].reference for name in names}


# --- what a term matches ------------------------------------------------------------------------------------


def test_empty_term_leaves_the_list_as_it_is(market):
    regulator = market["regulator"]
    assert found(regulator, "") == found(regulator, "   ") == refs(market, *market["complaints"])


def test_reference_matches_exactly_and_by_its_start_in_any_case(market):
    complaint = market["complaints"]["bob_jisu"]
    regulator = market["regulator"]
    assert found(regulator, complaint.reference) == {complaint.reference}
    assert found(regulator, complaint.reference.lower()) == {complaint.reference}
    assert complaint.reference in found(regulator, complaint.reference[:-2])


def test_order_number_matches_by_its_start_not_its_middle(market):
    regulator = market["regulator"]
    assert found(regulator, "DK20261125009") == refs(market, "alice_jisu")
    assert found(regulator, "dk202611250") == refs(market, "alice_jisu", "bob_jisu")
    assert found(regulator, "2611250099") == set()


def test_payment_reference_matches_by_its_start(market):
    assert found(market["regulator"], "42000012345678900000000000") == refs(market, "alice_xingyou", "bob_xingyou")
    assert found(market["regulator"], "4200001234567890000000000004") == refs(market, "bob_xingyou")


def test_product_name_matches_anywhere_in_any_letter_case(market):
    regulator = market["regulator"]
    assert found(regulator, "视频") == refs(market, "alice_jisu")
    assert found(regulator, "steam") == refs(market, "alice_xingyou")
    assert found(regulator, "创世结晶") == refs(market, "bob_xingyou")


def test_platform_name_matches_for_consumers_and_regulators(market):
    assert found(market["regulator"], "星游") == refs(market, "alice_xingyou", "bob_xingyou")
    assert found(market["consumers"]["alice"], "极速") == refs(market, "alice_jisu")


def test_platform_staff_are_not_matched_on_their_own_platform_name(market):
    # Every complaint they see is against their platform: the name would match all of them.
    assert found(market["agent_jisu"], "极速") == set()


def test_unregistered_platform_name_matches(market):
    complaint = file_complaint(
        market["consumers"]["alice"],
        False,
        unregistered_platform_name="黑心卡铺",
        unregistered_platform_url="https://x.example.cn",
    )
    assert found(market["regulator"], "黑心") == {complaint.reference}


def test_like_wildcards_are_taken_literally(market):
    assert found(market["regulator"], "%") == set()
    assert found(market["regulator"], "_") == set()


def test_term_is_cleaned_of_control_characters_and_cut_to_length():
    assert search_term(" DK\x00 2026\t\n ") == "DK 2026"
    assert len(search_term("9" * 500)) == SEARCH_TERM_MAX_LENGTH


def test_a_term_with_a_nul_character_is_a_search_not_an_error(market):
    assert found(market["regulator"], "DK2026112500991\x00") == refs(market, "alice_jisu")


# --- a search never widens what a role sees ------------------------------------------------------------------


@pytest.mark.parametrize("term", ["DK2026", "XY", "42000012", "2026112522", "卡", "星游", "极速", "KM-", "Steam"])
@pytest.mark.parametrize("role", ["alice", "bob", "agent_jisu", "regulator", "office_regulator"])
def test_search_never_shows_a_complaint_outside_the_role_s_scope(market, role, term):
    if role in market["consumers"]:
        user = market["consumers"][role]
    elif role == "office_regulator":
        # A district office that handles none of these complaints sees none, whatever is searched.
        user = build_tree().regulator("cousin")
    else:
        user = market[role]
    visible = set(complaints_visible_to(user).values_list("reference", flat=True))
    assert found(user, term) <= visible


def test_consumer_finds_only_their_own_complaint_by_another_s_order_number(market):
    alice = market["consumers"]["alice"]
    assert found(alice, "DK2026112500123") == set()  # bob's order number
    assert found(market["consumers"]["bob"], "DK2026112500123") == refs(market, "bob_jisu")


def test_staff_find_nothing_of_another_platform_by_its_identifiers(market):
    other = market["complaints"]["alice_xingyou"]
    agent = market["agent_jisu"]
    for term in (other.reference, other.order_number, other.payment_reference, "Steam"):
        assert found(agent, term) == set(), term


# --- the consumer's list -------------------------------------------------------------------------------------


def test_consumer_list_page_searches_and_keeps_the_term_in_the_box(client, market):
    client.force_login(market["consumers"]["alice"])
    response = client.get(reverse("complaints:complaint-list"), {"status": "all", "q": "steam"})
    assert response.status_code == 200
    assert [c.reference for c in response.context["complaints"]] == [market["complaints"]["alice_xingyou"].reference]
    assert 'value="steam"' in response.content.decode()


def test_consumer_list_page_says_when_nothing_matches(client, market):
    client.force_login(market["consumers"]["alice"])
    response = client.get(reverse("complaints:complaint-list"), {"status": "all", "q": "不存在的商品"})
    page = response.content.decode()
    assert "不存在的商品" in page and 'value="不存在的商品"' in page
    assert list(response.context["complaints"]) == []
    assert response.context["search"] == "不存在的商品"


def test_consumer_list_page_pagination_keeps_the_search(client, market):
    consumer = market["consumers"]["alice"]
    platform = market["platforms"]["jisu"]
    for number in range(26):
        file_complaint(consumer, platform, order_number=f"PG{number:04d}", product_name="爱奇艺黄金会员月卡")
    client.force_login(consumer)
    page = client.get(reverse("complaints:complaint-list"), {"status": "all", "q": "爱奇艺"}).content.decode()
    assert "q=%E7%88%B1%E5%A5%87%E8%89%BA&amp;page=2" in page


def test_consumer_list_api_searches_with_q(market):
    response = client_for(market["consumers"]["bob"]).get("/api/v1/complaints/", {"q": "原神"})
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [market["complaints"]["bob_xingyou"].reference]


def test_api_refuses_an_overlong_term_with_a_field_message(market):
    response = client_for(market["consumers"]["bob"]).get("/api/v1/complaints/", {"q": "9" * 101})
    assert response.status_code == 400
    assert "q" in response.json()


# --- the platform inbox --------------------------------------------------------------------------------------


def test_inbox_page_searches_by_order_number_and_keeps_the_term(client, market):
    client.force_login(market["agent_jisu"])
    response = client.get(reverse("complaints:inbox-list"), {"q": "DK20261125001"})
    assert [c.reference for c in response.context["page"]] == [market["complaints"]["bob_jisu"].reference]
    assert 'value="DK20261125001"' in response.content.decode()


def test_inbox_page_combines_the_search_with_the_filters(client, market):
    client.force_login(market["agent_jisu"])
    response = client.get(reverse("complaints:inbox-list"), {"q": "DK2026", "problem": "wrong_item"})
    assert list(response.context["page"]) == []
    assert "DK2026" in response.content.decode()


def test_inbox_page_says_what_was_searched_when_nothing_matches(client, market):
    client.force_login(market["agent_jisu"])
    page = client.get(reverse("complaints:inbox-list"), {"q": "XY778899"}).content.decode()
    assert "XY778899" in page
    assert market["complaints"]["alice_xingyou"].reference not in page


def test_inbox_page_with_a_search_takes_no_query_more_than_without(client, market, django_assert_max_num_queries):
    platform = market["platforms"]["jisu"]
    client.force_login(market["agent_jisu"])
    url = reverse("complaints:inbox-list")
    client.get(url, {"q": "DK2026"})
    # Seven: session, user, the counts, the header's unread notifications, the platform, the staff, the page.
    with django_assert_max_num_queries(7) as plain:
        client.get(url)
    with django_assert_max_num_queries(7) as few:
        client.get(url, {"q": "DK2026"})
    for number in range(5):
        file_complaint(ConsumerFactory(), platform, order_number=f"DK2026Q{number}")
    with django_assert_max_num_queries(7) as many:
        response = client.get(url, {"q": "DK2026"})
    assert len(response.context["page"]) == 7
    assert len(plain.captured_queries) == len(few.captured_queries) == len(many.captured_queries)


def test_inbox_api_searches_with_q(market, platform_api_key_for):
    key = platform_api_key_for(market["platforms"]["jisu"])
    response = client_for(api_key=key).get("/api/v1/platform/complaints/", {"q": "王者"})
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [market["complaints"]["bob_jisu"].reference]


def test_inbox_api_with_a_search_takes_a_fixed_number_of_queries(market, django_assert_max_num_queries):
    agent = market["agent_jisu"]
    with django_assert_max_num_queries(2):
        response = client_for(agent).get("/api/v1/platform/complaints/", {"q": "DK2026"})
    assert len(response.json()["results"]) == 2


@pytest.fixture
def platform_api_key_for():
    from tests.fixtures_roles import make_api_key

    return make_api_key


# --- the regulator's desk queue and the admin ----------------------------------------------------------------


def test_desk_queue_api_searches_with_q(market):
    regulator = market["regulator"]
    wanted = market["complaints"]["alice_xingyou"]
    url = "/api/v1/regulator/complaints/?" + urlencode([("status", "awaiting_platform"), ("q", "XY7788")])
    response = client_for(regulator).get(url)
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [wanted.reference]


def test_desk_queue_search_stays_within_the_office_scope(market):
    district = build_tree().regulator("cousin")
    url = "/api/v1/regulator/complaints/?" + urlencode([("status", "awaiting_platform"), ("q", "DK2026")])
    response = client_for(district).get(url)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_admin_search_uses_the_list_search(client, market):
    regulator = market["regulator"]
    client.force_login(regulator)
    response = client.get("/admin/complaints/complaint/", {"q": "steam"})
    assert response.status_code == 200
    assert [c.reference for c in response.context["cl"].result_list] == [
        market["complaints"]["alice_xingyou"].reference
    ]


def test_admin_search_by_payment_reference(client, market):
    client.force_login(market["regulator"])
    response = client.get("/admin/complaints/complaint/", {"q": "2026112522001400000000000003"})
    assert [c.reference for c in response.context["cl"].result_list] == [market["complaints"]["bob_jisu"].reference]


# --- PostgreSQL: the indexes the search relies on ------------------------------------------------------------


@pytest.mark.postgres
def test_search_indexes_exist_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'complaints_complaint' "
            "AND indexname IN ('complaint_order_number_prefix', 'complaint_payment_ref_prefix', "
            "'complaint_product_trgm', 'complaint_unregistered_name_trgm')"
        )
        definitions = dict(cursor.fetchall())
    assert set(definitions) == {
        "complaint_order_number_prefix",
        "complaint_payment_ref_prefix",
        "complaint_product_trgm",
        "complaint_unregistered_name_trgm",
    }
    assert "gin_trgm_ops" in definitions["complaint_product_trgm"]
    assert "varchar_pattern_ops" in definitions["complaint_order_number_prefix"]


def search_plan(user, term: str) -> str:
    """The plan of the search with sequential and plain index scans off: what the bitmap indexes can answer."""
    queryset = complaints_matching(complaints_visible_to(user), term, user=user)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return queryset.explain()


@pytest.mark.postgres
def test_product_search_can_use_the_trigram_index(market):
    plan = search_plan(market["regulator"], "腾讯视频")
    assert "complaint_product_trgm" in plan
    assert "complaint_order_number_prefix" in plan and "complaint_payment_ref_prefix" in plan


@pytest.mark.postgres
def test_a_term_too_short_for_trigrams_does_not_read_the_whole_trigram_index(market):
    assert "complaint_product_trgm" not in search_plan(market["regulator"], "原神")


def test_inbox_search_counts_its_matches_only_up_to_a_limit(client, market, monkeypatch):
    from complaints import views_platform

    monkeypatch.setattr(views_platform, "SEARCH_COUNT_LIMIT", 2)
    monkeypatch.setattr(views_platform, "INBOX_PAGE_SIZE", 1)
    for number in range(3):
        file_complaint(ConsumerFactory(), market["platforms"]["jisu"], order_number=f"DK2026C{number}")
    client.force_login(market["agent_jisu"])
    response = client.get(reverse("complaints:inbox-list"), {"q": "DK2026"})
    paginator = response.context["page"].paginator
    assert paginator.count == 3 and paginator.count_is_capped and paginator.num_pages == 2
    assert "“DK2026”" in response.content.decode()  # the note that more complaints match
    last = client.get(reverse("complaints:inbox-list"), {"q": "DK2026", "page": 2})
    assert not last.context["page"].has_next()


def test_inbox_search_below_the_limit_gives_the_exact_count(client, market):
    client.force_login(market["agent_jisu"])
    response = client.get(reverse("complaints:inbox-list"), {"q": "DK2026"})
    assert response.context["page"].paginator.count == 2
    assert not response.context["page"].paginator.count_is_capped
