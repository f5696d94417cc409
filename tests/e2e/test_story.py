"""The whole life of one complaint, clicked through in a real browser by the four kinds of people who touch it.

Each step saves a full-page screenshot to docs/screenshots/NN-step.png (shown in the README). Texts are
compared with Django's own translations, so the test reads the same in both catalogues.
"""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image, ImageDraw

from complaints import services
from complaints.calendar import SHANGHAI
from complaints.models import ClockKind, Complaint, Finding, Status
from complaints.sweep import deadlines_sweep
from portal.roles import make_regulator
from regulation.models import Penalty
from regulation.notices import notices_issue_pending
from tests.e2e.conftest import PHONE, login, screenshot
from tests.factories import (
    DEFAULT_PASSWORD,
    ConsumerFactory,
    PlatformFactory,
    RegulatorFactory,
    StaffFactory,
    file_complaint,
)
from tests.pdf_reading import compact, pdf_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CONSUMER_PASSWORD = "Kameng-story-2026!"


def zh(text) -> str:
    """A message (source text or lazy label) as the zh-hans pages show it."""
    with translation.override("zh-hans"):
        return translation.gettext(str(text))


def order_screenshot_png() -> dict:
    """A small 'phone screenshot' of the order page."""
    image = Image.new("RGB", (360, 240), "#f4f6f9")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 360, 40), fill="#0b5cad")
    draw.text((12, 12), "Order DK202611240042", fill="white")
    draw.text((12, 70), "Status: awaiting delivery", fill="#1a1f29")
    draw.text((12, 100), "Paid: 198.00 CNY", fill="#1a1f29")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"name": "order-screenshot.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def payment_voucher_pdf() -> dict:
    """A one-page PDF payment voucher (no scripts, no actions: what the upload check accepts)."""
    image = Image.new("RGB", (595, 420), "white")
    draw = ImageDraw.Draw(image)
    draw.text((40, 40), "Payment voucher - Alipay", fill="black")
    draw.text((40, 80), "Transaction 2026112422001412345678901234", fill="black")
    draw.text((40, 110), "Amount 198.00 CNY - Success", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PDF")
    return {"name": "payment-voucher.pdf", "mimeType": "application/pdf", "buffer": buffer.getvalue()}


def local_input(moment) -> str:
    """A moment as a ``datetime-local`` input takes it, in Beijing time."""
    return timezone.localtime(moment, SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def test_a_complaint_from_filing_to_penalty(new_page, live_server):
    now = timezone.now()
    platform = PlatformFactory(name="星辰卡盟", slug="xingchen")
    agent = StaffFactory(platform=platform, username="xingchen-agent", first_name="小王")
    regulator = RegulatorFactory(username="samr-officer")
    make_regulator(regulator)
    page = new_page()

    # a. A consumer registers and is logged in straight away.
    page.goto("/accounts/register/")
    page.locator("#id_username").fill("li-ming")
    page.locator("#id_email").fill("li.ming@example.cn")
    page.locator("#id_password1").fill(CONSUMER_PASSWORD)
    page.locator("#id_password2").fill(CONSUMER_PASSWORD)
    screenshot(page, "01-register")
    page.locator("main form button[type=submit]").click()
    # A new consumer lands on their own (empty) list of complaints, where filing starts.
    page.wait_for_url(f"{live_server.url}{reverse('complaints:complaint-list')}")
    assert page.locator(".nav-username").inner_text() == "li-ming"
    assert page.locator(".alert-success").is_visible()
    screenshot(page, "02-registered-home")

    # b. The guided filing: step 1 asks whether the money was taken, then the form.
    page.get_by_role("navigation", name=zh("Main navigation")).locator("a[href='/complaints/new/']").click()
    page.locator("#paid-yes").check()
    screenshot(page, "03-filing-step-1")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/complaints/new/?paid=yes")

    paid_at = now - timedelta(days=1, hours=2)
    page.locator("#id_platform").select_option(label="星辰卡盟")
    page.locator("#id_order_number").fill("DK202611240042")
    page.locator("#id_paid_at").fill(local_input(paid_at))
    page.locator("#id_amount").fill("198.00")
    page.locator("#id_payment_channel").select_option("alipay")
    page.locator("#id_payment_reference").fill("2026112422001412345678901234")
    page.locator("#id_product_name").fill("腾讯视频VIP年卡")
    page.locator("#id_problem").select_option("card_key_missing")
    page.locator("#id_platform_order_status").select_option("awaiting_delivery")
    page.locator("#id_support_agent_id").fill("KF-0371")
    page.locator("#id_support_contacted_at").fill(local_input(paid_at + timedelta(hours=1)))
    page.locator("#id_support_promise").fill("客服承诺24小时内核查库存并补发卡密")
    page.locator("#id_support_promised_by").fill(local_input(paid_at + timedelta(hours=25)))
    page.locator("#id_evidence_files").set_input_files([order_screenshot_png()])
    page.locator("#id_evidence_kind").select_option("order_screenshot")
    page.locator("#id_description").fill("付款成功后订单一直显示待发货，客服承诺24小时内补发，至今未收到卡密。")
    page.locator("input[name=desired_outcome][value=refund]").check()
    page.locator("#id_publish_consent").check()
    screenshot(page, "04-filing-form")
    page.locator("form.filing-form button[type=submit]").click()
    page.wait_for_url("**/complaints/*/")

    complaint = Complaint.objects.get(consumer__username="li-ming")
    assert complaint.reference.startswith("KM-")
    assert complaint.platform == platform and complaint.status == Status.AWAITING_PLATFORM
    assert page.locator("h1").inner_text() == complaint.reference
    assert complaint.reference in page.locator(".alert-success").first.inner_text()
    screenshot(page, "05-complaint-filed")

    # The payment voucher is added on the detail page, as a different kind of evidence (the XHR uploader).
    upload = page.locator("form.js-xhr-upload")
    upload.locator("input[type=file]").set_input_files([payment_voucher_pdf()])
    upload.locator("select[name=evidence_kind]").select_option("payment_voucher")
    upload.locator("button[type=submit]").click()
    page.wait_for_function("() => document.querySelectorAll('.evidence-table tbody tr').length === 2")
    page.reload()
    evidence = list(complaint.evidence.order_by("pk"))
    assert [item.kind for item in evidence] == ["order_screenshot", "payment_voucher"]
    table = page.locator(".evidence-table")
    for item in evidence:
        assert len(item.sha256) == 64
        assert table.locator("code.hash-full", has_text=item.sha256).count() == 1
        assert table.locator("summary code").get_by_text(f"{item.sha256[:12]}…").count() == 1
    table.locator("details.hash summary").first.click()
    assert table.locator("code.hash-full").first.is_visible()
    screenshot(page, "06-evidence-fingerprints")

    # The dossier PDF, from the button on the detail page.
    with page.expect_download() as download_info:
        page.locator(f"a[href='/complaints/{complaint.pk}/dossier.pdf']").click()
    dossier = download_info.value
    with open(dossier.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # c. The platform's agent answers: first "in progress" with a promised date, then "refunded".
    login(page, agent.username, DEFAULT_PASSWORD)
    page.goto("/complaints/inbox/")
    row = page.locator("tr.inbox-row", has_text=complaint.reference)
    assert row.count() == 1
    screenshot(page, "07-platform-inbox")
    row.locator("a.js-row-link").click()
    page.wait_for_url(f"**/complaints/{complaint.pk}/respond/")
    page.locator("input[name=outcome][value=in_progress]").check()
    page.locator("#id_promised_by").fill(local_input(timezone.now() + timedelta(hours=20)))
    page.locator("#id_message").fill("已联系上游供应商核查库存，预计明天补发卡密。")
    screenshot(page, "08-platform-answer-in-progress")
    page.locator("form.js-outcome-form button[type=submit]").click()
    page.wait_for_url(f"**/complaints/{complaint.pk}/")
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_PLATFORM
    assert complaint.responses.get().outcome == "in_progress"

    page.goto(f"/complaints/{complaint.pk}/respond/")
    page.locator("input[name=outcome][value=refunded]").check()
    page.locator("#id_refund_amount").fill("198.00")
    page.locator("#id_refund_reference").fill("RF2026112500123")
    page.locator("#id_message").fill("上游缺货无法补发，已原路全额退款。")
    page.locator("form.js-outcome-form button[type=submit]").click()
    page.wait_for_url(f"**/complaints/{complaint.pk}/")
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER
    refund = complaint.responses.get(outcome="refunded")
    assert refund.refund_amount == Decimal("198.00") and refund.refund_reference == "RF2026112500123"
    screenshot(page, "09-platform-refunded")

    # d. The consumer has not received the refund and disputes the answer.
    login(page, "li-ming", CONSUMER_PASSWORD)
    page.goto(f"/complaints/{complaint.pk}/")
    assert page.locator(".response").count() == 2
    dispute = page.locator(f"form[action='/complaints/{complaint.pk}/dispute/']")
    dispute.locator("textarea[name=reason]").fill("支付宝账单中查不到这笔退款，退款单号也查询不到。")
    screenshot(page, "10-consumer-disputes")
    dispute.locator("button[type=submit]").click()
    page.wait_for_url(f"**/complaints/{complaint.pk}/")
    complaint.refresh_from_db()
    assert complaint.status == Status.DISPUTED

    # e. Thirty days later the platform has still not answered again: the sweep escalates the complaint.
    result = deadlines_sweep(now=timezone.now() + timedelta(days=30))
    assert result.escalated == 1
    complaint.refresh_from_db()
    assert complaint.status == Status.ESCALATED and complaint.is_overdue
    page.reload()
    assert page.locator(".status-line .badge-escalated").inner_text() == zh(Status.ESCALATED.label)
    escalated = page.locator(".timeline-item.is-alert", has_text=zh(complaint.events.last().get_kind_display()))
    assert escalated.count() == 1
    explanation = zh("Escalated automatically: the “%(clock)s” deadline was missed.") % {
        "clock": zh(ClockKind.HARD_LIMIT.label)
    }
    assert escalated.locator(".timeline-body").inner_text() == explanation
    screenshot(page, "11-consumer-sees-escalation")
    phone = new_page(viewport=PHONE, context=page.context)
    phone.goto(f"/complaints/{complaint.pk}/")
    assert phone.locator(".nav-toggle").is_visible()
    screenshot(phone, "12-consumer-on-a-phone", full_page=False)
    phone.close()

    # f. The regulator takes it up in the admin, closes it as upheld and penalises the platform.
    login(page, regulator.username, DEFAULT_PASSWORD)
    page.goto(f"/admin/complaints/complaint/{complaint.pk}/change/")
    assert page.locator("#content h2", has_text=complaint.reference).count() == 1
    run_admin_action(page, complaint, "accept_for_mediation", screenshot_name="13-regulator-admin-action")
    complaint.refresh_from_db()
    assert complaint.status == Status.ACCEPTED
    run_admin_action(page, complaint, "close_with_finding")
    page.locator("select[name=finding]").select_option(Finding.UPHELD)
    page.locator("textarea[name=note]").fill("平台未能证明已退款，投诉成立。")
    screenshot(page, "14-regulator-close-upheld")
    page.locator("input[name=apply]").click()
    page.wait_for_load_state()
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.finding == Finding.UPHELD

    page.goto(f"/penalties/new/?complaints={complaint.pk}")
    assert page.locator("#id_platform").input_value() == "xingchen"
    assert page.locator(f"input[name=complaints][value='{complaint.pk}']").is_checked()
    assert page.locator("#id_decided_on").input_value() == timezone.localdate().isoformat()
    page.locator("#id_kind").select_option("fine")
    page.locator("#id_fine_amount").fill("5000")
    page.locator("#id_facts").fill("该平台收款后未发货，亦未在规定期限内处理消费者投诉。")
    page.locator("#id_legal_basis").fill("《网络交易监督管理办法》第五十二条")
    page.locator("#id_decision").fill("罚款人民币伍仟元，并责令改正。")
    screenshot(page, "15-regulator-penalty-form")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/penalties/*/")
    penalty = Penalty.objects.get(platform=platform)
    assert list(penalty.complaints.all()) == [complaint]
    assert penalty.number in page.locator("h1").inner_text()
    screenshot(page, "16-penalty-issued")
    notice = page.request.get(page.locator(f"a[href='/penalties/{penalty.pk}/notice.pdf']").get_attribute("href"))
    assert notice.status == 200
    assert notice.headers["content-type"] == "application/pdf"
    assert notice.body()[:5] == b"%PDF-"

    # g. Anyone can see the penalty on the platform's public scorecard.
    page.context.clear_cookies()
    page.goto("/platforms/xingchen/")
    assert page.locator(".nav-username").count() == 0
    assert page.locator("section[aria-labelledby=penalties-title]").get_by_text(penalty.number).count() == 1
    screenshot(page, "17-public-scorecard")


def test_the_case_desk_from_triage_to_the_termination_notice(new_page, live_server):
    """The regulator's chapter: forward a triaged complaint, accept it, pause mediation for a test, terminate it on
    an Order 121 ground; the consumer downloads the termination notice from the complaint page."""
    platform = PlatformFactory(name="星辰卡盟", slug="xingchen")
    agent = StaffFactory(platform=platform)
    regulator = RegulatorFactory(username="samr-desk")
    make_regulator(regulator)
    consumer = ConsumerFactory(username="wang-fang")
    complaint = file_complaint(consumer, False, unregistered_platform_name="星辰卡盟")
    assert complaint.status == Status.TRIAGE
    page = new_page()
    login(page, regulator.username, DEFAULT_PASSWORD)

    # a. Forwarded from the admin to the registered platform: its clocks start.
    run_admin_action(page, complaint, "forward")
    page.locator("select[name=platform]").select_option(str(platform.pk))
    page.locator("input[name=apply]").click()
    page.wait_for_load_state()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.platform) == (Status.AWAITING_PLATFORM, platform)
    assert complaint.deadlines.filter(kind=ClockKind.FIRST_RESPONSE, met_at=None).exists()

    # b. The platform's answer is disputed and the consumer escalates (the consumer's chapter clicks these).
    services.complaint_respond(
        complaint_id=complaint.pk, by=agent, outcome="refunded", message="已退款。",
        refund_amount=Decimal("199.00"), refund_reference="RF-DESK-1",
    )
    services.complaint_dispute(complaint_id=complaint.pk, by=consumer, reason="没有收到退款")
    services.complaint_escalate(complaint_id=complaint.pk, by=consumer, reason="平台不处理")

    # c. Accepted, both parties consent to mediation, an appraisal pauses the 60-day period.
    run_admin_action(page, complaint, "accept_for_mediation")
    run_admin_action(page, complaint, "record_mediation_consent")
    page.locator("input[name=parties][value=consumer]").check()
    page.locator("input[name=parties][value=platform]").check()
    page.locator("input[name=apply]").click()
    page.wait_for_load_state()
    run_admin_action(page, complaint, "start_testing")
    page.locator("textarea[name=note]").fill("送第三方机构检测账号充值记录")
    page.locator("input[name=apply]").click()
    page.wait_for_load_state()
    complaint.refresh_from_db()
    assert complaint.status == Status.TESTING
    assert complaint.deadlines.get(kind=ClockKind.MEDIATION).paused_at is not None
    run_admin_action(page, complaint, "end_testing")
    page.locator("input[name=apply]").click()
    page.wait_for_load_state()

    # d. Mediation is terminated on a ground of Art. 23; the form asks for the ground, not just words.
    run_admin_action(page, complaint, "terminate_mediation")
    page.locator("select[name=ground]").select_option("art23_3")
    page.locator("textarea[name=reason]").fill("平台明确表示不接受调解方案。")
    screenshot(page, "18-regulator-terminates-mediation")
    page.locator("input[name=apply]").click()
    page.wait_for_load_state()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.finding) == (Status.CLOSED, Finding.TERMINATED)

    # e. Beat issues the notice; the consumer finds it on the complaint page and downloads the PDF.
    assert notices_issue_pending() == 2  # the acceptance and the termination notices
    login(page, consumer.username, DEFAULT_PASSWORD)
    page.goto(f"/complaints/{complaint.pk}/")
    links = page.locator(".timeline-link")
    assert links.count() == 2
    screenshot(page, "19-consumer-sees-the-notices")
    notice = page.request.get(links.last.get_attribute("href"))
    assert notice.status == 200 and notice.headers["content-type"] == "application/pdf"
    text = compact(pdf_text(notice.body()))
    assert "终止调解告知书" in text and "art23_3" in text and "第三十九条" in text


def run_admin_action(page, complaint: Complaint, action: str, *, screenshot_name: str = "") -> None:
    """Tick the complaint in the admin change list and run one of its actions."""
    page.goto(f"/admin/complaints/complaint/?q={complaint.reference}")
    page.locator(f"input[name=_selected_action][value='{complaint.pk}']").check()
    page.locator("select[name=action]").select_option(action)
    if screenshot_name:
        screenshot(page, screenshot_name)
    page.locator("button[name=index]").click()
    page.wait_for_load_state()
