"""The staff page for disclosure and deletion requests, in the admin's look: search, see
everything the portal holds about the person, export it as a file for them, erase it with a
reason. Only administrators (the ``privacy.handle_privacy_request`` permission) get in; other
staff get 403."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosha_portal.errors import DomainError

from . import services
from .forms import EraseForm, HiddenPersonForm, PersonForm
from .models import HANDLE_PERMISSION, PrivacyRequest


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_at", "criteria", "handled_by", "exported_at", "erased_at"]
    list_filter = ["criteria"]
    date_hierarchy = "created_at"
    list_select_related = ["handled_by"]
    readonly_fields = [
        "created_at",
        "handled_by",
        "criteria",
        "subject_digest",
        "found",
        "exported_at",
        "erased_at",
        "erased",
        "kept",
        "reason",
    ]
    fields = readonly_fields

    def _allowed(self, request) -> bool:
        return request.user.is_active and request.user.has_perm(HANDLE_PERMISSION)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            path(
                "<int:pk>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="{}_{}_erase".format(*info),
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **extra,
        }

    def add_view(self, request, form_url="", extra_context=None):
        """Step 1: who is it about? Step 2: what the portal holds about them."""
        if not self._allowed(request):
            raise PermissionDenied
        form = PersonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            person = form.cleaned_data["person"]
            privacy_request, findings = services.privacy_search(person=person, actor=request.user)
            return TemplateResponse(
                request,
                "admin/privacy/results.html",
                self._context(
                    request,
                    _("保有個人データの検索結果"),
                    privacy_request=privacy_request,
                    findings=findings,
                    carry=HiddenPersonForm(initial=form.cleaned_data),
                ),
            )
        return TemplateResponse(
            request,
            "admin/privacy/search.html",
            self._context(request, _("開示・削除請求を受け付ける"), form=form),
        )

    def _person(self, request, privacy_request):
        form = HiddenPersonForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied
        person = form.cleaned_data["person"]
        if person.digest != privacy_request.subject_digest:
            raise PermissionDenied
        return person, form

    def export_view(self, request, pk):
        """The file to give the person (ZIP: JSON, CSV per kind, their files and PDFs)."""
        if not self._allowed(request) or request.method != "POST":
            raise PermissionDenied
        privacy_request = get_object_or_404(PrivacyRequest, pk=pk)
        person, _form = self._person(request, privacy_request)
        content = services.privacy_export(
            request=privacy_request, person=person, actor=request.user
        )
        stamp = timezone.localtime().strftime("%Y%m%d")
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="disclosure-{privacy_request.pk}-{stamp}.zip"'
        )
        response["Cache-Control"] = "private, no-store"
        return response

    def erase_view(self, request, pk):
        """Confirmation (what goes, what stays and why), a reason, then the erasure."""
        if not self._allowed(request) or request.method != "POST":
            raise PermissionDenied
        privacy_request = get_object_or_404(PrivacyRequest, pk=pk)
        person, carried = self._person(request, privacy_request)
        form = EraseForm(
            request.POST if "reason" in request.POST else None, initial=carried.cleaned_data
        )
        if form.is_bound and form.is_valid():
            try:
                erased = services.privacy_erase(
                    request=privacy_request,
                    person=person,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except DomainError as error:
                error.add_to_form(form)
            else:
                messages.success(
                    request,
                    _(
                        "個人情報を消去しました（%(count)s件）。請求された方には、請求を受け付けた方法でお知らせください。"
                    )
                    % {"count": sum(erased.values())},
                )
                return redirect(
                    reverse("admin:privacy_privacyrequest_change", args=[privacy_request.pk])
                )
        findings = services.person_findings(person)
        return TemplateResponse(
            request,
            "admin/privacy/erase_confirm.html",
            self._context(
                request,
                _("個人情報の消去の確認"),
                privacy_request=privacy_request,
                findings=findings,
                form=form,
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "title": gettext_lazy("請求の記録"),
        }
        return super().change_view(request, object_id, form_url, extra_context)
