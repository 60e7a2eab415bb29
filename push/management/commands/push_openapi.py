import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import NoReverseMatch, reverse

from push.api import openapi, openapi_markdown
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
        parser.add_argument(
            "--markdown",
            metavar="DIRECTORY",
            default=None,
            help="Write the document as Markdown pages there, one per endpoint group.",
        )

    def handle(self, *args, server: str | None, markdown: str | None, **options) -> None:
        try:
            document = openapi.document(server or _mounted_prefix())
        except PushConfigurationError as error:
            raise CommandError(str(error)) from None
        if markdown is None:
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
            return
        directory = Path(markdown)
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in openapi_markdown.pages(document).items():
            (directory / name).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {directory / name}")
