"""Posting on a complaint's thread from the complaint page (every role) and from the platform's answer page.

On an error the page comes back with the message and the error next to it; on success the thread is shown.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from portal.errors import DomainError
from portal.web import add_service_errors

from . import thread
from .forms_thread import MessageForm
from .models import Complaint
from .views_consumer import render_complaint_detail
from .views_platform import ComplaintActionView as PlatformActionView


def post_message(request: HttpRequest, complaint_id: int, form: MessageForm) -> None:
    """Call the service with the form's data; raises what it raises."""
    thread.message_post(
        complaint_id=complaint_id,
        by=request.user,
        body=form.cleaned_data["body"],
        files=form.cleaned_data["files"],
    )


SUCCESS_MESSAGE = _("Your message was posted on the thread. The complaint's status and deadlines are unchanged.")


class MessagePostView(LoginRequiredMixin, View):
    """The thread's form on the complaint page (consumer, platform staff, regulator)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = MessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                post_message(request, pk, form)
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
                return render_complaint_detail(request, pk, thread_form=form, status_code=403)
            except DomainError as error:
                form.add_error(None, error.message)
                return render_complaint_detail(request, pk, thread_form=form, status_code=error.status_code)
            else:
                messages.success(request, SUCCESS_MESSAGE)
                return redirect(reverse("complaints:complaint-detail", args=[pk]) + "#thread")
        # The page with the errors next to the message, as every form of the site answers (200).
        return render_complaint_detail(request, pk, thread_form=form)


class PlatformMessagePostView(PlatformActionView):
    """The thread's form on the platform's answer page."""

    form_class = MessageForm
    form_name = "thread_form"
    success_message = SUCCESS_MESSAGE

    def perform(self, complaint: Complaint, form: MessageForm) -> None:
        post_message(self.request, complaint.pk, form)

    def success_url(self, complaint: Complaint) -> str:
        return reverse("complaints:respond-complaint", args=[complaint.pk]) + "#thread"
