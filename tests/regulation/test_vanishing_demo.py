"""The demo data shows an open alert, a platform confirmed unreachable with its warning, and against it a joint
complaint (Order 121 Art. 12) and a chargeback pack (regulation/demo_vanishing.py)."""

import hashlib
import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from complaints.chargeback import MANIFEST
from complaints.events import verify_chain
from complaints.joint import active_members, joint_proposal_adopt, missing_consents
from complaints.models import (
    ChargebackPack,
    Complaint,
    DossierExportStatus,
    EventKind,
    JointComplaint,
    JointProposal,
    ProposalKind,
    ProposalStatus,
    Status,
)
from platforms.models import Platform
from portal.errors import Conflict
from portal.models import User
from regulation.models import Refund, VanishingAlert, VanishingAlertStatus

pytestmark = pytest.mark.django_db


def test_seed_demo_shows_an_open_alert_and_a_confirmed_platform(client):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent

    open_alert = VanishingAlert.objects.get(status=VanishingAlertStatus.OPEN)
    assert open_alert.platform.slug == "yunduan-kameng"
    assert open_alert.office.division_code == "330106"
    assert "surge" in open_alert.signals
    vanished = Platform.objects.get(slug="shanchong-kameng")
    assert vanished.unreachable_reference.startswith("杭滨市监预警〔")
    assert not Complaint.objects.filter(platform=vanished, status=Status.AWAITING_PLATFORM).exists()
    page = client.get(f"/platforms/{vanished.slug}/").content.decode()
    assert vanished.unreachable_reference in page


# --- the joint complaint and the chargeback pack against the unreachable platform ----------------------


@pytest.fixture
def seeded():
    call_command("seed_demo", market_complaints=0, stdout=StringIO())
    return Platform.objects.get(slug="shanchong-kameng")


def _joint(platform):
    return JointComplaint.objects.get(platform=platform)


def test_seed_demo_adds_the_joint_complaint_and_the_pack_once(seeded):
    call_command("seed_demo", market_complaints=0, stdout=StringIO())

    assert JointComplaint.objects.filter(platform=seeded).count() == 1
    assert ChargebackPack.objects.filter(complaint__platform=seeded).count() == 1
    assert Refund.objects.filter(complaint__platform=seeded).count() == 1
    assert Complaint.objects.filter(platform=seeded, consumer__username="demo-consumer").count() == 1


def test_the_joint_complaint_has_three_members_and_two_elected_representatives(seeded):
    joint = _joint(seeded)

    members = active_members(joint).select_related("complaint__consumer")
    assert sorted(m.complaint.consumer.username for m in members) == [
        "demo-consumer",
        "market-buyer-1",
        "market-buyer-2",
    ]
    assert sorted(m.complaint.consumer.username for m in members if m.is_representative) == [
        "demo-consumer",
        "market-buyer-1",
    ]
    assert all(verify_chain(m.complaint) is None for m in members)
    assert (
        not User.objects.filter(username__startswith="demo-", complaints__platform=seeded)
        .exclude(username="demo-consumer")
        .exists()
    )


def test_the_settlement_is_refused_while_one_member_has_not_consented(seeded):
    proposal = JointProposal.objects.get(joint__platform=seeded)
    assert (proposal.kind, proposal.status) == (ProposalKind.SETTLEMENT, ProposalStatus.OPEN)
    assert missing_consents(proposal) == 1

    with pytest.raises(Conflict) as refused:
        joint_proposal_adopt(by=User.objects.get(username="demo-consumer"), proposal_id=proposal.pk)

    assert refused.value.code == "consent_missing"


def test_the_binjiang_office_recorded_a_refund_for_one_member(seeded):
    refund = Refund.objects.get(complaint__platform=seeded)

    assert refund.recorded_by.username == "demo-regulator-binjiang"
    assert refund.complaint.consumer.username == "market-buyer-2"
    assert refund.joint == _joint(seeded)
    assert refund.complaint.events.filter(kind=EventKind.REFUND_RECORDED).count() == 1


def test_the_demo_consumers_pack_is_built_and_its_manifest_verifies(seeded):
    pack = ChargebackPack.objects.get(complaint__platform=seeded)
    assert (pack.status, pack.complaint.consumer.username) == (DossierExportStatus.DONE, "demo-consumer")

    with pack.file.open("rb") as stored:
        archive = zipfile.ZipFile(io.BytesIO(stored.read()))
    manifest = json.loads(archive.read(MANIFEST))
    assert manifest["platform_unreachable"]["reference"] == seeded.unreachable_reference
    assert len(manifest["payment_vouchers"]) == 1
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]


def test_the_demo_consumers_stories_stay_on_top_of_their_list(seeded, client):
    client.force_login(User.objects.get(username="demo-consumer"))

    listed = list(client.get(reverse("complaints:complaint-list")).context["complaints"])

    assert listed[-1].platform == seeded
    assert all(complaint.platform != seeded for complaint in listed[:-1])
