"""How generated rows are told from real ones, without a flag on the production models.

The generator names what it creates with reserved prefixes: platforms have the slug ``load-NNNNN`` and consumers
the username ``load-consumer-N``. A generated complaint is one filed by a generated consumer; everything else it
writes (clocks, events, evidence, responses) belongs to such a complaint. Complaints the benchmark files
(consumer ``bench-filer``) are therefore not generated, exactly like real filings.
"""

from django.db.models import QuerySet

from complaints.models import Complaint
from complaints.selectors import unscoped_complaints_for_system
from platforms.models import Platform

PLATFORM_SLUG_PREFIX = "load-"
CONSUMER_USERNAME_PREFIX = "load-consumer-"


def generated_platforms() -> QuerySet[Platform]:
    return Platform.objects.filter(slug__startswith=PLATFORM_SLUG_PREFIX)


def generated_complaints() -> QuerySet[Complaint]:
    return unscoped_complaints_for_system().filter(consumer__username__startswith=CONSUMER_USERNAME_PREFIX)


def real_data_present() -> bool:
    """Whether any platform or complaint was not written by the generator."""
    return (
        Platform.objects.exclude(slug__startswith=PLATFORM_SLUG_PREFIX).exists()
        or unscoped_complaints_for_system().exclude(consumer__username__startswith=CONSUMER_USERNAME_PREFIX).exists()
    )
