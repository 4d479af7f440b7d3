"""Demo history for the program reports: several months of consultations (with replies and
status history) across industries and municipalities, and finished dispatches with visits and
surveys, over last fiscal year and this one. Each app's ``demo.load_history`` writes its own rows;
this runs after the apps' demo loaders (idempotent)."""

from consultations.demo import load_history as consultations_history
from dispatch.demo import load_history as dispatch_history
from dispatch.models import Expert


def load(stdout):
    consultations_history(stdout)
    experts = list(Expert.objects.filter(active=True).order_by("pk")[:3])
    if experts:
        dispatch_history(stdout, experts)
