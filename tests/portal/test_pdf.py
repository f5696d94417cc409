"""WeasyPrint rendering: Chinese fonts embedded, user text escaped, only data: URIs and static files read."""

import base64
import contextlib
import io
import logging
import re
import socket
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from PIL import Image

from portal import pdf as portal_pdf
from portal.pdf import (
    SLOW_SUBSETTING_HINT,
    BlockedURL,
    StaticOnlyURLFetcher,
    check_font_subsetting,
    fast_font_subsetting,
    image_data_uri,
    render_pdf,
)
from tests.pdf_reading import compact, noto_cjk_fonts, page_count, pdf_images, pdf_text

TEST_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SCRIPT = "<script>alert('x')</script>"


def templates_with_test_dir() -> list[dict]:
    """The project's template settings plus tests/templates, kept out of the real templates/ folder."""
    engines = [dict(engine) for engine in django_settings.TEMPLATES]
    engines[0]["DIRS"] = [*engines[0]["DIRS"], TEST_TEMPLATES]
    return engines


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def sample_context(**overrides) -> dict:
    context = {
        "title": "投诉证据材料",
        "reference": "KM-2026-000123",
        "platform": "某某卡盟商城",
        "narrative": f"卡密一直没有发货，客服不回复。{SCRIPT}",
        "evidence": [{"name": "聊天记录.txt", "sha256": "ab" * 32}],
        "image_uri": image_data_uri(png_bytes(), "image/png"),
        "external_images": [],
    }
    return {**context, **overrides}


def render_sample(**overrides) -> bytes:
    with override_settings(TEMPLATES=templates_with_test_dir()):
        return render_pdf("pdf_test/sample.html", sample_context(**overrides))


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return render_sample()


@pytest.fixture(scope="module")
def sample_text(sample_pdf) -> str:
    return pdf_text(sample_pdf)


# --- rendering ----------------------------------------------------------------------------------------------


def test_render_returns_pdf_bytes(sample_pdf):
    assert sample_pdf.startswith(b"%PDF-")


def test_pdf_embeds_a_noto_cjk_font(sample_pdf):
    cjk_fonts = noto_cjk_fonts(sample_pdf)

    assert cjk_fonts
    assert all(font.embedded for font in cjk_fonts)  # the font program (a subset) is in the file


def test_pdf_font_names_are_in_the_pdf_bytes(sample_pdf):
    # The same fact without a PDF parser: WeasyPrint writes font dictionaries into compressed object streams,
    # so every Flate stream is inflated and searched too.
    inflated = [sample_pdf]
    for stream in re.finditer(rb"(?<!end)stream\r?\n", sample_pdf):
        with contextlib.suppress(zlib.error):
            inflated.append(zlib.decompressobj().decompress(sample_pdf[stream.end() :]))
    names = b"".join(inflated).replace(b"-", b"")

    assert b"NotoSansCJK" in names


def test_chinese_text_is_rendered_as_extractable_text(sample_text):
    assert "投诉证据材料" in compact(sample_text)
    assert "卡密一直没有发货" in compact(sample_text)


def test_user_text_with_markup_appears_literally(sample_text):
    assert compact(SCRIPT) in compact(sample_text)


def test_footer_numbers_the_pages(sample_text):
    assert "第1页/共1页" in compact(sample_text)


def test_inlined_image_is_drawn(sample_pdf):
    assert pdf_images(sample_pdf) == [(40, 20)]


def test_pdf_tables_use_the_fixed_layout():
    # WeasyPrint's automatic table layout takes minutes for a long Chinese narrative in one cell.
    base = (Path(django_settings.BASE_DIR) / "templates" / "pdf" / "base.html").read_text()
    assert "table-layout: fixed" in base


def test_long_chinese_text_in_a_table_cell_flows_onto_more_pages():
    pdf = render_sample(narrative="很长的陈述。" * 400)

    assert page_count(pdf) >= 2
    assert f"第2页/共{page_count(pdf)}页" in compact(pdf_text(pdf))


def test_external_image_is_skipped_without_any_network_connection(monkeypatch):
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: attempts.append(address))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: attempts.append(args) or [])

    pdf = render_sample(external_images=["http://tracker.example/pixel.png", "file:///etc/passwd"])

    assert pdf.startswith(b"%PDF-")
    assert attempts == []


