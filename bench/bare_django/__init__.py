"""A bare Django site for the side-by-side intake bench: one model, one three-field ModelForm
with CSRF, one INSERT and a redirect. Served by gunicorn with the portal's settings file
(``gunicorn.conf.py``, 5 sync workers) so that only the application differs."""
