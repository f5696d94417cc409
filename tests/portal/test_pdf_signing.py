"""Signed PDFs: dossiers and penalty notices carry the portal's PAdES signature, timestamped by the TSA, and pyHanko's
validator accepts them and rejects them once a single byte changed."""

import pytest
from django.core import checks

from complaints.dossier import render_dossier
from portal.models import IssuedDocument, IssuedDocumentKind
from portal.pdf import check_pdf_signing, sign_pdf
from regulation.models import PenaltyKind
from regulation.penalties import penalty_issue, penalty_notice_pdf
from tests.pdf_reading import compact, pdf_text
from tests.signing import make_signing_files, validate_signature

pytestmark = pytest.mark.django_db

SIGNED_LINE = "本文件附有电子签名（PAdES）"
UNSIGNED_LINE = "本文件未经电子签名"


@pytest.fixture
def signing(settings, tmp_path):
    files = make_signing_files(tmp_path)
    settings.PORTAL_SIGNING_KEY = str(files.key)
    settings.PORTAL_SIGNING_CERT = str(files.cert)
    return files


@pytest.fixture
def no_tsa(settings):
    settings.PORTAL_TSA_URL = ""


def flip_byte(pdf: bytes, index: int) -> bytes:
    return pdf[:index] + bytes([pdf[index] ^ 0x01]) + pdf[index + 1 :]


def assert_rejected(pdf: bytes, ca_cert) -> None:
    try:
        status = validate_signature(pdf, ca_cert=ca_cert)
    except Exception:  # a PDF too damaged to parse is rejected as surely
        return
    assert not (status.intact and status.valid)


def test_a_signed_dossier_validates_with_a_timestamp_and_a_changed_byte_breaks_it(signing, tsa_settings, complaint):
    pdf = render_dossier(complaint)

    status = validate_signature(pdf, ca_cert=signing.ca_cert, tsa_ca_cert=tsa_settings.ca_cert_path)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.trusted
    assert status.bottom_line
    assert SIGNED_LINE in compact(pdf_text(pdf))

    # A byte of the header comment and one in the middle of the signed content: both are covered.
    assert_rejected(flip_byte(pdf, 10), signing.ca_cert)
    assert_rejected(flip_byte(pdf, len(pdf) // 3), signing.ca_cert)


def test_a_signed_penalty_notice_validates_and_is_kept_for_verification(signing, no_tsa, regulator, platform):
    penalty = penalty_issue(
        by=regulator,
        platform=platform,
        kind=PenaltyKind.WARNING,
        legal_basis="第七十七条",
        facts="未交付。",
        decision="警告。",
    )
    pdf = penalty_notice_pdf(penalty)

    status = validate_signature(pdf, ca_cert=signing.ca_cert)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is None  # no TSA configured: signed all the same
    issued = IssuedDocument.objects.get(kind=IssuedDocumentKind.PENALTY_NOTICE)
    assert (issued.reference, issued.signed, issued.size) == (penalty.number, True, len(pdf))


def test_a_signature_from_an_untrusted_root_is_not_trusted(signing, no_tsa, complaint, tmp_path):
    pdf = render_dossier(complaint)
    (tmp_path / "stranger").mkdir()
    stranger = make_signing_files(tmp_path / "stranger")
    status = validate_signature(pdf, ca_cert=stranger.ca_cert)
    assert status.intact and not status.trusted


def test_an_unreachable_tsa_does_not_stop_the_document(signing, settings, complaint):
    settings.PORTAL_TSA_URL = "http://127.0.0.1:9/"  # the discard port: nothing answers
    settings.PORTAL_TSA_TIMEOUT = 2
    pdf = render_dossier(complaint)
    status = validate_signature(pdf, ca_cert=signing.ca_cert)
    assert status.intact and status.trusted and status.timestamp_validity is None


def test_without_a_certificate_the_pdf_is_unsigned_and_says_so(settings, complaint):
    settings.PORTAL_SIGNING_KEY = settings.PORTAL_SIGNING_CERT = settings.PORTAL_SIGNING_PKCS12 = ""
    pdf = render_dossier(complaint)
    assert sign_pdf(pdf, reason="test") == pdf
    assert UNSIGNED_LINE in compact(pdf_text(pdf))
    assert b"/ByteRange" not in pdf
    assert IssuedDocument.objects.get(kind=IssuedDocumentKind.DOSSIER).signed is False


def test_production_without_a_certificate_is_reported_by_manage_py_check(settings):
    settings.DEBUG = False
    settings.PORTAL_SIGNING_KEY = settings.PORTAL_SIGNING_CERT = settings.PORTAL_SIGNING_PKCS12 = ""
    (message,) = check_pdf_signing()
    assert (message.id, message.level) == ("portal.I001", checks.INFO)
    settings.PORTAL_SIGNING_PKCS12 = "/etc/portal/signing.p12"
    assert check_pdf_signing() == []
