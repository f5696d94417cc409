"""Search and downloads in a real browser: a platform agent finds a complaint in the inbox by its order number and
downloads the list as CSV; a consumer searches their own list. Screenshots go to docs/screenshots/search-*.png."""

import csv
import io

import pytest
from django.utils import translation

from tests.e2e.conftest import login, screenshot
from tests.factories import DEFAULT_PASSWORD, ConsumerFactory, PlatformFactory, StaffFactory, file_complaint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text)


def test_agent_finds_a_complaint_by_order_number_and_downloads_the_list(page):
    platform = PlatformFactory(name="星辰卡盟", slug="xingchen")
    other = PlatformFactory(name="别家卡盟", slug="other")
    agent = StaffFactory(platform=platform, username="xingchen-agent")
    wanted = file_complaint(ConsumerFactory(), platform, order_number="XC202611240042", product_name="腾讯视频VIP年卡")
    for number, product in enumerate(["王者荣耀 648 点券", "网易一卡通 100 元", "Steam 钱包 200 元"]):
        file_complaint(ConsumerFactory(), platform, order_number=f"XC2026113000{number}", product_name=product)
    stranger = file_complaint(ConsumerFactory(), other, order_number="XC202611240043")

    login(page, agent.username, DEFAULT_PASSWORD)
    page.goto("/complaints/inbox/")
    assert page.locator("tr.inbox-row").count() == 4

    page.locator("#id_q").fill("XC2026112400")
    page.locator("#id_q").press("Enter")
    page.wait_for_url("**/complaints/inbox/?q=XC2026112400*")
    rows = page.locator("tr.inbox-row")
    assert rows.count() == 1
    assert rows.first.locator("a.js-row-link").inner_text() == wanted.reference
    assert stranger.reference not in page.content()
    assert page.locator("#id_q").input_value() == "XC2026112400"
    screenshot(page, "search-inbox-by-order-number")

    with page.expect_download() as download_info:
        page.get_by_role("link", name=zh("CSV"), exact=True).click()
    download = download_info.value
    assert download.suggested_filename.startswith("complaints-xingchen-") and download.suggested_filename.endswith(
        ".csv"
    )
    with open(download.path(), encoding="utf-8-sig") as file:
        table = list(csv.reader(io.StringIO(file.read())))
    assert [row[0] for row in table[1:]] == [wanted.reference]
    assert table[1][5] == "XC202611240042"

    page.locator("#id_q").fill("不存在的订单")
    page.locator("#id_q").press("Enter")
    page.wait_for_load_state()
    assert page.locator("tr.inbox-row").count() == 0
    assert "不存在的订单" in page.locator("#inbox-rows").inner_text()


def test_consumer_searches_their_own_complaints(page):
    consumer = ConsumerFactory(username="search-consumer")
    jisu, xingyou = PlatformFactory(name="极速卡盟"), PlatformFactory(name="星游点卡")
    steam = file_complaint(consumer, jisu, product_name="Steam 钱包 200 元")
    file_complaint(consumer, xingyou, product_name="原神创世结晶 6480")
    file_complaint(consumer, jisu, product_name="京东E卡 500 元")
    someone_else = file_complaint(ConsumerFactory(), jisu, product_name="Steam 钱包 100 元")

    login(page, consumer.username, DEFAULT_PASSWORD)
    page.goto("/complaints/?status=all")
    assert page.locator("tbody tr").count() == 3

    page.locator("#id_q").fill("steam")
    page.locator("#id_q").press("Enter")
    page.wait_for_url("**q=steam*")
    assert page.locator("tbody tr").count() == 1
    assert page.locator("tbody tr").first.get_by_role("link").inner_text() == steam.reference
    assert someone_else.reference not in page.content()
    assert page.locator("#id_q").input_value() == "steam"
    screenshot(page, "search-consumer-list")

    page.locator("#id_q").fill("星游")
    page.locator("#id_q").press("Enter")
    page.wait_for_url("**q=*")
    assert page.locator("tbody tr").count() == 1
