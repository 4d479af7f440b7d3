from django.conf import settings


def program(request):
    return {"PROGRAM": settings.PROGRAM}
