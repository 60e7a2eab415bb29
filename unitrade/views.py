"""The site's own pages: a front page that says where to go."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """The root page: links to the admin and to the API's documentation."""
    return render(request, "unitrade/home.html")
