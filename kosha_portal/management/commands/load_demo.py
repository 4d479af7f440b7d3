"""Load the program's demo data (idempotent): run it as often as you like."""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

# Order matters: later modules use what earlier ones created.
DEMO_MODULES = [
    "kosha_portal.accounts.demo",
    "consultations.demo",
    "dispatch.demo",
    "seminars.demo",
    "school.demo",
    "announcements.demo",
    "kosha_portal.reports.demo",
]


class Command(BaseCommand):
    help = (
        "Loads demo data: program years, consultations, experts, seminars, school cohort, logins."
    )

    def handle(self, *args, **options):
        for name in DEMO_MODULES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            with transaction.atomic():
                module.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
