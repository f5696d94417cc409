"""The chargeback pack: one ZIP a consumer sends to their payment channel to ask for the money back.

When a platform takes the payment and does not deliver — or vanishes (跑路) — the quickest way back to the money is
often the payment channel's own dispute process: Alipay's and WeChat Pay's 交易投诉 / 交易仲裁, a bank card's
dispute (拒付) at the issuing bank. The consumer guide's advice (向支付平台申请交易仲裁: if the channel shows the
payment as successful and the platform did not perform, the channel may step in and freeze the merchant's funds)
is what the statement asks for, per channel.

The pack holds:

- ``dossier.pdf`` — the complaint dossier (``complaints.dossier``), the one kept at the current chain head or a
  fresh render;
- ``payment-vouchers/`` — the complaint's evidence of the payment-voucher kind, exactly as received;
- ``statement.pdf`` — one page in Chinese naming the order, the amount, the payment transaction number, what the
  platform did (the regulator's confirmation that it cannot be reached, with date, office and reference, when
  there is one; otherwise only that it did not deliver and did not answer) and the request to the channel.
  Signed and registered like every PDF the portal issues, so /verify/ recognises it;
- ``manifest.json`` — SHA-256 and size of every other file.

Building runs in a Celery task (``build_chargeback_pack_task``) with progress the page polls, as the dossier's
background export does. Only the consumer who filed, and regulators whose scope holds the complaint, may build or
download a pack (``chargeback_complaint_for``); anyone else gets a 404.
"""

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files import File
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation

from portal.access import acts_as_regulator, is_consumer
from portal.audit import log_access
from portal.celery import enqueue
from portal.models import IssuedDocumentKind
from portal.pdf import record_issued_document, render_pdf, sign_pdf

from .bundle import _ManifestWriter
from .calendar import SHANGHAI
from .dossier import DOSSIER_LANGUAGE, dossier_render_and_store, dossier_stored
from .models import ChargebackPack, Complaint, DossierExportStatus, EvidenceKind, PaymentChannel
from .selectors import complaints_visible_to

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
DOSSIER = "dossier.pdf"
STATEMENT = "statement.pdf"
VOUCHERS = "payment-vouchers"
FORMAT_VERSION = 1

PROGRESS_STARTED = 5
PROGRESS_DOSSIER = 60
PROGRESS_STATEMENT = 80
PROGRESS_ZIPPED = 95


@dataclass(frozen=True)
class ChannelRequest:
    """What to ask one payment channel for, and where (the consumer guide: 向支付平台申请交易仲裁)."""

    name: str
    procedure: str
    where: str
    request: str


CHANNEL_REQUESTS = {
    PaymentChannel.ALIPAY: ChannelRequest(
        name="支付宝",
        procedure="交易投诉 / 交易仲裁",
        where="支付宝 App：我的 → 账单 → 该笔交易 → 对此订单有疑问 → 投诉（交易争议）",
        request=(
            "该笔交易在支付宝显示为“交易成功”，但商家未履约。请求支付宝介入处理：冻结该商户的待结算资金，"
            "并将本笔货款全额退还至付款账户。"
        ),
    ),
    PaymentChannel.WECHAT: ChannelRequest(
        name="微信支付",
        procedure="交易投诉",
        where="微信：我 → 服务 → 钱包 → 账单 → 该笔交易 → 对订单有疑惑 → 投诉商家",
        request=(
            "该笔交易在微信支付显示为“支付成功”，但商家未履约。请求微信支付介入处理：督促商户退款，"
            "必要时冻结商户资金，并将本笔货款全额退还至付款账户。"
        ),
    ),
    PaymentChannel.BANK_CARD: ChannelRequest(
        name="发卡银行",
        procedure="交易争议 / 拒付（退单）",
        where="发卡银行客服热线、网点或手机银行的“交易争议 / 拒付”申请入口",
        request=(
            "本人已付款，但商户未提供商品或服务（商品未收到）。请求发卡银行依卡组织争议规则发起拒付（退单），"
            "将本笔交易金额全额退还至本人银行卡。"
        ),
    ),
    PaymentChannel.OTHER: ChannelRequest(
        name="支付机构",
        procedure="交易争议",
        where="该支付机构的客服或交易争议申请入口",
        request="本人已付款，但商户未履约。请求支付机构介入处理交易争议，并将本笔货款全额退还至付款账户。",
    ),
}


def chargeback_complaint_for(user, pk: int) -> Complaint:
    """The complaint ``pk`` if ``user`` may build its chargeback pack: the consumer who filed it, or a regulator
    whose scope holds it. Anyone else — the platform's staff included — gets a 404, as for a missing one."""
    # Narrowed before the lookup, so that a complaint the caller may see but not pack answers exactly like a
    # missing one. A consumer sees only their own complaints; platform staff and keys get none.
    if acts_as_regulator(user) or is_consumer(user):
        complaints = complaints_visible_to(user)
    else:
        complaints = Complaint.objects.none()
    return get_object_or_404(complaints.select_related("platform"), pk=pk)


