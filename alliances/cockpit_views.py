"""The cockpit page of an edition (mounted at /coordination/editions/).

Coordinators of the edition and superusers: logged out → login, a user who
coordinates no edition → 403, an edition the user does not coordinate → 404.
The page composes the panels every app registered (:mod:`alliances.cockpit`).
"""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from alliances import cockpit
from alliances.access import coordinator_required


@coordinator_required
def edition(request, slug):
    programme = get_object_or_404(request.coordinated_programmes, slug=slug)
    now = timezone.now()
    today = timezone.localdate(now)
    panels, alerts = cockpit.build(programme, request=request, today=today, now=now)
    return render(
        request,
        "cockpit/edition.html",
        {"programme": programme, "panels": panels, "alerts": alerts, "today": today, "now": now},
    )
