from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def catalogs() -> list[Path]:
    """The .po files of this repository's apps (push, orders, messaging, unitrade)."""
    return sorted(Path(settings.BASE_DIR).glob("*/locale/*/LC_MESSAGES/*.po"))


class Command(BaseCommand):
    help = (
        "Compile the translations of this repository's apps (their locale/*.po) into the "
        ".mo files Django reads. Pure Python (Babel), unlike compilemessages: a fresh "
        "machine needs no GNU gettext."
    )

    def handle(self, *args, **options) -> None:
        found = catalogs()
        if not found:
            raise CommandError(f"No locale/*/LC_MESSAGES/*.po under {settings.BASE_DIR}.")
        for po in found:
            with po.open("rb") as source:
                try:
                    catalog = read_po(source, abort_invalid=True)
                except Exception as error:  # Babel's PoFileError names the line
                    raise CommandError(f"{po}: {error}") from None
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalog)
            if options["verbosity"] >= 2:
                self.stdout.write(f"compiled {po.with_suffix('.mo')}")
        self.stdout.write(f"compiletranslations: {len(found)} catalog(s) compiled")
