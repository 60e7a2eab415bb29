import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import NoReverseMatch, reverse

from push.api import openapi
from push.api.views import OPENAPI_PATH
from push.exceptions import PushConfigurationError


def _mounted_prefix() -> str:
    """Where the project's URLconf mounts push's API (the server URL of the document)."""
    try:
        return reverse("push:openapi").removesuffix(OPENAPI_PATH)
    except NoReverseMatch:
        raise CommandError(
            "push's API is not in ROOT_URLCONF: add path('<prefix>/', "
            "include('push.api.urls')), or give --server."
        ) from None


class Command(BaseCommand):
    help = (
        "Print the API's OpenAPI document (what GET <prefix>/openapi/ serves), for client "
        "code generators, API docs and contract tests."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--server",
            default=None,
            help="The server URL in the document (default: where ROOT_URLCONF mounts push).",
        )

    def handle(self, *args, server: str | None, **options) -> None:
        try:
            document = openapi.document(server or _mounted_prefix())
        except PushConfigurationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
