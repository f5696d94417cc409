"""The follow-up survey page (回访, Order 121 Art. 26): only the consumer who filed the complaint reaches it."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from portal.errors import IllegalTransition
from portal.web import add_service_errors

from .follow_up import follow_up_answer, follow_up_for_consumer
from .forms import FollowUpForm


class FollowUpView(LoginRequiredMixin, View):
    template_name = "complaints/follow_up.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render(follow_up_for_consumer(request.user, pk), FollowUpForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        follow_up = follow_up_for_consumer(request.user, pk)
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                follow_up_answer(complaint_id=pk, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            except IllegalTransition as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Thank you: your answer was recorded."))
                return redirect("complaints:complaint-detail", pk=pk)
        return self.render(follow_up, form, status=400)

    def render(self, follow_up, form: FollowUpForm, *, status: int = 200) -> HttpResponse:
        context = {
            "follow_up": follow_up,
            "complaint": follow_up.complaint,
            "form": form,
            "is_open": follow_up.is_open_at(timezone.now()),
        }
        return render(self.request, self.template_name, context, status=status)
