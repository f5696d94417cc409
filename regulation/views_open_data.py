"""The daily open-data files, for anyone: ``/open-data/complaints-YYYY-MM-DD.csv.gz`` (and ``.jsonl.gz``), and
``complaints-latest…`` for the newest. docs/open-data.md describes them."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from .open_data import release_for

# A dated file never changes; "latest" moves every day.
DATED_MAX_AGE = 7 * 24 * 3600
LATEST_MAX_AGE = 3600


@require_GET
def open_data_file(request, label: str, fmt: str):
    release = release_for(label)
    if release is None:
        raise Http404("No such open-data release.")
    name = release.csv_name if fmt == "csv" else release.jsonl_name
    try:
        stored = default_storage.open(name, "rb")
    except OSError:
        raise Http404("This open-data file is not available.") from None
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=f"complaints-{release.day.isoformat()}.{fmt}.gz",
        content_type="application/gzip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"public, max-age={LATEST_MAX_AGE if label == 'latest' else DATED_MAX_AGE}"
    response["X-Records"] = str(release.records)
    response["X-Content-SHA256"] = release.csv_sha256 if fmt == "csv" else release.jsonl_sha256
    return response
