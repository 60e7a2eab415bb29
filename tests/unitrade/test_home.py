"""The root page says where to go: the admin and the API's documentation."""

import pytest
from django.test import Client


def test_the_root_page_links_to_the_admin_and_the_api_docs():
    response = Client().get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<a href="/admin/">' in page
    assert "/api/users/" in page
    assert "docs/api.md" in page
    assert '<a href="/api/users/openapi/">OpenAPI document</a>' in page


@pytest.mark.django_db
def test_the_root_page_needs_no_database_and_no_login(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Client().get("/").status_code == 200
