"""Moving models between apps loses nothing: the penalties and daily statistics with their refresh marker
(platforms → regulation), the webhook endpoints (complaints → platforms) and the e-mail outbox (complaints →
portal) keep their tables, rows, numbers, links and permissions.

The test migrates the test database back to the migrations that came before the move, writes rows with the
models as they were then, migrates forward and reads them with today's models.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from complaints.models import WebhookDelivery
from platforms.models import WebhookEndpoint
from portal.models import OutboxMessage, User
from regulation.models import DailyStatsRefresh, Penalty, PenaltyKind, PenaltyStatus, PlatformDailyStats

# The latest migration of each app before the models moved; ``None``: the regulation app did not exist yet.
BEFORE_THE_MOVE = [
    ("portal", "0002_user_manager"),
    ("platforms", "0006_remove_is_generated"),
    ("complaints", "0010_dossierexport_head_hash"),
    ("regulation", None),
]
PAID_AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def write_rows_the_old_way(apps) -> dict:
    """Rows as the code before the move wrote them, through the historical models."""
    ContentTypeThen = apps.get_model("contenttypes", "ContentType")
    PermissionThen = apps.get_model("auth", "Permission")
    UserThen = apps.get_model("portal", "User")
    platform = apps.get_model("platforms", "Platform").objects.create(name="星辰卡盟", slug="xingchen")
    regulator = UserThen.objects.create(username="regulator-then", role="regulator", is_staff=True)
    consumer = UserThen.objects.create(username="consumer-then", role="consumer")
    complaint = apps.get_model("complaints", "Complaint").objects.create(
        reference="KM-2026-000001",
        consumer=consumer,
        platform=platform,
        order_number="SO-1",
        paid_at=PAID_AT,
        amount=Decimal("199.00"),
        payment_channel="alipay",
        payment_reference="P-1",
        product_name="月卡",
        problem="card_key_missing",
        platform_order_status="paid",
        description="没有发卡",
        desired_outcome="refund",
        created_at=PAID_AT,
    )
    PenaltyThen = apps.get_model("platforms", "Penalty")
    penalties = [
        PenaltyThen.objects.create(
            platform=platform,
            year=2026,
            sequence=sequence,
            number=f"市监罚〔2026〕{sequence}号",
            kind=kind,
            fine_amount=fine,
            legal_basis="《电子商务法》第七十七条",
            facts="逾期未处理投诉",
            decision="警告",
            decided_on=date(2026, 11, 25),
            appeal_deadline=date(2027, 1, 24),
            issued_by=regulator,
            status=status,
        )
        for sequence, kind, fine, status in [
            (1, PenaltyKind.WARNING, None, PenaltyStatus.ISSUED),
            (2, PenaltyKind.FINE, Decimal("50000.00"), PenaltyStatus.APPEALED),
        ]
    ]
    penalties[1].complaints.add(complaint)
    apps.get_model("platforms", "PlatformDailyStats").objects.create(
        platform=platform, day=date(2026, 11, 20), complaints=3, upheld=1, rating_sum=9, rating_count=2
    )
    apps.get_model("platforms", "DailyStatsRefresh").objects.create(
        refreshed_at=PAID_AT, covers_from=date(2024, 11, 20), generation=7
    )
    endpoint = apps.get_model("complaints", "WebhookEndpoint").objects.create(
        platform=platform, url="https://hooks.example.cn/km", secret="s" * 64, events=["complaint.created"]
    )
    delivery = apps.get_model("complaints", "WebhookDelivery").objects.create(
        endpoint=endpoint, event="complaint.created", payload={"event": "complaint.created"}
    )
    message = apps.get_model("complaints", "OutboxMessage").objects.create(
        template="complaint_new_platform", recipients=["staff@example.cn"], complaint=complaint
    )
    # The content type as the old code had it: post_migrate of an install before the move created it.
    penalty_type, _created = ContentTypeThen.objects.get_or_create(app_label="platforms", model="penalty")
    granted = []
    for codename in ("add_penalty", "change_penalty"):
        permission, _created = PermissionThen.objects.get_or_create(
            content_type=penalty_type, codename=codename, defaults={"name": codename}
        )
        granted.append(permission)
    regulator.user_permissions.add(*granted)
    return {
        "penalties": [(p.pk, p.number, p.kind, p.fine_amount, p.status) for p in penalties],
        "cited": penalties[1].pk,
        "complaint": complaint.pk,
        "regulator": regulator.pk,
        "endpoint": endpoint.pk,
        "delivery": delivery.pk,
        "message": message.pk,
        "platform": platform.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_moving_models_between_apps_keeps_every_row_number_and_permission():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = migrate(BEFORE_THE_MOVE)
    try:
        applied = [(app, name) for app, name in BEFORE_THE_MOVE if name]
        before = write_rows_the_old_way(executor.loader.project_state(applied).apps)
    finally:
        migrate(latest)
    ContentType.objects.clear_cache()

    assert [(p.pk, p.number, p.kind, p.fine_amount, p.status) for p in Penalty.objects.order_by("pk")] == (
        before["penalties"]
    )
    assert list(Penalty.objects.get(pk=before["cited"]).complaints.values_list("pk", flat=True)) == [
        before["complaint"]
    ]
    stats = PlatformDailyStats.objects.get()
    assert (stats.platform_id, stats.complaints, stats.upheld, stats.rating_sum) == (before["platform"], 3, 1, 9)
    refresh = DailyStatsRefresh.objects.get()
    assert (refresh.pk, refresh.covers_from, refresh.generation) == (1, date(2024, 11, 20), 7)
    delivery = WebhookDelivery.objects.select_related("endpoint").get()
    assert (delivery.pk, delivery.endpoint.pk) == (before["delivery"], before["endpoint"])
    assert isinstance(delivery.endpoint, WebhookEndpoint) and delivery.endpoint.platform_id == before["platform"]
    message = OutboxMessage.objects.get()
    assert (message.pk, message.complaint_id) == (before["message"], before["complaint"])

    regulator = User.objects.get(pk=before["regulator"])
    assert regulator.has_perm("regulation.add_penalty") and regulator.has_perm("regulation.change_penalty")
    assert not regulator.has_perm("regulation.delete_penalty")
    assert not ContentType.objects.filter(app_label="platforms", model="penalty").exists()
    assert Permission.objects.filter(content_type__app_label="regulation", codename="add_penalty").count() == 1
