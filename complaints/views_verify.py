"""The public check page, /verify/: anyone, no account, throttled with the API (complaints/verification.py)."""

from math import ceil

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .forms import VerifyForm
from .verification import VerifyRateThrottle, install_upload_handler, public_check, uploaded_sha256

TEMPLATE = "complaints/verify.html"


# The upload handler that hashes the file as it arrives must be installed before anything reads the body, and
# the CSRF middleware reads it: so the middleware is skipped and the same check runs in ``_post`` instead.
@method_decorator(csrf_exempt, name="dispatch")
class VerifyView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, TEMPLATE, {"form": VerifyForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        throttle = VerifyRateThrottle()
        if not throttle.allow_request(request, self):
            # Refused before the body is read: an upload is not even received.
            minutes = ceil((throttle.wait() or 60) / 60)
            refusal = ngettext(
                "Too many checks from your address. Try again in %(minutes)d minute.",
                "Too many checks from your address. Try again in %(minutes)d minutes.",
                minutes,
            ) % {"minutes": minutes}
            return render(request, TEMPLATE, {"form": VerifyForm(), "refusal": refusal}, status=429)
        install_upload_handler(request)
        return self._post(request)

    @method_decorator(csrf_protect)
    def _post(self, request: HttpRequest) -> HttpResponse:
        form = VerifyForm(request.POST, request.FILES, too_large=getattr(request, "verify_too_large", False))
        if not form.is_valid():
            return render(request, TEMPLATE, {"form": form})
        upload = form.cleaned_data["file"]
        if upload:
            result, bundle = public_check(upload=upload, upload_digest=uploaded_sha256(request, upload))
        else:
            result, bundle = public_check(digest=form.cleaned_data["sha256"])
        return render(request, TEMPLATE, {"form": VerifyForm(), "result": result, "bundle": bundle})
