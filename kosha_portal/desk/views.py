from django.contrib import admin
from django.urls import reverse_lazy

from .selectors import desk_home as desk_home_summary


def _desk_home(request):
    """The admin index with the desk officer's queues above the menu of models."""
    return admin.site.index(request, extra_context={"desk": desk_home_summary(user=request.user)})


# The admin's own protection: staff only, never cached; others go to the admin login.
desk_home = admin.site.admin_view(_desk_home)
desk_home.login_url = reverse_lazy("admin:login")  # for LoginRequiredMiddleware, as the admin's
