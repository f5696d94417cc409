"""What a platform manager asks of the webhook deliveries from the workspace: a test ping.

Registering and deactivating an endpoint are the platforms app's (``platforms.services``); the deliveries, and so
the ping, are this app's.
"""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from platforms.models import WEBHOOK_TEST_EVENT, WebhookEndpoint
from platforms.services import get_in_platform, require_manager

from . import notifications
from .models import WebhookDelivery


def webhook_send_test(*, by, webhook_id: int) -> WebhookDelivery:
    """Queue a signed ``ping`` delivery to an active endpoint; it shows in the delivery log like any other."""
    require_manager(by)
    with transaction.atomic():
        endpoint = get_in_platform(WebhookEndpoint.objects.all(), by, webhook_id)
        if not endpoint.is_active:
            raise ValidationError(_("This webhook is deactivated."))
        delivery = WebhookDelivery(
            endpoint=endpoint,
            event=WEBHOOK_TEST_EVENT,
            payload={"event": WEBHOOK_TEST_EVENT, "id": secrets.token_hex(8), "sent_at": timezone.now().isoformat()},
        )
        notifications.queue_many([], [delivery])
    return delivery