def chargeback_pack_for(complaint: Complaint, pack_id) -> ChargebackPack:
    """One pack of a complaint already fetched by ``chargeback_complaint_for``; 404 for any other id."""
    try:
        return complaint.chargeback_packs.get(pk=pack_id)
    except (ChargebackPack.DoesNotExist, ValueError):
        raise Http404("No such chargeback pack.") from None


def chargeback_latest(complaint: Complaint) -> ChargebackPack | None:
    return complaint.chargeback_packs.order_by("-created_at", "-pk").first()


def chargeback_pack_request(*, complaint: Complaint, by) -> ChargebackPack:
    """Queue a pack for ``complaint`` (fetched through ``chargeback_complaint_for``), or return the requester's
    unfinished one: a second click while the first is being built does not build twice."""
    requested_by = by if getattr(by, "pk", None) else None
    with transaction.atomic():
        pack = (
            ChargebackPack.objects.select_for_update()
            .filter(
                complaint=complaint,
                requested_by=requested_by,
                status__in=[DossierExportStatus.PENDING, DossierExportStatus.RUNNING],
            )
            .first()
        )
        if pack is None:
            pack = ChargebackPack.objects.create(complaint=complaint, requested_by=requested_by)
            transaction.on_commit(lambda: _queue_build(pack.pk))
    return pack


def _queue_build(pack_id: int) -> None:
    from .tasks import build_chargeback_pack_task

    if not enqueue(build_chargeback_pack_task, pack_id):
        chargeback_pack_failed(pack_id, reason=ChargebackPack.NOT_QUEUED)


def chargeback_pack_failed(pack_id: int, *, reason: str) -> None:
    """Mark an unfinished pack failed; its requester sees why and can ask again, which starts a new one."""
    ChargebackPack.objects.filter(pk=pack_id).exclude(status=DossierExportStatus.DONE).update(
        status=DossierExportStatus.FAILED, error=reason[:500], finished_at=timezone.now()
    )


def _set_progress(pack_id: int, percent: int) -> None:
    ChargebackPack.objects.filter(pk=pack_id).update(progress=percent)


def pack_filename(complaint: Complaint) -> str:
    return f"{complaint.reference}-chargeback.zip"


def _voucher_path(evidence) -> str:
    extension = os.path.splitext(evidence.original_name)[1].lower()
    safe_extension = extension if extension[1:].isalnum() and len(extension) <= 10 else ""
    return f"{VOUCHERS}/{evidence.pk}{safe_extension}"


