"""What one edition did, for a terminal or a script.

    manage.py edition_report 42
    manage.py edition_report 42 --json

The same figures as the edition's results page in the admin
(newsletter/results.py); --json prints exactly: recipients, delivered,
failed, bounced, complaints, unsubscribes, clicks, unique_clickers, opens
(null when opens are not counted) and links ({url, clicks, unique_clickers}).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from newsletter.models import Edition
from newsletter.results import edition_results


class Command(BaseCommand):
    help = "Print an edition's results: delivery, bounces, unsubscribes, clicks."

    def add_arguments(self, parser):
        parser.add_argument("edition_id", metavar="EDITION_ID")
        parser.add_argument(
            "--json", action="store_true", help="Machine-readable, one object."
        )

    def handle(self, edition_id, **options):
        try:
            pk = int(edition_id)
        except ValueError:
            raise CommandError(
                f"EDITION_ID is a number (the edition's id), not {edition_id!r}."
            ) from None
        edition = Edition.objects.select_related("newsletter").filter(pk=pk).first()
        if edition is None:
            raise CommandError(f"There is no edition {pk}.")
        results = edition_results(edition)
        if options["json"]:
            self.stdout.write(json.dumps(results.as_json(), indent=2))
            return
        write = self.stdout.write
        write(f"{edition.subject} ({edition.newsletter}, {edition.state_label})")
        delivered_how = (
            "confirmed by the provider"
            if results.delivered_confirmed
            else "accepted by the relay, minus bounces"
        )
        rows = [
            ("Recipients", results.recipients),
            (f"Delivered ({delivered_how})", results.delivered),
            ("Failed", results.failed),
            ("Bounced", results.bounced),
            ("Complaints", results.complaints),
            ("Unsubscribes", results.unsubscribes),
        ]
        if results.clicks_tracked:
            rows += [
                ("Clicks", results.clicks),
                ("Readers who clicked", results.unique_clickers),
                ("Scanner clicks left out", results.scanner_clicks),
            ]
        else:
            rows.append(("Clicks", "not counted for this edition"))
        rows.append(
            ("Opens", "not counted" if results.opens is None else results.opens)
        )
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            write(f"  {label:<{width}}  {value}")
        if results.failure_reasons:
            write("Failures by reply:")
            for reason, n in results.failure_reasons:
                write(f"  {reason}: {n}")
        if results.unsubscribes_by_source:
            write("Unsubscribes by way:")
            for source, n in results.unsubscribes_by_source:
                write(f"  {source}: {n}")
        if results.links:
            write("Links (clicks, readers):")
            for link in results.links:
                write(f"  {link.clicks:>6} {link.unique_clickers:>6}  {link.url}")
