"""The portal's RFC 3161 client against the local OpenSSL TSA (tools/local_tsa.py), not a mock."""

import hashlib

import pytest
from rfc3161_client import decode_timestamp_response

from portal.timestamping import TimestampError, request_timestamp
from tests.conftest import free_port


def test_local_tsa_timestamps_a_message_and_the_token_names_its_sha256(tsa_settings):
    message = hashlib.sha256(b"a chain head").digest()

    timestamp = request_timestamp(message)

    reply = decode_timestamp_response(timestamp.reply_der)
    assert reply.tst_info.message_imprint.message == hashlib.sha256(message).digest()
    assert timestamp.gen_time.tzinfo is not None
    assert "Portal Test TSA" in timestamp.tsa_name


def test_a_token_from_an_untrusted_ca_is_refused(tsa_settings, settings, tmp_path):
    other_ca = tmp_path / "other.pem"
    other_ca.write_bytes(tsa_settings.tsa_cert_path.read_bytes())  # a certificate, but not the root
    settings.PORTAL_TSA_CA_CERTIFICATES = [str(other_ca)]

    with pytest.raises(TimestampError, match="does not verify"):
        request_timestamp(b"x" * 32)


def test_an_unreachable_tsa_is_a_timestamp_error(settings):
    settings.PORTAL_TSA_URL = f"http://127.0.0.1:{free_port()}/"

    with pytest.raises(TimestampError, match="unreachable"):
        request_timestamp(b"x" * 32)


def test_no_tsa_configured_is_a_timestamp_error(settings):
    settings.PORTAL_TSA_URL = ""

    with pytest.raises(TimestampError, match="no TSA configured"):
        request_timestamp(b"x" * 32)
