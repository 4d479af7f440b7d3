"""Visits get a stable identity instead of a stored 第N回.

The stored ``number`` could repeat after a cancellation (the lowest free number was reused) and
did not follow the dates. 第N回 is now computed from the dates (dispatch.selectors); this
migration keeps what the old rows knew:

- ``report_number`` (the number a filed report prints) for every reported visit: its place
  among the dispatch's visits not cancelled, in the order held (reported date and time, else
  the scheduled ones, then id) — the same order the portal numbers by from now on;
- the reasons of past cancellations and withdrawals, which were only kept in the audit trail,
  copied onto ``Visit.cancel_reason`` and ``Dispatch.withdrawal_reason`` so that the pages can
  show them.

Reports already rendered keep the number they printed until their next rendering (which the
portal requests on every change of the company's confirmation)."""

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _held_key(visit):
    day = visit.report_date or visit.date
    start = visit.report_start or visit.start_time or datetime.time.max
    return (day, start, visit.pk)


def backfill(apps, schema_editor):
    Visit = apps.get_model("dispatch", "Visit")
    Dispatch = apps.get_model("dispatch", "Dispatch")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")

    by_dispatch = {}
    for visit in Visit.objects.exclude(status="cancelled").order_by("pk"):
        by_dispatch.setdefault(visit.dispatch_id, []).append(visit)
    for visits in by_dispatch.values():
        for position, visit in enumerate(sorted(visits, key=_held_key), start=1):
            if visit.reported_at is not None:
                visit.report_number = position
                visit.save(update_fields=["report_number"])

    def reasons(model_name, action):
        content_type = ContentType.objects.filter(app_label="dispatch", model=model_name).first()
        if content_type is None:
            return {}
        found = {}
        events = AuditEvent.objects.filter(content_type=content_type, action=action).order_by(
            "pk"
        )
        for event in events:
            reason = (event.changes or {}).get("reason")
            if reason:
                found[event.object_id] = reason
        return found

    cancel_reasons = reasons("visit", "visit.cancel")
    for visit in Visit.objects.filter(status="cancelled", cancel_reason=""):
        if str(visit.pk) in cancel_reasons:
            visit.cancel_reason = cancel_reasons[str(visit.pk)]
            visit.save(update_fields=["cancel_reason"])
    withdraw_reasons = reasons("dispatch", "dispatch.withdraw")
    for dispatch in Dispatch.objects.filter(status="withdrawn", withdrawal_reason=""):
        if str(dispatch.pk) in withdraw_reasons:
            dispatch.withdrawal_reason = withdraw_reasons[str(dispatch.pk)]
            dispatch.save(update_fields=["withdrawal_reason"])


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0005_report_indexes'),
        ('audit', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='visit',
            options={'ordering': ['dispatch', 'date', 'start_time', 'pk'], 'verbose_name': '派遣（各回）', 'verbose_name_plural': '派遣（各回）'},
        ),
        migrations.AddField(
            model_name='dispatch',
            name='company_data_supplied',
            field=models.JSONField(blank=True, default=dict, verbose_name='申込時に補っていただいた事業者情報'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='company_data_supplied_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='事業者情報を補った日時'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='company_data_supplied_by',
            field=models.CharField(blank=True, max_length=300, verbose_name='事業者情報を補った方'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='completion_override_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='完了報告の受付を認めた日時'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='completion_override_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='完了報告の受付を認めた職員'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='completion_override_reason',
            field=models.TextField(blank=True, verbose_name='企業確認を待たずに完了報告を受け付ける理由'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='contact_phone',
            field=models.CharField(blank=True, max_length=20, verbose_name='電話番号'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='share_description_with_expert',
            field=models.BooleanField(default=False, help_text='同意がある場合に限り、相談時にご記入いただいた文章を派遣専門家の画面に表示します。', verbose_name='ご相談内容を派遣専門家と共有することへの同意'),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='withdrawal_reason',
            field=models.TextField(blank=True, verbose_name='取下げの理由'),
        ),
        migrations.AddField(
            model_name='visit',
            name='cancel_reason',
            field=models.TextField(blank=True, verbose_name='取消しの理由'),
        ),
        migrations.AddField(
            model_name='visit',
            name='report_number',
            field=models.PositiveSmallIntegerField(blank=True, help_text='実施報告を提出した時点の回（第N回）です。報告書に印字されます。', null=True, verbose_name='報告書の回'),
        ),
        migrations.AlterField(
            model_name='dispatch',
            name='status',
            field=models.CharField(choices=[('applied', '申込受付'), ('decided', '派遣決定'), ('rejected', '不採択'), ('completed', '完了報告済み'), ('closed', '終了'), ('withdrawn', '取下げ'), ('expired', '期間満了')], db_index=True, default='applied', max_length=20, verbose_name='状態'),
        ),
        migrations.AlterField(
            model_name='visit',
            name='status',
            field=models.CharField(choices=[('scheduled', '予定'), ('reported', '報告済み（企業確認待ち）'), ('confirmed', '企業確認済み'), ('disputed', '企業から異議あり'), ('cancelled', '取消し'), ('no_show', '不実施（企業不在）')], db_index=True, default='scheduled', max_length=20, verbose_name='状態'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='visit',
            name='visit_number_positive',
        ),
        migrations.RemoveField(
            model_name='visit',
            name='number',
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.CheckConstraint(condition=models.Q(('report_number__isnull', True), ('report_number__gte', 1), _connector='OR'), name='visit_report_number_positive'),
        ),
    ]
