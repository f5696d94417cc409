"""A vanished platform (跑路) in the demo data, clicked through in a real browser: the consumer warning with the
payment-channel route on the filing form, a chargeback pack built and downloaded, the joint complaint of three
consumers (SAMR Order 121 Art. 12), and the regulator's alert in the admin.

The data is ``manage.py seed_demo``'s own (regulation/demo_vanishing.py), so the test shows what ``make run``
shows. Screenshots go to docs/screenshots/vanished-*.png and joint-*.png (shown in the README).
"""

import hashlib
import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from complaints.chargeback import MANIFEST
from complaints.models import Complaint, JointComplaint
from platforms.models import Platform
from portal.models import User
from regulation.models import VanishingAlert, VanishingAlertStatus
from tests.e2e.conftest import log_in_as, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def zh(text) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(str(text))


@pytest.fixture
def demo():
    call_command("seed_demo", market_complaints=0, stdout=StringIO())
    return Platform.objects.get(slug="shanchong-kameng")


def consumer_page(new_page, live_server):
    page = new_page()
    log_in_as(page.context, User.objects.get(username="demo-consumer"), live_server.url)
    return page


def test_the_filing_form_warns_of_the_unreachable_platform_with_the_payment_channel_route(new_page, live_server, demo):
    page = consumer_page(new_page, live_server)

    page.goto(f"{reverse('complaints:complaint-new')}?paid=yes&platform={demo.pk}")

    warning = page.locator(".unreachable-warning").first
    warning.wait_for()
    text = warning.inner_text()
    assert "闪充卡盟" in text
    assert demo.unreachable_reference in text
    assert zh("Ask your payment channel first") in text
    assert "交易投诉" in text and "拒付" in text  # the Alipay and the bank-card routes
    screenshot(page, "vanished-1-filing-form-warning")


def test_the_consumer_builds_and_downloads_a_chargeback_pack_whose_manifest_verifies(new_page, live_server, demo):
    mine = Complaint.objects.get(platform=demo, consumer__username="demo-consumer")
    page = consumer_page(new_page, live_server)
    page.goto(reverse("complaints:complaint-detail", args=[mine.pk]))

    page.get_by_role("button", name=zh("Build chargeback pack (ZIP)")).click()
    link = page.get_by_role("link", name=zh("Download the chargeback pack (ZIP)"))
    link.wait_for()
    screenshot(page, "vanished-2-chargeback-pack-ready")
    with page.expect_download() as pending:
        link.click()
    download = pending.value
    with open(download.path(), "rb") as saved:
        archive = zipfile.ZipFile(io.BytesIO(saved.read()))

    manifest = json.loads(archive.read(MANIFEST))
    assert manifest["complaint"] == mine.reference
    assert manifest["platform_unreachable"]["reference"] == demo.unreachable_reference
    assert {entry["path"] for entry in manifest["files"]} == set(archive.namelist()) - {MANIFEST}
    assert len(manifest["payment_vouchers"]) == 1
    for entry in manifest["files"]:
        content = archive.read(entry["path"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["size"]


def test_the_joint_complaint_shows_its_members_and_representatives(new_page, live_server, demo):
    joint = JointComplaint.objects.get(platform=demo)
    page = consumer_page(new_page, live_server)

    page.goto(reverse("complaints:joint-join"))
    page.get_by_role("link", name=joint.title).click()

    assert page.get_by_test_id("member-count").inner_text().strip() == "3"
    facts = page.locator("#joint-facts + p + dl").inner_text()
    assert "张小明" in facts and "买家1" in facts
    assert "买家2" not in facts  # a member, not a representative: no name is shown of them
    screenshot(page, "joint-1-members-and-representatives")


def test_the_regulator_sees_the_alert_in_the_admin(new_page, live_server, demo):
    alert = VanishingAlert.objects.get(status=VanishingAlertStatus.OPEN)
    page = new_page()
    log_in_as(page.context, User.objects.get(username="demo-regulator-xihu"), live_server.url)

    page.goto(reverse("admin:regulation_vanishingalert_changelist"))

    row = page.locator("#result_list tbody tr", has_text=alert.platform.name)
    row.wait_for()
    assert page.locator("#result_list tbody tr").count() == 1  # 闪充卡盟's alert is Binjiang's, not Xihu's
    screenshot(page, "vanished-3-regulator-alert-list")
    row.locator("a").first.click()
    page.wait_for_load_state()
    assert alert.platform.name in page.content()
    screenshot(page, "vanished-4-regulator-alert-evidence")
