# Check-in token (QR code) and short code for every registration. Existing registrations get
# theirs here: the columns are added without a constraint, filled row by row (a short code unique
# within its seminar) and only then made unique.

import secrets

from django.db import migrations, models

import seminars.models

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def fill(apps, schema_editor):
    Registration = apps.get_model("seminars", "Registration")
    taken: dict[int, set[str]] = {}
    for registration in Registration.objects.order_by("pk").iterator():
        used = taken.setdefault(registration.seminar_id, set())
        code = ""
        while not code or code in used:
            code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        used.add(code)
        registration.checkin_token = secrets.token_urlsafe(24)
        registration.checkin_code = code
        registration.save(update_fields=["checkin_token", "checkin_code"])


class Migration(migrations.Migration):
    dependencies = [
        ("seminars", "0003_registration_requested_format_survey_intentions"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="checkin_token",
            field=models.CharField(
                editable=False, max_length=64, null=True, verbose_name="受付用トークン"
            ),
        ),
        migrations.AddField(
            model_name="registration",
            name="checkin_code",
            field=models.CharField(
                editable=False, max_length=8, null=True, verbose_name="受付コード"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="registration",
            name="checkin_token",
            field=models.CharField(
                default=seminars.models.checkin_token_new,
                editable=False,
                max_length=64,
                unique=True,
                verbose_name="受付用トークン",
            ),
        ),
        migrations.AlterField(
            model_name="registration",
            name="checkin_code",
            field=models.CharField(
                default=seminars.models.checkin_code_new,
                editable=False,
                max_length=8,
                verbose_name="受付コード",
            ),
        ),
        migrations.AddConstraint(
            model_name="registration",
            constraint=models.UniqueConstraint(
                fields=("seminar", "checkin_code"), name="registration_checkin_code_unique"
            ),
        ),
    ]
