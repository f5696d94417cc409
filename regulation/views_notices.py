"""A desk notice as a download, for whoever may read it (``notices_visible_to``): anyone else gets a 404."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404
from django.views import View

from portal.audit import log_access

from .notices import notice_pdf_response, notices_visible_to


class NoticePdfView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        notice = get_object_or_404(notices_visible_to(request.user), pk=pk)
        log_access(request, action="notice_download", obj=notice.complaint, detail=notice.number)
        return notice_pdf_response(notice)
