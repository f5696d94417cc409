"""The message thread in Chromium: a consumer asks with a screenshot, the platform's agent answers on the thread,
both see the whole exchange and the complaint's status does not move; at 390 px too; axe in both languages."""

import io

import pytest
from PIL import Image, ImageDraw

from complaints.models import Message, Status
from complaints.thread import message_post
from tests.e2e.conftest import PHONE, duplicate_ids, horizontal_overflow, log_in_as, run_axe, screenshot
from tests.e2e.test_accessibility import PHONE_RULES, format_violations
from tests.factories import ConsumerFactory, PlatformFactory, StaffFactory, file_complaint, image_upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUESTION = "订单页面一直显示待发货，截图如下。请再查一下，卡密什么时候能补发？"
ANSWER = "已核实：上游补货中，今晚 20:00 前补发到订单页面，请留意站内信。"


def order_page_png() -> dict:
    image = Image.new("RGB", (360, 240), "#f4f6f9")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 360, 40), fill="#0b5cad")
    draw.text((12, 12), "Order DK202612030042", fill="white")
    draw.text((12, 70), "Status: awaiting delivery", fill="#1a1f29")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"name": "order-page.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def test_consumer_asks_with_a_screenshot_and_the_platform_answers_on_the_thread(new_page, live_server):
    platform = PlatformFactory(name="星辰卡盟", slug="xingchen-thread")
    consumer = ConsumerFactory(username="thread-consumer")
    agent = StaffFactory(platform=platform, username="thread-agent")
    complaint = file_complaint(consumer, platform)
    page_url = f"/complaints/{complaint.pk}/"

    # The consumer asks, with a screenshot of the order page.
    page = new_page()
    log_in_as(page.context, consumer, live_server.url)
    page.goto(page_url)
    form = page.locator("form.thread-form")
    form.locator("#thread_body").fill(QUESTION)
    form.locator("#thread_files").set_input_files([order_page_png()])
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**{page_url}#thread")
    asked = page.locator(".thread-message")
    assert asked.count() == 1
    assert QUESTION in asked.first.inner_text()
    assert asked.first.locator("img.evidence-thumb").count() == 1
    assert page.locator(".evidence-table", has_text="order-page.png").count() == 1  # evidence like any other
    screenshot(page, "thread-1-consumer-asks-with-a-screenshot")

    # The agent reads it on the answer page and answers on the thread.
    staff = new_page()
    log_in_as(staff.context, agent, live_server.url)
    staff.goto(f"/complaints/{complaint.pk}/respond/")
    assert QUESTION in staff.locator("#thread").inner_text()
    staff.locator("form.thread-form #thread_body").fill(ANSWER)
    staff.locator("form.thread-form button[type=submit]").click()
    staff.wait_for_url(f"**/complaints/{complaint.pk}/respond/#thread")
    assert staff.locator(".thread-message").count() == 2
    screenshot(staff, "thread-2-platform-answers-on-the-thread")

    # The consumer sees both, in order; the complaint still waits for the platform's answer.
    page.goto(page_url)
    bodies = page.locator(".thread-message .thread-body").all_inner_texts()
    assert [body.strip() for body in bodies] == [QUESTION, ANSWER]
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_PLATFORM
    assert list(Message.objects.order_by("pk").values_list("party", flat=True)) == ["consumer", "platform"]

    # On a phone the thread fits the screen.
    phone = new_page(viewport=PHONE, context=page.context)
    phone.goto(page_url + "#thread")
    assert horizontal_overflow(phone) == 0
    phone.locator("#thread").scroll_into_view_if_needed()
    screenshot(phone, "thread-3-consumer-on-a-phone", full_page=False)
    staff_phone = new_page(viewport=PHONE, context=staff.context)
    staff_phone.goto(f"/complaints/{complaint.pk}/respond/#thread")
    assert horizontal_overflow(staff_phone) == 0


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_thread_pages_have_no_serious_axe_violations(new_page, live_server, language):
    platform = PlatformFactory(name="星辰卡盟", slug=f"xingchen-axe-{language}")
    consumer = ConsumerFactory(username=f"axe-consumer-{language}")
    agent = StaffFactory(platform=platform, username=f"axe-agent-{language}")
    complaint = file_complaint(consumer, platform)
    message_post(complaint_id=complaint.pk, by=consumer, body=QUESTION, files=[image_upload("截图.png")])
    message_post(complaint_id=complaint.pk, by=agent, body=ANSWER)

    desktop = new_page(language=language, axe=True)
    phone = new_page(viewport=PHONE, context=desktop.context)
    problems: dict[str, list] = {}
    for user, path in [(consumer, f"/complaints/{complaint.pk}/"), (agent, f"/complaints/{complaint.pk}/respond/")]:
        log_in_as(desktop.context, user, live_server.url)
        # The page as it comes back with an error next to the message, too.
        for submit_empty in (False, True):
            desktop.goto(path)
            if submit_empty:
                desktop.locator("form.thread-form button[type=submit]").click()
                desktop.wait_for_load_state()
                assert desktop.locator("#thread .errorlist").count() == 1
            where = f"{user.username} {path}{' (error)' if submit_empty else ''}"
            found = run_axe(desktop)
            if duplicates := duplicate_ids(desktop):
                found.append({"id": "duplicate ids", "impact": "serious", "help": "", "nodes": duplicates})
            if found:
                problems[where] = found
        phone.goto(path)
        assert horizontal_overflow(phone) == 0, path
        if found := run_axe(phone, PHONE_RULES):
            problems[f"{user.username} {path} (390 px)"] = found
    assert not problems, format_violations(problems)
