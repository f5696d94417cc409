"""A joint complaint of three consumers against one platform, built through the real services."""

from dataclasses import dataclass

from complaints import joint as joint_services
from complaints.models import Complaint, JointComplaint, JointMembership
from portal.models import User
from tests.factories import ConsumerFactory, file_complaint


@dataclass
class Joint:
    joint: JointComplaint
    consumers: list[User]
    complaints: list[Complaint]
    memberships: list[JointMembership]


def three_members(platform, *, elect: bool = True) -> Joint:
    """Three consumers (张三, 李四, 王五) in one joint complaint; with ``elect`` the first two are representatives."""
    names = [("三", "张"), ("四", "李"), ("五", "王")]
    consumers = [ConsumerFactory(first_name=given, last_name=family) for given, family in names]
    complaints = [file_complaint(consumer, platform) for consumer in consumers]
    joint = joint_services.joint_create(
        by=consumers[0],
        complaint_id=complaints[0].pk,
        title="卡密一直未发货",
        summary="付款后平台不发卡密，客服不回复。",
        consent=True,
    )
    for consumer, complaint in zip(consumers[1:], complaints[1:], strict=True):
        joint_services.joint_join(by=consumer, join_code=joint.join_code, complaint_id=complaint.pk, consent=True)
    memberships = list(joint.memberships.order_by("pk"))
    if elect:
        first_two = [memberships[0].pk, memberships[1].pk]
        joint_services.joint_choose_representatives(by=consumers[0], joint_id=joint.pk, candidate_ids=first_two)
        joint_services.joint_choose_representatives(by=consumers[1], joint_id=joint.pk, candidate_ids=first_two)
        memberships = list(joint.memberships.order_by("pk"))
    return Joint(joint, consumers, [Complaint.objects.get(pk=c.pk) for c in complaints], memberships)
