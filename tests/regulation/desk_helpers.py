"""Complaints brought to each stage of the case desk through the real services."""

from decimal import Decimal

from complaints import services
from regulation import desk
from tests.factories import StaffFactory, file_complaint


def triaged_complaint(consumer=None):
    """A complaint against a platform that is not in the registry: it waits in triage."""
    return file_complaint(
        consumer, False, unregistered_platform_name="星辰卡盟", unregistered_platform_url="https://xingchen.example.cn"
    )


def escalated_complaint(consumer=None, platform=None):
    """Answered, disputed, then escalated by the consumer: it waits for the acceptance decision."""
    complaint = file_complaint(consumer, platform)
    services.complaint_respond(
        complaint_id=complaint.pk,
        by=StaffFactory(platform=complaint.platform),
        outcome="refunded",
        message="已退款。",
        refund_amount=Decimal("199.00"),
        refund_reference="RF1",
    )
    services.complaint_dispute(complaint_id=complaint.pk, by=complaint.consumer, reason="没有收到退款")
    services.complaint_escalate(complaint_id=complaint.pk, by=complaint.consumer, reason="平台不处理")
    complaint.refresh_from_db()
    return complaint


def accepted_complaint(regulator, **kwargs):
    complaint = escalated_complaint(**kwargs)
    desk.complaint_accept_for_mediation(complaint_id=complaint.pk, by=regulator)
    complaint.refresh_from_db()
    return complaint


def mediated_complaint(regulator, **kwargs):
    complaint = accepted_complaint(regulator, **kwargs)
    desk.complaint_record_mediation_consent(complaint_id=complaint.pk, by=regulator, parties=["consumer", "platform"])
    complaint.refresh_from_db()
    return complaint
