"""The per-channel chargeback manifest a regulator sends to a payment channel: rows, scope, audit, CSV safety."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from complaints.models import PaymentChannel, Status
from portal.models import AuditAction, AuditEntry
from tests.factories import PlatformFactory, file_complaint
from tests.offices import build_tree, platform_in

pytestmark = pytest.mark.django_db


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def manifest(client, platform, channel) -> list[list[str]]:
    response = client.get(reverse("regulation:chargeback-manifest-csv", args=[platform.pk, channel]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_manifest_lists_each_affected_order_of_the_channel(regulator, consumer, platform):
    alipay = file_complaint(consumer, platform, order_number="DD1001", amount=Decimal("88.50"),
                            payment_reference="2026112522001400000001")  # fmt: skip
    file_complaint(consumer, platform, order_number="DD1002", payment_channel=PaymentChannel.WECHAT)
    rows = manifest(web_client(regulator), platform, PaymentChannel.ALIPAY)
    assert len(rows) == 2  # header and one order
    reference, order, amount, transaction, paid, channel, platform_name = rows[1]
    assert (reference, order, amount, transaction, channel, platform_name) == (
        alipay.reference, "DD1001", "88.50", "2026112522001400000001", "alipay", platform.name
    )  # fmt: skip
    assert paid[:4].isdigit() and len(paid) == 19


def test_settled_orders_are_left_out(regulator, consumer, platform):
    file_complaint(consumer, platform, order_number="DD2001")
    settled = file_complaint(consumer, platform, order_number="DD2002")
    type(settled).objects.filter(pk=settled.pk).update(status=Status.RESOLVED)
    rows = manifest(web_client(regulator), platform, PaymentChannel.ALIPAY)
    assert [row[1] for row in rows[1:]] == ["DD2001"]


def test_each_download_is_audited(regulator, consumer, platform):
    file_complaint(consumer, platform)
    file_complaint(consumer, platform)
    manifest(web_client(regulator), platform, PaymentChannel.ALIPAY)
    entry = AuditEntry.objects.get(action=AuditAction.CHARGEBACK_MANIFEST_EXPORTED)
    assert entry.object_id == str(platform.pk) and entry.actor == regulator
    assert entry.data == {"payment_channel": "alipay", "orders": 2}


def test_a_regulator_sees_only_the_orders_of_their_jurisdiction(consumer):
    tree = build_tree()
    platform = platform_in(tree.district_a)
    file_complaint(consumer, platform, order_number="DD3001")
    assert len(manifest(web_client(tree.regulator("a")), platform, PaymentChannel.ALIPAY)) == 2
    assert len(manifest(web_client(tree.regulator("b")), platform, PaymentChannel.ALIPAY)) == 1  # header only


def test_order_numbers_that_look_like_formulas_are_quoted(regulator, consumer, platform):
    file_complaint(consumer, platform, order_number="=HYPERLINK(1)")
    rows = manifest(web_client(regulator), platform, PaymentChannel.ALIPAY)
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_page_counts_orders_per_channel(regulator, consumer, platform):
    file_complaint(consumer, platform)
    file_complaint(consumer, platform, payment_channel=PaymentChannel.BANK_CARD)
    file_complaint(consumer, platform, payment_channel=PaymentChannel.BANK_CARD)
    response = web_client(regulator).get(reverse("regulation:chargeback-manifests", args=[platform.pk]))
    counts = {row["channel"]: row["orders"] for row in response.context["channels"]}
    assert counts == {"alipay": 1, "wechat": 0, "bank_card": 2, "other": 0}


def test_an_unknown_channel_is_404(regulator):
    platform = PlatformFactory()
    url = reverse("regulation:chargeback-manifest-csv", args=[platform.pk, "paypal"])
    assert web_client(regulator).get(url).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.CHARGEBACK_MANIFEST_EXPORTED).exists()


@pytest.mark.parametrize("role", ["consumer", "agent"])
def test_only_regulators_may_export(request, platform, role):
    client = web_client(request.getfixturevalue(role))
    for url in (
        reverse("regulation:chargeback-manifests", args=[platform.pk]),
        reverse("regulation:chargeback-manifest-csv", args=[platform.pk, "alipay"]),
    ):
        assert client.get(url).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.CHARGEBACK_MANIFEST_EXPORTED).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, platform):
    response = client.get(reverse("regulation:chargeback-manifest-csv", args=[platform.pk, "alipay"]))
    assert response.status_code == 302


def test_a_regulator_reaches_the_manifests_from_a_complaint(regulator, complaint):
    page = web_client(regulator).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert reverse("regulation:chargeback-manifests", args=[complaint.platform_id]).encode() in page.content


def test_a_consumer_is_not_shown_the_manifests_link(consumer, complaint):
    page = web_client(consumer).get(reverse("complaints:complaint-detail", args=[complaint.pk]))
    assert b"chargeback-manifests" not in page.content
