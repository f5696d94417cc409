"""Trusted time (RFC 3161): ask the configured TSA to timestamp a message, and check a token it returned.

rfc3161-client builds the request and verifies the reply; the HTTP round trip is ours (the library does no
network work). The TSA and the CA certificates its tokens must chain to come from settings (``PORTAL_TSA_URL``,
``PORTAL_TSA_CA_CERTIFICATES``; docs/operations.md). Electronic data whose integrity a trusted timestamp shows is
accepted by the internet courts (SPC provisions on internet courts, Art. 11).
"""

import functools
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from django.conf import settings
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

QUERY_CONTENT_TYPE = "application/timestamp-query"
REPLY_CONTENT_TYPE = "application/timestamp-reply"
MAX_REPLY_BYTES = 1024 * 1024


class TimestampError(Exception):
    """The TSA could not be reached, refused, or answered with something that does not verify."""


@dataclass(frozen=True)
class Timestamp:
    reply_der: bytes  # the whole TimeStampResp (RFC 3161 §2.4.2), DER: what rfc3161-client decodes
    gen_time: datetime  # the TSA's genTime (UTC)
    serial_number: int
    tsa_name: str  # the TSA's name from the token, or its certificate's subject


def tsa_configured() -> bool:
    return bool(settings.PORTAL_TSA_URL)


@functools.lru_cache(maxsize=8)
def _load_certificates(paths: tuple[str, ...]) -> tuple[x509.Certificate, ...]:
    certificates: list[x509.Certificate] = []
    for path in paths:
        with open(path, "rb") as pem:
            certificates.extend(x509.load_pem_x509_certificates(pem.read()))
    return tuple(certificates)


def trusted_certificates() -> tuple[x509.Certificate, ...]:
    """The CA certificates from ``PORTAL_TSA_CA_CERTIFICATES`` (cached per list of paths)."""
    return _load_certificates(tuple(settings.PORTAL_TSA_CA_CERTIFICATES))


def request_timestamp(message: bytes) -> Timestamp:
    """Have the TSA timestamp ``message`` (its SHA-256 is the messageImprint); the verified reply.

    Raises ``TimestampError`` for an unreachable TSA, a refusal or a reply that does not verify against the
    trusted certificates with this request's nonce: a caller keeps its work for a later try.
    """
    if not tsa_configured():
        raise TimestampError("no TSA configured (TSA_URL)")
    timestamp_request = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).build()
    http_request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
        settings.PORTAL_TSA_URL,
        data=timestamp_request.as_bytes(),
        headers={"Content-Type": QUERY_CONTENT_TYPE, "Accept": REPLY_CONTENT_TYPE},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http_request, timeout=settings.PORTAL_TSA_TIMEOUT) as answer:  # noqa: S310
            reply_der = answer.read(MAX_REPLY_BYTES + 1)
    except (urllib.error.URLError, OSError) as error:
        raise TimestampError(f"TSA unreachable: {error}") from error
    if len(reply_der) > MAX_REPLY_BYTES:
        raise TimestampError("TSA reply too large")
    try:
        reply = decode_timestamp_response(reply_der)
    except ValueError as error:
        raise TimestampError(f"TSA reply is not a TimeStampResp: {error}") from error
    builder = VerifierBuilder.from_request(timestamp_request)
    for certificate in trusted_certificates():
        builder = builder.add_root_certificate(certificate)
    try:
        builder.build().verify_message(reply, message)
    except (VerificationError, ValueError) as error:
        raise TimestampError(f"TSA reply does not verify: {error}") from error
    return Timestamp(
        reply_der=reply_der,
        gen_time=reply.tst_info.gen_time,
        serial_number=reply.tst_info.serial_number,
        tsa_name=_tsa_name(reply),
    )


def _tsa_name(reply) -> str:
    try:
        name = reply.tst_info.name
    except ValueError:
        name = None
    value = getattr(name, "value", None)
    if isinstance(value, x509.Name):
        return value.rfc4514_string()
    certificates = reply.signed_data.certificates
    if certificates:
        return x509.load_der_x509_certificate(next(iter(certificates))).subject.rfc4514_string()
    return ""
