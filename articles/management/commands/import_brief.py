"""Import a brief from its plain text: `manage.py import_brief FILE [--json]`.

With --json the parsed structure is printed and nothing is saved; otherwise
the brief is saved as a draft (or published now with --publish). FILE may be
`-` to read standard input. `--score DIR` measures the importer instead, on
every NAME.txt in DIR with its expected structure in NAME.json (the corpus is
tests/fixtures/briefs/corpus); `-v 2` shows what differed.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.importer import BriefParseError, parse_brief
from articles.importer.score import score_folder
from articles.services import create_brief_from_parsed


class Command(BaseCommand):
    help = (
        "Turn a brief's plain text into a draft brief (or print it with --json); "
        "with --score DIR, measure how exactly the importer reads the briefs in DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", help="A text file, or - for standard input."
        )
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
        parser.add_argument(
            "--score",
            metavar="DIR",
            help="Score the importer on DIR's NAME.txt/NAME.json pairs; save nothing.",
        )

    def handle(self, *args, file, json: bool, publish: bool, score, **options):
        if score is not None:
            if file or json or publish:
                raise CommandError("--score takes a folder and no other argument.")
            return self.score(Path(score), options["verbosity"])
        if file is None:
            raise CommandError("Give a text file (or - for standard input).")
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

    def score(self, folder: Path, verbosity: int) -> None:
        if not folder.is_dir():
            raise CommandError(f"{folder}: no such folder.")
        result = score_folder(folder)
        if not result.briefs:
            raise CommandError(f"{folder}: no NAME.txt with a NAME.json beside it.")
        width = max(len(brief.name) for brief in result.briefs)
        for brief in result.briefs:
            notes = []
            if brief.error:
                notes.append(f"refused: {brief.error}")
            if brief.extra:
                notes.append(f"{brief.extra} extra")
            if not brief.head:
                notes.append("head differs")
            if brief.missing_warnings:
                notes.append(f"no warning about {', '.join(brief.missing_warnings)}")
            line = (
                f"{brief.name:<{width}}  sections {brief.exact:>2}/{brief.sections:<2}"
                f"  headline {'ok' if brief.headline else 'WRONG'}"
                + (f"  ({'; '.join(notes)})" if notes else "")
            )
            perfect = brief.exact == brief.sections and brief.headline and not notes
            self.stdout.write(line if perfect else self.style.WARNING(line))
            if verbosity >= 2:
                for miss in brief.misses:
                    self.stdout.write(f"    {miss}")
        self.stdout.write(
            f"Total: {result.exact}/{result.sections} sections exact "
            f"({result.section_rate:.1%}), {result.headlines}/{len(result.briefs)} "
            f"headlines ({result.headline_rate:.1%}), "
            f"{sum(b.head for b in result.briefs)}/{len(result.briefs)} "
            "category, dek and intro right."
        )


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
