import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
# Modules, URL patterns and templates loaded at start-up live as long as the process. Frozen, they are left out
# of full garbage collections, which a statistics page's few thousand rows trigger every other request: such a
# collection took 85 ms with them and 12 ms without (docs/benchmarks.md). Forked workers also keep sharing the
# frozen pages instead of copying them when the collector would have touched them.
gc.freeze()
