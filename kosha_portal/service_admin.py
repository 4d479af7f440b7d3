"""Admin add/change pages whose saves go through the model's services (STYLE: every write is one
service function), instead of ``ModelAdmin.save_model`` writing the row itself.

A ModelAdmin mixes in ``ServiceAdminMixin`` before ``AuditedAdminMixin`` and names its services:

- ``service_validate(request, data, instance)``: the service's own rules, run when the form is
  cleaned, so a broken rule shows beside its field with the input kept (raise ``DomainError``);
- ``service_create(request, data, form)`` and ``service_update(request, obj, data, form)``: the
  writes, which lock, validate again, save and record the audit event themselves.

``data`` holds the form's model fields (many-to-many ones included, as lists); inline formsets
are saved after the service, against the row it returned."""

from django.contrib import messages
from django.shortcuts import redirect

from kosha_portal.errors import DomainError


class ServiceAdminMixin:
    def service_validate(self, request, data: dict, instance) -> None:
        """Raise DomainError(message, field=...) for data the service would refuse."""

    def service_create(self, request, data: dict, form):
        raise NotImplementedError

    def service_update(self, request, obj, data: dict, form):
        raise NotImplementedError

    def service_data(self, form) -> dict:
        names = {
            f.name
            for f in self.model._meta.get_fields()
            if getattr(f, "concrete", False) or getattr(f, "many_to_many", False)
        }
        return {k: v for k, v in form.cleaned_data.items() if k in names}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if not self.errors:
                    try:
                        model_admin.service_validate(
                            request,
                            model_admin.service_data(self),
                            self.instance if self.instance.pk else None,
                        )
                    except DomainError as error:
                        error.add_to_form(self)
                return cleaned

        ServiceForm.__name__ = form_class.__name__
        return ServiceForm

    def save_model(self, request, obj, form, change):
        data = self.service_data(form)
        if change:
            saved = self.service_update(request, type(obj).objects.get(pk=obj.pk), data, form)
        else:
            saved = self.service_create(request, data, form)
        # The admin goes on with ``obj`` (the log entry, the inlines, the redirect): make it the
        # row the service wrote.
        for field in self.model._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields were the service's to write; inlines are saved as usual.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            # A rule broken between the form's check and the locked write (another officer's
            # edit): nothing was saved (the admin's transaction rolled back).
            self.message_user(request, error.message, messages.ERROR)
            return redirect(request.get_full_path())
