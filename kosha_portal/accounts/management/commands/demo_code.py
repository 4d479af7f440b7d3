"""Print the current second-factor code of a demo account (DJANGO_DEBUG=true only), for a
newcomer trying the portal without an authenticator app."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Prints the current authenticator code of a demo account (only with DJANGO_DEBUG=true)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code works only with DJANGO_DEBUG=true.")
        user = get_user_model().objects.filter(username=username).first()
        profile = getattr(user, "account_profile", None) if user else None
        if user is None or profile is None or not profile.is_demo:
            raise CommandError(f"{username} is not a demo account (manage.py load_demo).")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError(f"{username} has no authenticator; run manage.py load_demo.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
