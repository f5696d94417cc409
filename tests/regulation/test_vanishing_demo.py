"""The demo data shows an open alert and a platform confirmed unreachable with its warning."""

from io import StringIO

import pytest
from django.core.management import call_command

from complaints.models import Complaint, Status
from platforms.models import Platform
from regulation.models import VanishingAlert, VanishingAlertStatus

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
