"""A platform's downloads: its inbox (as filtered and searched) and its statistics, as CSV and XLSX, on the web
and in the API — content, the formula guard, scoping to the caller's platform, and who may download."""

import csv
import io
import zipfile
from datetime import datetime
from xml.etree import ElementTree

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from complaints.calendar import SHANGHAI
from complaints.platform_stats import platform_statistics
from portal.models import AccessLog
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint
from tests.fixtures_roles import client_for, make_api_key

pytestmark = pytest.mark.django_db

SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def zh(text: str) -> str:
    """A message as the pages and files show it by default (zh-hans)."""
    with translation.override("zh-hans"):
        return translation.gettext(text)


def csv_table(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def xlsx_table(response) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"} <= set(archive.namelist())
        root = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314 - written by the test itself
    table = []
    for row in root.iter(f"{SHEET}row"):
        cells = []
        for cell in row.iter(f"{SHEET}c"):
            text = cell.find(f"{SHEET}is/{SHEET}t")
            value = cell.find(f"{SHEET}v")
            cells.append(text.text if text is not None else value.text)
        table.append(cells)
    return table


@pytest.fixture
def inbox(db):
    jisu, other = PlatformFactory(slug="jisu"), PlatformFactory(slug="other")
    complaints = {
        "card": file_complaint(ConsumerFactory(), jisu, order_number="DK0001", product_name="王者荣耀 648 点券"),
        "formula": file_complaint(
            ConsumerFactory(), jisu, order_number="=cmd|' /C calc'!A0", product_name="@SUM(1+1)*cmd"
        ),
        "others": file_complaint(ConsumerFactory(), other, order_number="OT9999", product_name="别家的商品"),
    }
    return {"platform": jisu, "other": other, "complaints": complaints, "agent": StaffFactory(platform=jisu)}


# --- the inbox -----------------------------------------------------------------------------------------------


def test_inbox_csv_lists_the_platform_s_complaints_with_their_identifiers(client, inbox):
    client.force_login(inbox["agent"])
    response = client.get(reverse("complaints:inbox-export"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="complaints-jisu-')
    table = csv_table(response)
    references = {row[0] for row in table[1:]}
    assert references == {inbox["complaints"]["card"].reference, inbox["complaints"]["formula"].reference}
    card = next(row for row in table if row[0] == inbox["complaints"]["card"].reference)
    assert card[3] == "王者荣耀 648 点券" and card[4] == "199.00" and card[5] == "DK0001"
    assert card[7] == inbox["complaints"]["card"].payment_reference


def test_inbox_export_never_contains_another_platform_s_complaints(client, inbox):
    client.force_login(inbox["agent"])
    for file_format, read in (("csv", csv_table), ("xlsx", xlsx_table)):
        response = client.get(reverse("complaints:inbox-export"), {"format": file_format, "q": "OT9999"})
        table = read(response)
        assert table[1:] == [], file_format
        assert inbox["complaints"]["others"].reference not in str(table)


def test_inbox_export_follows_the_search_and_filters(client, inbox):
    client.force_login(inbox["agent"])
    response = client.get(
        reverse("complaints:inbox-export"), {"format": "csv", "q": "王者", "status": "awaiting_platform"}
    )
    assert [row[0] for row in csv_table(response)[1:]] == [inbox["complaints"]["card"].reference]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_inbox_export_quotes_text_a_spreadsheet_would_run(client, inbox, file_format):
    client.force_login(inbox["agent"])
    response = client.get(reverse("complaints:inbox-export"), {"format": file_format})
    table = csv_table(response) if file_format == "csv" else xlsx_table(response)
    row = next(row for row in table if row[0] == inbox["complaints"]["formula"].reference)
    assert row[5] == "'=cmd|' /C calc'!A0"
    assert row[3] == "'@SUM(1+1)*cmd"
    assert not any(str(cell).startswith(("=", "+", "-", "@")) for line in table for cell in line if cell)


def test_inbox_xlsx_has_the_same_cells_as_the_csv(client, inbox):
    client.force_login(inbox["agent"])
    url = reverse("complaints:inbox-export")
    from_csv = csv_table(client.get(url, {"format": "csv"}))
    from_xlsx = xlsx_table(client.get(url, {"format": "xlsx"}))
    assert len(from_xlsx) == len(from_csv)
    for csv_row, xlsx_row in zip(from_csv, from_xlsx, strict=True):
        assert [cell for cell in csv_row if cell] == [cell for cell in xlsx_row if cell]


def test_inbox_export_is_recorded_in_the_access_log(client, inbox):
    client.force_login(inbox["agent"])
    client.get(reverse("complaints:inbox-export"), {"format": "xlsx", "q": "王者"})
    entry = AccessLog.objects.get(action="inbox_export")
    assert entry.object_id == str(inbox["platform"].pk) and entry.detail == "xlsx q=王者"


def test_inbox_export_of_an_unknown_format_does_not_exist(client, inbox):
    client.force_login(inbox["agent"])
    assert client.get(reverse("complaints:inbox-export"), {"format": "pdf"}).status_code == 404


def test_inbox_page_links_to_the_exports_with_its_filters(client, inbox):
    client.force_login(inbox["agent"])
    page = client.get(reverse("complaints:inbox-list"), {"q": "王者", "status": "awaiting_platform"}).content.decode()
    assert "/complaints/inbox/export/?q=%E7%8E%8B%E8%80%85&amp;status=awaiting_platform&amp;format=csv" in page
    assert "format=xlsx" in page


@pytest.mark.parametrize("role", ["consumer", "regulator"])
def test_web_exports_are_for_platform_staff_only(client, inbox, role, regulator):
    user = {"consumer": inbox["complaints"]["card"].consumer, "regulator": regulator}[role]
    client.force_login(user)
    for name in (
        "complaints:inbox-export",
        "complaints:workspace-statistics-export",
        "complaints:workspace-statistics",
    ):
        assert client.get(reverse(name), {"format": "csv"}).status_code == 403, name


def test_api_inbox_export_as_csv_and_xlsx(inbox):
    key = make_api_key(inbox["platform"])
    api = client_for(api_key=key)
    as_csv = api.get("/api/v1/platform/complaints/export/", {"format": "csv", "q": "DK0001"})
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    assert [row[0] for row in csv_table(as_csv)[1:]] == [inbox["complaints"]["card"].reference]
    as_xlsx = api.get("/api/v1/platform/complaints/export/", {"format": "xlsx"})
    assert as_xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert len(xlsx_table(as_xlsx)) == 3


def test_api_inbox_export_answers_consumers_403_in_json(inbox):
    consumer = inbox["complaints"]["card"].consumer
    response = client_for(consumer).get("/api/v1/platform/complaints/export/", {"format": "xlsx"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json" and "detail" in response.json()


def test_api_inbox_export_refuses_a_bad_filter_in_json(inbox):
    response = client_for(inbox["agent"]).get("/api/v1/platform/complaints/export/", {"status": "nonsense"})
    assert response.status_code == 400 and "status" in response.json()


def test_api_inbox_export_of_another_platform_s_agent_lists_only_theirs(inbox):
    other_agent = StaffFactory(platform=inbox["other"])
    response = client_for(other_agent).get("/api/v1/platform/complaints/export/", {"format": "csv"})
    assert [row[0] for row in csv_table(response)[1:]] == [inbox["complaints"]["others"].reference]


# --- the statistics ------------------------------------------------------------------------------------------


@pytest.fixture
def history(db):
    """A platform with complaints in November and December 2026, one of them against another platform."""
    platform = PlatformFactory(slug="jisu")
    other = PlatformFactory()
    with time_machine.travel(datetime(2026, 11, 10, 10, tzinfo=SHANGHAI), tick=False):
        file_complaint(ConsumerFactory(), platform, product_name="=1+1")
        file_complaint(ConsumerFactory(), platform, problem="wrong_item")
        file_complaint(ConsumerFactory(), other)
    with time_machine.travel(datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        file_complaint(ConsumerFactory(), platform)
    return {"platform": platform, "agent": StaffFactory(platform=platform)}


def test_statistics_count_each_month_of_the_platform_only(history):
    now = datetime(2026, 12, 15, 12, tzinfo=SHANGHAI)
    statistics = platform_statistics(history["agent"], months=3, now=now)
    assert [(f.month.isoformat(), f.filed) for f in statistics.by_month] == [
        ("2026-10-01", 0),
        ("2026-11-01", 2),
        ("2026-12-01", 1),
    ]
    assert statistics.total.filed == 3
    assert {value: count for value, _label, count in statistics.by_problem}["wrong_item"] == 1


def test_statistics_are_empty_for_anyone_who_is_not_platform_staff(history, regulator):
    statistics = platform_statistics(regulator, months=3, now=datetime(2026, 12, 15, tzinfo=SHANGHAI))
    assert statistics.total.filed == 0


def test_statistics_take_two_queries_whatever_the_data(history, django_assert_num_queries):
    with django_assert_num_queries(2):
        platform_statistics(history["agent"], months=12, now=datetime(2026, 12, 15, tzinfo=SHANGHAI))


@time_machine.travel(datetime(2026, 12, 15, 12, tzinfo=SHANGHAI), tick=False)
def test_statistics_page_shows_the_months_and_links_the_exports(client, history):
    client.force_login(history["agent"])
    response = client.get(reverse("complaints:workspace-statistics"), {"months": 3})
    page = response.content.decode()
    assert response.status_code == 200
    assert "2026-11" in page and "2026-12" in page
    assert "/workspace/statistics/export/?months=3&amp;format=xlsx" in page


@time_machine.travel(datetime(2026, 12, 15, 12, tzinfo=SHANGHAI), tick=False)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_statistics_export_has_a_row_per_month_and_the_total(client, history, file_format):
    client.force_login(history["agent"])
    response = client.get(reverse("complaints:workspace-statistics-export"), {"months": 3, "format": file_format})
    table = csv_table(response) if file_format == "csv" else xlsx_table(response)
    assert [row[0] for row in table[1:]] == ["2026-10", "2026-11", "2026-12", zh("Total")]
    assert [str(row[1]) for row in table[1:]] == ["0", "2", "1", "3"]


@time_machine.travel(datetime(2026, 12, 15, 12, tzinfo=SHANGHAI), tick=False)
def test_api_statistics_as_json_and_as_a_file(history):
    api = client_for(history["agent"])
    body = api.get("/api/v1/platform/statistics/", {"months": 3}).json()
    assert [month["filed"] for month in body["by_month"]] == [0, 2, 1]
    assert body["total"]["filed"] == 3 and body["total"]["month"] is None
    as_xlsx = api.get("/api/v1/platform/statistics/", {"months": 3, "format": "xlsx"})
    assert [row[0] for row in xlsx_table(as_xlsx)[1:]] == ["2026-10", "2026-11", "2026-12", zh("Total")]


def test_api_statistics_refuse_an_unknown_window(history):
    response = client_for(history["agent"]).get("/api/v1/platform/statistics/", {"months": 7})
    assert response.status_code == 400 and "months" in response.json()


def test_api_statistics_are_403_for_consumers(history):
    response = client_for(ConsumerFactory()).get("/api/v1/platform/statistics/", {"format": "csv"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/platform/complaints/export/", "/api/v1/platform/statistics/"])
def test_api_download_of_an_unknown_format_is_a_json_404(inbox, path):
    response = client_for(inbox["agent"]).get(path, {"format": "("})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and "detail" in response.json()
