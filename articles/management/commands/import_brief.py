"""Import a brief from its plain text: `manage.py import_brief FILE [--json]`.

With --json the parsed structure is printed and nothing is saved; otherwise
the brief is saved as a draft (or published now with --publish). FILE may be
`-` to read standard input.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from articles.importer import BriefParseError, parse_brief
from articles.services import create_brief_from_parsed


class Command(BaseCommand):
    help = "Turn a brief's plain text into a draft brief (or print it with --json)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A text file, or - for standard input.")
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the parsed structure as JSON and save nothing.",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish the brief now instead of saving a draft.",
        )

    def handle(self, *args, file, json: bool, publish: bool, **options):
        if json and publish:
            raise CommandError("--json saves nothing, so it cannot --publish.")
        data = self.read(file)
        try:
            parsed = parse_brief(data)
        except BriefParseError as exc:
            source = "standard input" if file == "-" else file
            raise CommandError(f"{source}: {exc}") from None
        for warning in parsed.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if json:
            self.stdout.write(_dumps(parsed.to_dict()))
            return
        article = create_brief_from_parsed(parsed, publish=publish)
        state = "Published" if publish else "Saved draft"
        self.stdout.write(
            self.style.SUCCESS(
                f"{state} “{article.headline}” (id {article.pk}, "
                f"{article.sections.count()} sections) at {article.get_absolute_url()}"
            )
        )

    def read(self, file: str) -> bytes | str:
        if file == "-":
            stdin = getattr(sys.stdin, "buffer", sys.stdin)
            return stdin.read()
        try:
            with open(file, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file.") from None
        except IsADirectoryError:
            raise CommandError(f"{file}: is a folder, not a text file.") from None
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read ({exc.strerror}).") from None


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
