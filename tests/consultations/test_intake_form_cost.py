"""What building and cleaning the public intake form costs, and that the cheaper way gives exactly
what Django's own does: no bound field is built for a valid submission, the cleaned data and the
errors are Django's, and every form still gets its own copy of the fields."""

import types
from urllib.parse import urlencode

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from consultations.forms import ConsultationIntakeForm
from tests import timeline

from .conftest import PDF, intake_payload

pytestmark = pytest.mark.time_machine(timeline.NOW)


def bound_form(payload: dict, files=()) -> ConsultationIntakeForm:
    """``files``: (name, content, content type) of each attachment."""
    data = QueryDict(urlencode(payload, doseq=True))
    uploads = [SimpleUploadedFile(*file) for file in files]
    return ConsultationIntakeForm(data, MultiValueDict({"attachments": uploads}))


def with_djangos_cleaning(form: ConsultationIntakeForm) -> ConsultationIntakeForm:
    form._clean_fields = types.MethodType(forms.BaseForm._clean_fields, form)
    return form


def test_a_valid_intake_form_is_cleaned_without_building_a_bound_field():
    form = bound_form(intake_payload())

    assert form.is_valid(), form.errors
    assert form._bound_fields_cache == {}


def test_an_invalid_intake_form_still_renders_its_fields_with_their_errors():
    form = bound_form(intake_payload(contact_email="taro@", org_name=""))

    assert not form.is_valid()
    html = str(form["contact_email"])
    assert 'aria-invalid="true"' in html
    assert "taro@" in html  # the input is kept
    assert form["org_name"].errors


SUBMISSIONS = {
    "valid": (intake_payload(), ()),
    "valid-with-a-file": (intake_payload(), (("memo.pdf", PDF, "application/pdf"),)),
    "missing-and-malformed-fields": (
        intake_payload(
            org_name="",
            org_postal_code="12",
            contact_email="taro@",
            contact_kana="Tarō",
            places=None,
            org_capital_yen="たくさん",
        ),
        (),
    ),
    "phone-wanted-without-a-number": (
        intake_payload(contact_way="phone", contact_phone=""),
        (),
    ),
    "honeypot-filled": (intake_payload(website="https://spam.example"), ()),
}


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_the_intake_form_cleans_a_submission_exactly_as_djangos_own_cleaning(name):
    payload, files = SUBMISSIONS[name]
    ours = bound_form(payload, files)
    djangos = with_djangos_cleaning(bound_form(payload, files))

    assert ours.is_valid() == djangos.is_valid()
    assert ours.errors.get_json_data() == djangos.errors.get_json_data()
    assert {k: v for k, v in ours.cleaned_data.items() if k != "attachments"} == {
        k: v for k, v in djangos.cleaned_data.items() if k != "attachments"
    }
    assert [
        (f.name, mime, shown) for f, mime, shown in ours.cleaned_data.get("attachments", [])
    ] == [(f.name, mime, shown) for f, mime, shown in djangos.cleaned_data.get("attachments", [])]


def test_each_intake_form_gets_its_own_copy_of_the_fields():
    first, second = ConsultationIntakeForm(), ConsultationIntakeForm()
    first.fields["contact_email"].widget.attrs["data-changed"] = "1"
    first.fields["contact_email"].error_messages["required"] = "changed"
    first.fields["contact_email"].validators.append(lambda value: None)

    for fields in (second.fields, ConsultationIntakeForm.base_fields):
        email = fields["contact_email"]
        assert "data-changed" not in email.widget.attrs
        assert email.error_messages["required"] != "changed"
        assert len(email.validators) == len(second.fields["contact_email"].validators)
    assert first.fields["contact_email"] is not second.fields["contact_email"]
