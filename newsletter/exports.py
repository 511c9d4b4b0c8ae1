"""Subscribers as a spreadsheet: the admin's CSV export (all, filtered or
selected). The data-protection export is in privacy.py."""

import csv

from django.http import StreamingHttpResponse

from newsletter.models import Subscription

CSV_COLUMNS = [
    "email",
    "name",
    "newsletter",
    "status",
    "consent_source",
    "consent_page",
    "subscribed_at",
    "confirmed_at",
    "unsubscribed_at",
]


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_response(subscribers, filename: str) -> StreamingHttpResponse:
    rows = (
        Subscription.objects.filter(subscriber__in=subscribers)
        .select_related("subscriber", "newsletter")
        .order_by("subscriber__email", "newsletter__position", "newsletter__name")
    )
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        yield writer.writerow(CSV_COLUMNS)
        for s in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    _cell(v)
                    for v in [
                        s.subscriber.email,
                        s.subscriber.name,
                        s.newsletter.slug,
                        s.status,
                        s.source,
                        s.source_url,
                        s.created_at.isoformat(),
                        s.confirmed_at.isoformat() if s.confirmed_at else "",
                        s.unsubscribed_at.isoformat() if s.unsubscribed_at else "",
                    ]
                ]
            )

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
