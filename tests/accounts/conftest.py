import pytest
from django.contrib.auth.models import Group

from kosha_portal.accounts.roles import DESK_STAFF
from tests.otp import authenticator_for


@pytest.fixture
def officer(make_user):
    """A desk officer with a password and a confirmed authenticator app."""
    user = make_user(
        "officer", role=DESK_STAFF, is_staff=True, password="Kanda-sakuma-19", last_name="窓口"
    )
    authenticator_for(user)
    return user


@pytest.fixture
def officer_device(officer):
    return authenticator_for(officer)


@pytest.fixture
def logged_in_with_password(client):
    """The officer posted the right password on the login form, and nothing else yet."""

    def login(user, password="Kanda-sakuma-19"):
        response = client.post("/login/", {"username": user.username, "password": password})
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return login


def add_role(user, role):
    user.groups.add(Group.objects.get(name=role))