# --- font subsetting: HarfBuzz, not the fontTools fallback ---------------------------------------------------


def test_weasyprint_subsets_fonts_with_harfbuzz():
    # Fails on a machine without libharfbuzz-subset0: every dossier would then take ~30 s instead of < 1 s.
    assert fast_font_subsetting(), SLOW_SUBSETTING_HINT


def test_rendering_a_chinese_pdf_does_not_fall_back_to_fonttools(caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")

    render_sample()

    fallbacks = [record.getMessage() for record in caplog.records if "fontTools" in record.getMessage()]
    assert not fallbacks, SLOW_SUBSETTING_HINT


def test_system_check_warns_when_pdfs_would_be_slow(monkeypatch):
    monkeypatch.setattr(portal_pdf.weasyprint_ffi, "harfbuzz_subset", None)

    assert [message.id for message in check_font_subsetting()] == ["portal.W001"]


def test_system_check_is_quiet_with_harfbuzz_subset():
    if not fast_font_subsetting():
        pytest.skip("HarfBuzz-Subset is not installed (test_weasyprint_subsets_fonts_with_harfbuzz fails)")
    assert check_font_subsetting() == []


# --- the fetcher --------------------------------------------------------------------------------------------


@pytest.fixture
def static_dirs(settings, tmp_path):
    """A STATICFILES_DIRS entry, a STATIC_ROOT and a secret file outside both."""
    static_dir = tmp_path / "static"
    (static_dir / "css").mkdir(parents=True)
    (static_dir / "css" / "pdf.css").write_text("h1 { color: red }")
    static_root = tmp_path / "collected"
    static_root.mkdir()
    (static_root / "logo.png").write_bytes(png_bytes())
    (tmp_path / "secret.txt").write_text("SECRET_KEY=1")
    (static_dir / "escape.txt").symlink_to(tmp_path / "secret.txt")
    settings.STATICFILES_DIRS = [static_dir]
    settings.STATIC_ROOT = static_root
    settings.STATIC_URL = "/static/"
    return tmp_path


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/font.woff2",
        "ftp://example.com/x.png",
        "file:///etc/passwd",
        "file://attacker.example/share/x.png",
        "file:///static/../../etc/passwd",
        "file:///static/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_fetcher_refuses_anything_but_data_and_static_files(url, static_dirs):
    with pytest.raises(BlockedURL):
        StaticOnlyURLFetcher().fetch(url)


def test_fetcher_refuses_a_file_outside_the_static_dirs(static_dirs):
    with pytest.raises(BlockedURL):
        StaticOnlyURLFetcher().fetch((static_dirs / "secret.txt").as_uri())


def test_fetcher_refuses_a_symlink_leading_out_of_the_static_dirs(static_dirs):
    with pytest.raises(BlockedURL):
        StaticOnlyURLFetcher().fetch((static_dirs / "static" / "escape.txt").as_uri())


def test_fetcher_serves_data_uris():
    response = StaticOnlyURLFetcher().fetch("data:text/plain;base64," + base64.b64encode(b"hi").decode())

    assert response.read() == b"hi"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("file:///static/css/pdf.css", b"h1 { color: red }", id="static-url-in-staticfiles-dirs"),
        pytest.param("file:///static/logo.png", None, id="static-url-in-static-root"),
    ],
)
def test_fetcher_maps_static_urls_to_the_static_dirs(url, expected, static_dirs):
    response = StaticOnlyURLFetcher().fetch(url)

    body = response.read()
    assert body == expected if expected is not None else body.startswith(b"\x89PNG")


def test_fetcher_serves_a_file_url_inside_a_static_dir(static_dirs):
    response = StaticOnlyURLFetcher().fetch((static_dirs / "static" / "css" / "pdf.css").as_uri())

    assert response.read() == b"h1 { color: red }"
    assert response.content_type == "text/css"


# --- inlining images ----------------------------------------------------------------------------------------


def test_image_data_uri_encodes_the_bytes():
    assert image_data_uri(b"\x89PNG", "image/png") == "data:image/png;base64,iVBORw=="


@pytest.mark.parametrize("content_type", ["image/svg+xml", "text/html", "application/pdf"])
def test_image_data_uri_refuses_non_raster_types(content_type):
    with pytest.raises(ValueError, match="cannot inline"):
        image_data_uri(b"<svg/>", content_type)
