#!/usr/bin/env python3
"""Check a complaint's evidence bundle offline, as docs/evidence-format.md specifies it.

Standard library and rfc3161-client only: no Django, no database, no network. Checks, in this order, and stops
at the first failure (exit status 1, the failure on stderr, or in the JSON with ``--json``):

1. the ZIP and its ``manifest.json`` (format version, every member listed, SHA-256 and size of each);
2. the timeline: every event's canonical JSON rehashed and chained from the genesis ``prev_hash`` "";
3. the evidence files: each one's SHA-256 is the one its ``evidence_added`` event recorded;
4. each anchor proof: its leaf names an event of this timeline, the Merkle path leads to the root, the TSA token
   verifies against the trusted certificates and its messageImprint is SHA-256 of the root.

    python tools/verify_bundle.py bundle.zip [--trust tsa-ca.pem ...] [--json]

Without ``--trust`` the token is checked against the certificates shipped in the bundle (``tsa/ca.pem``), which
proves the token is intact but not who issued it: give your own copy of the TSA's CA certificate for that.

From Python (the portal's /verify/ page does this): ``from tools.verify_bundle import verify_bundle``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TIMELINE = "timeline.json"
BUNDLE_CA = "tsa/ca.pem"
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EVIDENCE_ADDED = "evidence_added"
CHUNK = 1024 * 1024


class BundleInvalid(Exception):
    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message


@dataclass
class VerificationResult:
    ok: bool
    check: str | None = None  # which check failed: manifest, timeline, evidence, anchor, token
    failure: str | None = None  # the first thing that failed, in words
    complaint: str | None = None
    events: int = 0
    head: dict[str, Any] | None = None  # {"sequence", "hash"} of the last event
    head_anchor: dict[str, Any] | None = None  # {"anchor", "root", "gen_time", "tsa"} when the head is anchored
    anchors: list[dict[str, Any]] = field(default_factory=list)  # every anchor checked
    evidence_files: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the format's primitives (docs/evidence-format.md) ---------------------------------------------------


def canonical_json(value: Any) -> str:
    """Keys sorted at every level, no whitespace, non-ASCII characters as themselves (UTF-8 when hashed)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, complaint: str, event: dict[str, Any]) -> str:
    canonical = canonical_json(
        {
            "complaint": complaint,
            "sequence": event["sequence"],
            "kind": event["kind"],
            "actor": event["actor"],
            "created_at": event["created_at"],
            "data": event["data"],
        }
    )
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def leaf_hash(leaf: dict[str, Any]) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + canonical_json(leaf).encode("utf-8")).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def root_from_inclusion_path(leaf: bytes, leaf_index: int, tree_size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2; None when the path cannot belong to a tree of that size."""
    if not 0 <= leaf_index < tree_size:
        return None
    fn, sn, result = leaf_index, tree_size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return result if sn == 0 else None


def _instant(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.utcoffset() is not None else None


# --- the checks ----------------------------------------------------------------------------------------------


def _read_json(bundle: zipfile.ZipFile, name: str, check: str) -> Any:
    try:
        return json.loads(bundle.read(name).decode("utf-8"))
    except KeyError:
        raise BundleInvalid(check, f"{name} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleInvalid(check, f"{name} is not UTF-8 JSON: {error}") from None


def _hex32(value: Any, what: str, check: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32 or value != raw.hex():
        raise BundleInvalid(check, f"{what} is not 64 lower-case hex digits")
    return raw


def _check_manifest(bundle: zipfile.ZipFile) -> dict[str, dict[str, Any]]:
    manifest = _read_json(bundle, MANIFEST, "manifest")
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        version = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise BundleInvalid("manifest", f"format_version {version!r} is not {FORMAT_VERSION}")
    listed: dict[str, dict[str, Any]] = {}
    for entry in manifest.get("files") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or entry["path"] in listed:
            raise BundleInvalid("manifest", f"bad or repeated file entry: {entry!r}")
        listed[entry["path"]] = entry
    members = [name for name in bundle.namelist() if name != MANIFEST and not name.endswith("/")]
    for name in members:
        if name not in listed:
            raise BundleInvalid("manifest", f"{name} is in the ZIP but not in the manifest")
    for path, entry in listed.items():
        try:
            info = bundle.getinfo(path)
        except KeyError:
            raise BundleInvalid("manifest", f"{path} is in the manifest but not in the ZIP") from None
        digest = hashlib.sha256()
        size = 0
        with bundle.open(info) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        if size != entry.get("size"):
            raise BundleInvalid("manifest", f"{path}: {size} bytes, the manifest says {entry.get('size')}")
        if digest.hexdigest() != entry.get("sha256"):
            raise BundleInvalid("manifest", f"{path}: SHA-256 differs from the manifest")
    return listed


def _check_timeline(bundle: zipfile.ZipFile, result: VerificationResult) -> tuple[str, list[dict[str, Any]]]:
    timeline = _read_json(bundle, TIMELINE, "timeline")
    if not isinstance(timeline, dict) or timeline.get("format_version") != FORMAT_VERSION:
        raise BundleInvalid("timeline", f"{TIMELINE}: format_version is not {FORMAT_VERSION}")
    complaint = timeline.get("complaint")
    events = timeline.get("events")
    if not isinstance(complaint, str) or not isinstance(events, list) or not events:
        raise BundleInvalid("timeline", f"{TIMELINE}: needs a complaint reference and at least one event")
    result.complaint = complaint
    prev_hash = ""
    for expected_sequence, event in enumerate(events, start=1):
        if not isinstance(event, dict) or not {"sequence", "kind", "actor", "created_at", "data"} <= event.keys():
            raise BundleInvalid("timeline", f"event {expected_sequence}: fields missing")
        if event["sequence"] != expected_sequence:
            raise BundleInvalid("timeline", f"event {expected_sequence}: sequence {event['sequence']!r} out of order")
        if event.get("prev_hash") != prev_hash:
            raise BundleInvalid("timeline", f"event {expected_sequence}: prev_hash is not the previous event's hash")
        if event_hash(prev_hash, complaint, event) != event.get("hash"):
            raise BundleInvalid(
                "timeline", f"event {expected_sequence} ({event['kind']}): content does not match its hash"
            )
        prev_hash = event["hash"]
    head = timeline.get("head") or {}
    if head.get("sequence") != len(events) or head.get("hash") != prev_hash:
        raise BundleInvalid("timeline", "the head is not the last event's hash")
    result.events = len(events)
    result.head = {"sequence": len(events), "hash": prev_hash}
    return complaint, events


def _check_evidence(
    bundle: zipfile.ZipFile, listed: dict[str, dict[str, Any]], events: list[dict[str, Any]], result: VerificationResult
) -> None:
    recorded = {
        event["data"].get("evidence_id"): (event["sequence"], event["data"].get("sha256"))
        for event in events
        if event["kind"] == EVIDENCE_ADDED and isinstance(event["data"], dict)
    }
    manifest = _read_json(bundle, MANIFEST, "manifest")
    seen = set()
    for entry in manifest.get("evidence") or []:
        evidence_id, path = entry.get("evidence_id"), entry.get("path")
        if evidence_id not in recorded:
            raise BundleInvalid("evidence", f"evidence {evidence_id!r} ({path}) is recorded by no event")
        sequence, sha256 = recorded[evidence_id]
        if path not in listed:
            raise BundleInvalid("evidence", f"evidence {evidence_id} file {path!r} is not in the bundle")
        if listed[path]["sha256"] != sha256 or entry.get("sha256") != sha256:
            raise BundleInvalid(
                "evidence", f"evidence {evidence_id} ({path}): SHA-256 differs from the one event {sequence} recorded"
            )
        seen.add(evidence_id)
    if missing := sorted(set(recorded) - seen, key=str):
        raise BundleInvalid("evidence", f"evidence {missing[0]} recorded in the timeline has no file in the bundle")
    result.evidence_files = len(seen)


def _load_trust(bundle: zipfile.ZipFile, trusted: list[bytes] | None, result: VerificationResult) -> list:
    from cryptography import x509

    if trusted is None:
        try:
            trusted = [bundle.read(BUNDLE_CA)]
        except KeyError:
            raise BundleInvalid(
                "token", f"no trusted TSA certificate given and none in the bundle ({BUNDLE_CA})"
            ) from None
        result.notes.append(
            "tokens checked against the TSA certificates shipped in the bundle; give your own copy (--trust) "
            "to know who issued them"
        )
    certificates = []
    for pem in trusted:
        try:
            certificates.extend(x509.load_pem_x509_certificates(pem))
        except ValueError as error:
            raise BundleInvalid("token", f"a trusted certificate is not PEM: {error}") from None
    return certificates


def _check_anchors(
    bundle: zipfile.ZipFile,
    complaint: str,
    events: list[dict[str, Any]],
    trusted: list[bytes] | None,
    result: VerificationResult,
) -> None:
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    proofs = sorted(name for name in bundle.namelist() if name.startswith("anchors/") and name.endswith("/proof.json"))
    if not proofs:
        result.notes.append("no anchor yet: the chain head has not been timestamped")
        return
    roots = _load_trust(bundle, trusted, result)
    for name in proofs:
        proof = _read_json(bundle, name, "anchor")
        where = name.rsplit("/", 1)[0]
        if not isinstance(proof, dict) or proof.get("format_version") != FORMAT_VERSION:
            raise BundleInvalid("anchor", f"{name}: format_version is not {FORMAT_VERSION}")
        leaf = proof.get("leaf")
        if not isinstance(leaf, dict) or leaf.get("source") != "complaint" or leaf.get("chain") != complaint:
            raise BundleInvalid("anchor", f"{where}: the leaf is not this complaint's chain")
        sequence = leaf.get("sequence")
        if not isinstance(sequence, int) or not 1 <= sequence <= len(events):
            raise BundleInvalid("anchor", f"{where}: the leaf names event {sequence!r}, not in the timeline")
        if leaf.get("head") != events[sequence - 1]["hash"]:
            raise BundleInvalid("anchor", f"{where}: the leaf's head is not event {sequence}'s hash")
        root = _hex32(proof.get("root"), f"{where}: root", "anchor")
        try:
            path = [_hex32(sibling, f"{where}: path", "anchor") for sibling in proof.get("path", [])]
            leaf_index, tree_size = int(proof["leaf_index"]), int(proof["tree_size"])
        except (KeyError, TypeError, ValueError):
            raise BundleInvalid("anchor", f"{where}: leaf_index, tree_size or path missing") from None
        if root_from_inclusion_path(leaf_hash(leaf), leaf_index, tree_size, path) != root:
            raise BundleInvalid("anchor", f"{where}: the Merkle path does not lead to the root")
        try:
            token = bundle.read(f"{where}/token.tsr")
        except KeyError:
            raise BundleInvalid("token", f"{where}/token.tsr is missing") from None
        try:
            reply = decode_timestamp_response(token)
        except ValueError as error:
            raise BundleInvalid("token", f"{where}/token.tsr is not an RFC 3161 TimeStampResp: {error}") from None
        verified = False
        failure = "no trusted certificate"
        for certificate in roots:
            try:
                VerifierBuilder().add_root_certificate(certificate).build().verify_message(reply, root)
                verified = True
                break
            except (VerificationError, ValueError) as error:
                failure = str(error)
        if not verified:
            raise BundleInvalid("token", f"{where}/token.tsr does not verify for this root: {failure}")
        gen_time = reply.tst_info.gen_time.astimezone(UTC)
        if _instant(proof.get("gen_time")) != gen_time:
            raise BundleInvalid("anchor", f"{where}: gen_time is not the token's ({gen_time.isoformat()})")
        checked = {"anchor": where, "sequence": sequence, "root": root.hex(), "gen_time": gen_time.isoformat()}
        result.anchors.append(checked)
        if sequence == len(events):
            result.head_anchor = {**checked, "tsa": proof.get("tsa", "")}
    if result.head_anchor is None:
        result.notes.append("the latest events are not anchored yet; earlier heads are")


def verify_bundle(
    source: str | Path | IO[bytes],
    *,
    trusted_certificates: list[bytes] | None = None,
    max_uncompressed_bytes: int | None = None,
) -> VerificationResult:
    """Check a bundle (a path or a seekable binary file object); the result names the first failure, if any.

    ``trusted_certificates``: PEM bytes of the CA certificates a token must chain to (default: the bundle's own).
    ``max_uncompressed_bytes``: refuse a ZIP whose members add up to more (a server checking uploads sets it:
    zipfile reads no member past its declared size, so the declared sizes bound the work).
    """
    result = VerificationResult(ok=False)
    try:
        try:
            bundle = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as error:
            raise BundleInvalid("manifest", f"not a readable ZIP file: {error}") from None
        with bundle:
            declared = sum(info.file_size for info in bundle.infolist())
            if max_uncompressed_bytes is not None and declared > max_uncompressed_bytes:
                raise BundleInvalid(
                    "manifest", f"the bundle unpacks to {declared} bytes, over {max_uncompressed_bytes}"
                )
            listed = _check_manifest(bundle)
            complaint, events = _check_timeline(bundle, result)
            _check_evidence(bundle, listed, events, result)
            _check_anchors(bundle, complaint, events, trusted_certificates, result)
    except BundleInvalid as invalid:
        result.check, result.failure = invalid.check, invalid.message
        return result
    result.ok = True
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a complaint evidence bundle offline.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--trust", type=Path, action="append", help="PEM file of a TSA CA certificate to trust")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    options = parser.parse_args(argv)
    trusted = [path.read_bytes() for path in options.trust] if options.trust else None
    result = verify_bundle(options.bundle, trusted_certificates=trusted)
    if options.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    elif result.ok:
        anchored = result.head_anchor
        print(f"OK: {result.complaint}, {result.events} events, {result.evidence_files} evidence files")
        print(f"head {result.head['hash']}")
        print(f"anchored at {anchored['gen_time']} by {anchored['tsa']}" if anchored else "head not anchored yet")
        for note in result.notes:
            print(f"note: {note}")
    else:
        print(f"FAILED ({result.check}): {result.failure}", file=sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
