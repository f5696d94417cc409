#!/usr/bin/env python3
"""A real RFC 3161 time-stamping authority for development and tests, on this machine.

OpenSSL answers every request (``openssl ts -reply``); this file only makes its certificates and puts it behind
HTTP. At start it creates, in a state folder, a test CA and a TSA certificate issued by it (EC P-256,
``extendedKeyUsage = critical, timeStamping`` as RFC 3161 §2.3 requires), then serves:

    POST /           application/timestamp-query  ->  application/timestamp-reply (DER TimeStampResp)
    GET  /ca.pem     the test CA certificate (what a verifier trusts)
    GET  /tsa.pem    the TSA's own certificate

Standard library only, plus the ``openssl`` binary (Debian package ``openssl``, in the Makefile's test
packages). Not for production: the keys are throwaway and unprotected.

    python tools/local_tsa.py --port 3161 [--state-dir DIR]      (``make tsa``)
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_QUERY_BYTES = 16 * 1024  # a TimeStampReq is ~100 bytes; anything large is not one
POLICY_OID = "1.3.6.1.4.1.55555.3161.1"  # a private test policy: tokens from here prove nothing outside tests
OPENSSL_TIMEOUT = 20

# openssl req wants a [req] section and a distinguished-name section even when -subj gives the name.
CERT_CONFIG = """\
[ req ]
distinguished_name = subject

[ subject ]

[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ tsa_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

TS_CONFIG = """\
[ tsa ]
default_tsa = local_tsa

[ local_tsa ]
dir = {state_dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl_binary() -> str | None:
    return shutil.which("openssl")


def _run(*args: str, cwd: Path, stdin: bytes | None = None) -> bytes:
    completed = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
        [openssl_binary() or "openssl", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=OPENSSL_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {completed.stderr.decode(errors='replace').strip()}")
    return completed.stdout


def create_authority(state_dir: Path) -> None:
    """Write ca.pem, tsa.key, tsa.pem, serial and tsa.cnf into ``state_dir`` (kept if already there)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    if (state_dir / "tsa.cnf").exists():
        return
    (state_dir / "certs.cnf").write_text(CERT_CONFIG)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    _run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
         "-subj", "/C=CN/O=Complaint Portal test/CN=Portal Test Timestamp CA",
         "-config", "certs.cnf", "-extensions", "ca_ext", cwd=state_dir)  # fmt: skip
    _run("req", "-new", *ec, "-keyout", "tsa.key", "-out", "tsa.csr", "-config", "certs.cnf",
         "-subj", "/C=CN/O=Complaint Portal test/CN=Portal Test TSA", cwd=state_dir)  # fmt: skip
    _run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-days", "3650", "-sha256", "-extfile", "certs.cnf", "-extensions", "tsa_ext",
         "-out", "tsa.pem", cwd=state_dir)  # fmt: skip
    (state_dir / "serial").write_text("01\n")
    (state_dir / "tsa.cnf").write_text(TS_CONFIG.format(state_dir=state_dir, policy=POLICY_OID))


class TimestampAuthority:
    """``openssl ts -reply`` over a state folder; one reply at a time (OpenSSL rewrites the serial file)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._lock = threading.Lock()

    def reply(self, query: bytes) -> bytes:
        with self._lock, tempfile.TemporaryDirectory(dir=self.state_dir) as work:
            query_path = Path(work) / "query.tsq"
            query_path.write_bytes(query)
            return _run("ts", "-reply", "-config", str(self.state_dir / "tsa.cnf"), "-queryfile", str(query_path),
                        "-out", "-", cwd=Path(work))  # fmt: skip


def make_handler(authority: TimestampAuthority) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "PortalLocalTSA/1"

        def do_POST(self) -> None:
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            length = int(self.headers.get("Content-Length") or 0)
            if content_type != QUERY_TYPE:
                self._answer(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, b"expected application/timestamp-query\n")
                return
            if not 0 < length <= MAX_QUERY_BYTES:
                self._answer(HTTPStatus.BAD_REQUEST, b"empty or oversized query\n")
                return
            try:
                reply = authority.reply(self.rfile.read(length))
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                self._answer(HTTPStatus.BAD_REQUEST, f"{error}\n".encode())
                return
            self._answer(HTTPStatus.OK, reply, REPLY_TYPE)

        def do_GET(self) -> None:
            files = {"/ca.pem": "ca.pem", "/tsa.pem": "tsa.pem"}
            if self.path not in files:
                self._answer(HTTPStatus.NOT_FOUND, b"POST a timestamp query to /\n")
                return
            self._answer(HTTPStatus.OK, (authority.state_dir / files[self.path]).read_bytes(), "application/x-pem-file")

        def _answer(self, status: HTTPStatus, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:
            sys.stderr.write(f"local_tsa: {format % args}\n")

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3161)
    parser.add_argument("--state-dir", type=Path, help="where the CA, keys and serial live (default: a new temp dir)")
    options = parser.parse_args(argv)
    if openssl_binary() is None:
        print("local_tsa: the openssl binary is missing (apt-get install openssl)", file=sys.stderr)
        return 2
    state_dir = (options.state_dir or Path(tempfile.mkdtemp(prefix="local-tsa-"))).resolve()
    create_authority(state_dir)
    server = ThreadingHTTPServer((options.host, options.port), make_handler(TimestampAuthority(state_dir)))
    url = f"http://{options.host}:{server.server_address[1]}/"
    print(f"local TSA at {url}  trust {state_dir / 'ca.pem'}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
