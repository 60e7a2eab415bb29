"""A project's URLconf that has not mounted push's API (yet)."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
