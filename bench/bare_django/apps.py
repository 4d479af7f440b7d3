from django.apps import AppConfig


class BareConfig(AppConfig):
    name = "bench.bare_django"
    label = "bare_django"
