"""Daily subscriber activity for the admin chart: one query, drawn as SVG."""

from datetime import timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from newsletter.models import SubscriptionEvent

K = SubscriptionEvent.Kind
SERIES = [
    ("signups", "Signups", {K.REQUESTED, K.IMPORTED}),
    ("confirmations", "Confirmations", {K.CONFIRMED}),
    (
        "unsubscribes",
        "Unsubscribes, bounces, complaints",
        {K.UNSUBSCRIBED, K.BOUNCED, K.COMPLAINED},
    ),
]
WIDTH, HEIGHT, TOP, BOTTOM = 760, 240, 12, 28


def daily_activity(days: int = 30, newsletter=None) -> list[dict]:
    """One dict per day (oldest first) with a count per series; empty days are zeros."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    events = SubscriptionEvent.objects.filter(
        created_at__date__gte=start, created_at__date__lte=today
    )
    if newsletter is not None:
        events = events.filter(subscription__newsletter=newsletter)
    counts = (
        events.annotate(day=TruncDate("created_at"))
        .values("day", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_day = {
        start + timedelta(days=i): {key: 0 for key, _, _ in SERIES} for i in range(days)
    }
    for row in counts:
        for key, _, kinds in SERIES:
            if row["kind"] in kinds and row["day"] in by_day:
                by_day[row["day"]][key] += row["n"]
    return [{"day": day, **values} for day, values in sorted(by_day.items())]


def chart(rows: list[dict]) -> dict:
    """Bar geometry for the SVG template: no client-side library, no CDN."""
    peak = max([1] + [row[key] for row in rows for key, _, _ in SERIES])
    plot = HEIGHT - TOP - BOTTOM
    slot = WIDTH / max(len(rows), 1)
    bar = max(slot / (len(SERIES) + 1), 1)
    days = []
    for i, row in enumerate(rows):
        bars = []
        for j, (key, label, _) in enumerate(SERIES):
            height = round(plot * row[key] / peak, 1)
            bars.append(
                {
                    "key": key,
                    "label": label,
                    "value": row[key],
                    "x": round(i * slot + (j + 0.5) * bar, 1),
                    "y": round(TOP + plot - height, 1),
                    "width": round(bar, 1),
                    "height": height,
                }
            )
        days.append(
            {
                "day": row["day"],
                "bars": bars,
                "label_x": round(i * slot + slot / 2, 1),
                "show_label": i % max(len(rows) // 10, 1) == 0,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "baseline": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 8,
        "peak": peak,
        "days": days,
        "series": [(key, label) for key, label, _ in SERIES],
        "totals": {key: sum(row[key] for row in rows) for key, _, _ in SERIES},
    }
