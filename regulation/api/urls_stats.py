from django.urls import path

from .stats import OperatorStatsView, PlatformStatsView, RepeatOffendersView, TrendView

urlpatterns = [
    path("stats/platforms/", PlatformStatsView.as_view(), name="stats-platforms"),
    path("stats/operators/", OperatorStatsView.as_view(), name="stats-operators"),
    path("stats/repeat-offenders/", RepeatOffendersView.as_view(), name="stats-repeat-offenders"),
    path("stats/trend/", TrendView.as_view(), name="stats-trend"),
]