def _file_digest(stored) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with stored.open("rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def statement_context(complaint: Complaint, *, attachments: list[dict]) -> dict:
    """What the statement says. ``attachments`` are the other files of the pack, with their SHA-256."""
    platform = complaint.platform
    unreachable = platform is not None and platform.is_unreachable
    return {
        "complaint": complaint,
        "platform_name": complaint.platform_display_name,
        "platform": platform,
        "unreachable": unreachable,
        "unreachable_office": platform.unreachable_office if unreachable else None,
        "platform_answered": complaint.first_answered_at is not None,
        "channel": CHANNEL_REQUESTS.get(complaint.payment_channel, CHANNEL_REQUESTS[PaymentChannel.OTHER]),
        "attachments": attachments,
        "generated_at": timezone.now(),
    }


def render_statement(complaint: Complaint, *, attachments: list[dict]) -> bytes:
    """The one-page statement to the payment channel, signed and registered for /verify/."""
    with translation.override(DOSSIER_LANGUAGE), timezone.override(SHANGHAI):
        pdf = render_pdf("pdf/chargeback_statement.html", statement_context(complaint, attachments=attachments))
    pdf = sign_pdf(pdf, reason=f"交易争议申请说明 {complaint.reference}")
    record_issued_document(
        kind=IssuedDocumentKind.CHARGEBACK_STATEMENT, data=pdf, reference=complaint.reference, obj=complaint
    )
    return pdf


def write_pack(complaint: Complaint, target, *, by=None, on_progress=None) -> None:
    """Write ``complaint``'s chargeback pack as a ZIP into the binary file ``target``.

    ``complaint`` must come from ``chargeback_complaint_for`` (or a system job): no access check is made here.
    """
    progress = on_progress or (lambda percent: None)
    dossier = dossier_stored(complaint) or dossier_render_and_store(complaint=complaint, by=by)
    progress(PROGRESS_DOSSIER)
    vouchers = []
    for evidence in complaint.evidence.filter(kind=EvidenceKind.PAYMENT_VOUCHER).order_by("received_at", "pk"):
        try:
            sha256, size = _file_digest(evidence.file)
        except OSError:
            logger.error("evidence %s: file missing from storage, left out of the chargeback pack", evidence.pk)
            continue
        vouchers.append((evidence, _voucher_path(evidence), sha256, size))
    dossier_sha256, dossier_size = _file_digest(dossier.file)
    attachments = [{"path": DOSSIER, "sha256": dossier_sha256, "size": dossier_size}] + [
        {"path": path, "sha256": sha256, "size": size, "original_name": evidence.original_name}
        for evidence, path, sha256, size in vouchers
    ]
    statement = render_statement(complaint, attachments=attachments)
    progress(PROGRESS_STATEMENT)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        writer = _ManifestWriter(archive)
        writer.write_bytes(STATEMENT, statement)
        with dossier.file.open("rb") as pdf:
            writer.copy_stream(DOSSIER, pdf)
        voucher_entries = []
        for evidence, path, _sha256, _size in vouchers:
            with evidence.file.open("rb") as stored:
                entry = writer.copy_stream(path, stored)
            voucher_entries.append(
                {
                    "evidence_id": evidence.pk,
                    "path": path,
                    "sha256": entry["sha256"],
                    "original_name": evidence.original_name,
                    "content_type": evidence.content_type,
                    "received_at": evidence.received_at.astimezone(UTC).isoformat(),
                }
            )
        platform = complaint.platform
        manifest = {
            "format_version": FORMAT_VERSION,
            "complaint": complaint.reference,
            "payment_channel": complaint.payment_channel,
            "generated_at": timezone.now().astimezone(UTC).isoformat(),
            "platform_unreachable": (
                {
                    "confirmed_at": platform.unreachable_confirmed_at.astimezone(UTC).isoformat(),
                    "office": platform.unreachable_office.name if platform.unreachable_office_id else "",
                    "reference": platform.unreachable_reference,
                }
                if platform is not None and platform.is_unreachable
                else None
            ),
            "dossier_head_hash": dossier.head_hash,
            "files": writer.files,
            "payment_vouchers": voucher_entries,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")


def chargeback_pack_run(pack_id: int) -> ChargebackPack | None:
    """Build a queued pack into the default (private) storage. Running it again is harmless: a finished pack is
    left as it is, a failed or interrupted one is built again. None when the pack no longer exists."""
    claimed = (
        ChargebackPack.objects.filter(pk=pack_id)
        .exclude(status=DossierExportStatus.DONE)
        .update(status=DossierExportStatus.RUNNING, progress=PROGRESS_STARTED, error="")
    )
    pack = (
        ChargebackPack.objects.select_related("complaint__platform__unreachable_office", "requested_by")
        .filter(pk=pack_id)
        .first()
    )
    if not claimed or pack is None:
        return pack
    try:
        with tempfile.TemporaryFile() as spool:
            write_pack(
                pack.complaint,
                spool,
                by=pack.requested_by,
                on_progress=lambda percent: _set_progress(pack_id, percent),
            )
            _set_progress(pack_id, PROGRESS_ZIPPED)
            spool.seek(0)
            digest, size = hashlib.sha256(), 0
            while chunk := spool.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
            spool.seek(0)
            pack.file.save(pack_filename(pack.complaint), File(spool), save=False)
    except SoftTimeLimitExceeded:
        logger.warning("chargeback pack %s stopped at its time limit", pack_id)
        chargeback_pack_failed(pack_id, reason=ChargebackPack.TIMED_OUT)
        pack.refresh_from_db()
        return pack
    except Exception as error:
        chargeback_pack_failed(pack_id, reason=str(error))
        raise
    pack.status = DossierExportStatus.DONE
    pack.progress = 100
    pack.sha256 = digest.hexdigest()
    pack.size = size
    pack.finished_at = timezone.now()
    pack.save(update_fields=["file", "status", "progress", "sha256", "size", "finished_at"])
    return pack


def chargeback_pack_build_now(*, complaint: Complaint, by=None) -> ChargebackPack:
    """Build a pack for ``complaint`` in this process, without the queue, through the builder the task runs
    (``chargeback_pack_run``): for system jobs such as the demo data. No access check is made here."""
    pack = ChargebackPack.objects.create(complaint=complaint, requested_by=by if getattr(by, "pk", None) else None)
    return chargeback_pack_run(pack.pk)


def chargeback_download_response(request, complaint: Complaint, pack: ChargebackPack) -> FileResponse:
    """A finished pack as a logged, never-sniffed attachment."""
    log_access(request, action="chargeback_download", obj=complaint, detail=complaint.reference)
    response = FileResponse(
        pack.file.open("rb"), as_attachment=True, filename=pack_filename(complaint), content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
