"""Hypothesis fills the main web forms (filing, the platform's answer, dispute, penalty decision) with hostile
text through the test client: never a server error, and a form refused with errors comes back with what the
person typed still in it.

The fields are read from the rendered form page itself (every ``input``, ``textarea`` and ``select`` with a
name), so a field added to a form is fuzzed without a line here.
"""

import html
import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.services import complaint_respond
from portal.roles import make_regulator
from tests.factories import ConsumerFactory, PlatformFactory, RegulatorFactory, StaffFactory, file_complaint

pytestmark = [pytest.mark.slow]

MAX_EXAMPLES = 15
HOSTILE = ['<script>alert("km")</script>', '"><img src=x onerror=alert(1)>', "' OR 1=1 --", "%00", "𠮷" * 300,
           "-1", "1e309", "9" * 40, "2026-02-30", "١٢٣", "\u202eRTL", ""]  # fmt: skip
# Printable text, as a person can type it: the "input kept" check compares it with the re-rendered form.
TYPED = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=200)
FIELD = re.compile(r"<(input|textarea|select)\b[^>]*\bname=\"([^\"]+)\"[^>]*>", re.S)
SKIPPED_TYPES = ("hidden", "file", "submit", "checkbox", "radio")


def form_fields(page: str, action: str) -> dict[str, list[str]]:
    """{field name: its option values (empty for free text)} of the page's form that posts to ``action``."""
    forms = re.findall(r"<form\b([^>]*)>(.*?)</form>", page, re.S)
    page = next(
        body for attributes, body in forms
        if re.search(rf'action="({re.escape(action)})?"', attributes) or "action=" not in attributes
    )  # fmt: skip
    fields = {}
    for match in FIELD.finditer(page):
        tag, name = match.groups()
        kind = re.search(r'\btype="([^"]+)"', match.group(0))
        if name == "csrfmiddlewaretoken" or (tag == "input" and kind and kind.group(1) in SKIPPED_TYPES):
            continue
        options = []
        if tag == "select":
            block = page[match.end() : page.index("</select>", match.end())]
            options = [value for value in re.findall(r'<option value="([^"]*)"', block) if value]
        fields[name] = options
    return fields


def values_for(fields: dict[str, list[str]]):
    return st.fixed_dictionaries({
        name: st.one_of(st.sampled_from(options), TYPED) if options else st.one_of(st.sampled_from(HOSTILE), TYPED)
        for name, options in fields.items()
    })  # fmt: skip


def fuzz_form(client, page_url: str, post_url: str, *, keeps_input: bool) -> None:
    page = client.get(page_url)
    assert page.status_code == 200
    fields = form_fields(page.content.decode(), post_url)
    assert fields, f"no form fields found on {page_url}"

    @given(data=values_for(fields))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def never_a_server_error_and_the_input_kept(data):
        response = client.post(post_url, data)
        assert response.status_code < 500, data
        if response.status_code == 200 and keeps_input:  # the form again, with its errors
            text = response.content.decode()
            assert 'class="errorlist' in text or "error" in text, "a refused form without an error message"
            for name, value in data.items():
                if value.strip() and not fields[name] and "\x00" not in value and "%00" not in value:
                    assert (
                        html.escape(value.strip(), quote=True) in text
                        or html.escape(value.strip(), quote=False) in text
                    ), f"{name} lost what was typed: {value!r}"

    never_a_server_error_and_the_input_kept()


@pytest.fixture
def platform(db):
    return PlatformFactory()


@pytest.mark.django_db
def test_filing_form_survives_fuzzing_and_keeps_the_input(client, platform, settings):
    settings.THROTTLE_FILING = "100000/hour"
    client.force_login(ConsumerFactory())
    url = reverse("complaints:complaint-new")
    fuzz_form(client, f"{url}?paid=yes", url, keeps_input=True)  # past the "was the payment taken?" question


@pytest.mark.django_db
def test_answer_form_survives_fuzzing_and_keeps_the_input(client, platform):
    complaint = file_complaint(platform=platform)
    client.force_login(StaffFactory(platform=platform))
    url = reverse("complaints:respond-complaint", args=[complaint.pk])
    fuzz_form(client, url, url, keeps_input=True)


@pytest.mark.django_db
def test_dispute_form_survives_fuzzing(client, platform):
    complaint = file_complaint(platform=platform)
    complaint_respond(complaint_id=complaint.pk, by=StaffFactory(platform=platform), outcome="refunded",
                      message="已全额退款", refund_amount="199.00", refund_reference="RF-1")  # fmt: skip
    client.force_login(complaint.consumer)
    # The dispute form lives on the detail page and posts to its action, which redirects back with a message.
    fuzz_form(client, reverse("complaints:complaint-detail", args=[complaint.pk]),
              reverse("complaints:complaint-dispute", args=[complaint.pk]), keeps_input=False)  # fmt: skip


@pytest.mark.django_db
def test_penalty_form_survives_fuzzing_and_keeps_the_input(client, platform):
    regulator = RegulatorFactory()
    make_regulator(regulator)
    file_complaint(platform=platform)
    client.force_login(regulator)
    url = reverse("regulation:penalty-new")
    fuzz_form(client, url, url, keeps_input=True)
