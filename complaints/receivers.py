"""What the complaints app does when the platforms app below it announces a change (``platforms.signals``).

Connected in ``ComplaintsConfig.ready``. The signals are sent inside the sender's transaction, so these writes
commit or roll back with the change that caused them.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from . import rulebook
from .models import OPEN_STATUSES, DeliveryStatus, WebhookDelivery
from .selectors import complaints_visible_to
from .services import complaint_assign


def unassign_deactivated_staff(sender, *, member, by, **kwargs) -> None:
    """A deactivated staff member's open complaints go back to unassigned (the inbox shows them to everyone)."""
    assigned = complaints_visible_to(by).filter(assigned_to=member, status__in=OPEN_STATUSES)
    complaint_assign(complaint_ids=list(assigned.values_list("pk", flat=True)), by=by, assignee=None)


def fail_pending_deliveries(sender, *, endpoint, **kwargs) -> None:
    """Deliveries still pending to a deactivated endpoint are never sent: mark them failed."""
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=_("Endpoint deactivated.")
    )


def forget_rulebook(sender, **kwargs) -> None:
    """A rulebook row changed: this process reads the rules again once the change is committed (cleared earlier,
    a concurrent request could cache the old rows again)."""
    transaction.on_commit(rulebook.clear_cache)
