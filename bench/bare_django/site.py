"""URLs, the form and the views of the bare comparison site."""

from django import forms
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import escape

from .models import Enquiry


class EnquiryForm(forms.ModelForm):
    class Meta:
        model = Enquiry
        fields = ["name", "email", "message"]


PAGE = (
    '<!doctype html><title>enquiry</title><form method="post">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">{form}'
    "<button>send</button></form>"
)


def new(request):
    form = EnquiryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("/thanks/")
    return HttpResponse(PAGE.format(csrf=escape(get_token(request)), form=form.as_div()))


def thanks(request):
    return HttpResponse("thanks")


urlpatterns = [path("new/", new), path("thanks/", thanks)]
