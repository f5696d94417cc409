"""The public registry: every registered platform's licences, scorecard, penalties and published narratives.

No login. Scorecards are cached per platform (regulation.statistics.platform_scorecards); narratives are read
on every request so a withdrawn consent takes effect at once.
"""

from django.http import Http404
from django.views.generic import ListView, TemplateView

from complaints.unreachable import unreachable_warning
from platforms.models import Platform

from .scorecard import COMPONENTS, SCORECARD_WINDOW_DAYS
from .statistics import (
    clocks_stopped_unreachable,
    oldest_as_of,
    platform_scorecards,
    public_penalties,
    published_narratives,
    registry_platform,
    registry_platforms,
    sibling_platforms,
)

REGISTRY_PAGE_SIZE = 25
SEARCH_MAX_LENGTH = 100


class RegistryListView(ListView):
    template_name = "regulation/public/list.html"
    context_object_name = "platforms"
    paginate_by = REGISTRY_PAGE_SIZE

    def search(self) -> str:
        return self.request.GET.get("q", "")[:SEARCH_MAX_LENGTH].strip()

    def verified_only(self) -> bool:
        return self.request.GET.get("verified") == "1"

    def get_queryset(self):
        return registry_platforms(search=self.search(), verified_only=self.verified_only())

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        scorecards = platform_scorecards(platform.pk for platform in context["platforms"])
        context.update(
            rows=[(platform, scorecards[platform.pk].scorecard) for platform in context["platforms"]],
            as_of=oldest_as_of(row.as_of for row in scorecards.values()),
            q=self.search(),
            verified=self.verified_only(),
            window_days=SCORECARD_WINDOW_DAYS,
        )
        return context


class RegistryDetailView(TemplateView):
    template_name = "regulation/public/detail.html"

    def get_context_data(self, **kwargs) -> dict:
        try:
            platform = registry_platform(self.kwargs["slug"])
        except Platform.DoesNotExist:
            raise Http404("No such platform.") from None
        return super().get_context_data(
            platform=platform,
            siblings=sibling_platforms(platform),
            stats=platform_scorecards([platform.pk])[platform.pk],
            components=COMPONENTS,
            penalties=public_penalties(platform),
            narratives=published_narratives(platform),
            # 消费预警 (消费者权益保护法实施条例 Art. 27; Order 121 Art. 38) once a regulator confirmed it unreachable.
            warning=unreachable_warning(platform),
            clocks_stopped_unreachable=(
                clocks_stopped_unreachable([platform.pk]).get(platform.pk, 0) if platform.is_unreachable else 0
            ),
            **kwargs,
        )
