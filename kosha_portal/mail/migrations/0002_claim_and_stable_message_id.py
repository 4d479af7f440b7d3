from django.db import migrations, models

import kosha_portal.mail.models


def keep_existing_message_ids(apps, schema_editor):
    # Rows written before this migration went out (or were tried) with the Message-ID derived from
    # their id; they keep it so that a retry still matches what a receiver may already hold.
    OutboundEmail = apps.get_model("mail", "OutboundEmail")
    for pk in OutboundEmail.objects.filter(message_id__isnull=True).values_list("pk", flat=True):
        OutboundEmail.objects.filter(pk=pk).update(message_id=f"<outbox-{pk}@kosha-portal>")


class Migration(migrations.Migration):

    dependencies = [
        ("mail", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="outboundemail",
            name="outbound_email_status_valid",
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "送信待ち"),
                    ("sending", "送信中"),
                    ("sent", "送信済み"),
                    ("failed", "送信失敗"),
                    ("cancelled", "取消"),
                ],
                db_index=True,
                default="pending",
                max_length=20,
                verbose_name="状態",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboundemail",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["pending", "sending", "sent", "failed", "cancelled"])
                ),
                name="outbound_email_status_valid",
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="送信開始日時"),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="message_id",
            field=models.CharField(editable=False, max_length=255, null=True),
        ),
        migrations.RunPython(keep_existing_message_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outboundemail",
            name="message_id",
            field=models.CharField(
                default=kosha_portal.mail.models.new_message_id,
                editable=False,
                max_length=255,
                unique=True,
                verbose_name="Message-ID",
            ),
        ),
    ]
