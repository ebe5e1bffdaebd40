"""System checks of the core's own settings (the admin's are in ``alliances/admin_scoping.py``)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def bench_page_not_routed(app_configs=None, **kwargs):
    """``check --deploy``: the benchmark's baseline page (``BENCH_MINIMAL_VIEW``) is no page of a deployment."""
    if not settings.BENCH_MINIMAL_VIEW:
        return []
    return [
        checks.Warning(
            "BENCH_MINIMAL_VIEW is on: /bench-minimal/, a page that exists only for measuring, is routed.",
            hint="Leave BENCH_MINIMAL_VIEW off in production; bench/web.py and bench/pages.py turn it on themselves.",
            id="alliances.W001",
        )
    ]
