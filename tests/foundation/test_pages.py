import pytest

pytestmark = pytest.mark.django_db


def test_home_page_is_public_and_japanese(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "特別相談窓口" in html
    assert "03-3251-7881" in html


def test_admin_requires_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
