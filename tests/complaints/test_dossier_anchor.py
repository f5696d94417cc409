"""The dossier prints its chain head's RFC 3161 anchor (root, time, TSA, path, token), or that it has none yet."""

import pytest
from django.urls import reverse

from complaints.anchoring import head_anchor
from complaints.dossier import dossier_stored, render_dossier
from portal.tasks import anchor_chain_heads_task
from tests.factories import file_complaint
from tests.fixtures_roles import client_for
from tests.pdf_reading import compact, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


def test_an_unanchored_dossier_says_not_yet_anchored(consumer, platform):
    complaint = file_complaint(consumer, platform)

    text = compact(pdf_text(render_dossier(complaint)))

    assert "尚未锚定" in text


def test_an_anchored_dossier_shows_the_root_the_tsa_and_the_path(tsa_settings, consumer, platform):
    complaint = file_complaint(consumer, platform)
    anchor_chain_heads_task.apply()
    complaint.refresh_from_db()

    text = compact(pdf_text(render_dossier(complaint)))

    leaf = head_anchor(complaint)
    assert "链头已锚定" in text
    assert leaf.anchor.root in text
    assert "PortalTestTSA" in text
    for sibling in leaf.path:
        assert sibling in text


def test_a_dossier_kept_from_before_the_anchor_is_rendered_again(tsa_settings, consumer, platform):
    complaint = file_complaint(consumer, platform)
    url = reverse("complaints_api:dossier-download", kwargs={"id": complaint.pk})
    assert client_for(consumer).get(url).status_code == 200
    assert dossier_stored(complaint) is not None

    anchor_chain_heads_task.apply()
    complaint.refresh_from_db()

    assert dossier_stored(complaint) is None
    pdf = b"".join(client_for(consumer).get(url).streaming_content)
    assert "链头已锚定" in compact(pdf_text(pdf))
