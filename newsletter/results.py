"""What an edition did: the figures the admin, its CSV and `edition_report` show.

Delivered: the provider's confirmations when it sends any (its tracking
webhook fills Delivery.delivered_at); otherwise the messages our relay
accepted minus those that bounced afterwards. Bounced: hard bounces the
provider reported, plus refusals during our own SMTP session that said the
mailbox is gone (transport.classify's BOUNCE). Unsubscribes: readers whose
leaving was recorded with this edition (its link, its one-click header, the
preferences page opened from it). Clicks leave out scanners' bursts
(`scanner_clicks`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q

from newsletter.models import (
    Click,
    Delivery,
    Edition,
    Open,
    SubscriptionEvent,
    TrackedLink,
)
from newsletter.transport import GONE, enhanced_status

D = Delivery.Status
HOURS = 48


def setting(key: str, default):
    return settings.NEWSLETTER.get(key, default)


@dataclass
class LinkFigures:
    position: int
    url: str
    kind: str
    label: str
    clicks: int = 0
    unique_clickers: int = 0


@dataclass
class Results:
    edition: Edition
    recipients: int = 0
    sent: int = 0
    delivered: int = 0
    delivered_confirmed: bool = False  # True: from the provider's reports
    failed: int = 0
    failure_reasons: list[tuple[str, int]] = field(default_factory=list)
    bounced: int = 0
    complaints: int = 0
    unsubscribes: int = 0
    unsubscribes_by_source: list[tuple[str, int]] = field(default_factory=list)
    clicks_tracked: bool = False
    clicks: int = 0
    unique_clickers: int = 0
    scanner_clicks: int = 0
    opens: int | None = None
    links: list[LinkFigures] = field(default_factory=list)
    hourly_clicks: list[int] = field(default_factory=list)
    started_at: datetime | None = None

    def as_json(self) -> dict:
        """Exactly the keys `edition_report --json` promises."""
        return {
            "recipients": self.recipients,
            "delivered": self.delivered,
            "failed": self.failed,
            "bounced": self.bounced,
            "complaints": self.complaints,
            "unsubscribes": self.unsubscribes,
            "clicks": self.clicks,
            "unique_clickers": self.unique_clickers,
            "opens": self.opens,
            "links": [
                {
                    "url": link.url,
                    "clicks": link.clicks,
                    "unique_clickers": link.unique_clickers,
                }
                for link in self.links
            ],
        }


def _smtp_bounce(code: int | None, reply: str) -> bool:
    """A refusal in our own session saying the mailbox is gone (5xx, X.1.1…)."""
    if code is None or not 500 <= code < 600:
        return False
    return enhanced_status(reply).partition(".")[2] in GONE


def _reason(code: int | None, reply: str) -> str:
    """A failure's group: its reply code and enhanced status, or its first words."""
    if reply.startswith("Gave up after "):
        reply = reply.partition(": ")[2]
    status = enhanced_status(reply)
    if code is not None:
        return f"{code} {status}".strip()
    return reply.split("\n")[0][:60] or "unknown"


def scanner_clicks(rows, sent_at: dict) -> set[int]:
    """Ids of clicks that belong to a scanner's burst.

    `rows`: (id, subscriber, link, at) ordered by subscriber and time. A
    burst is two or more different links of one reader's copy followed
    within SCANNER_BURST_SECONDS of each other, starting within
    SCANNER_AFTER_SEND_SECONDS of the message leaving us: what link
    checkers of mail gateways do. A person clicking one link, or the same
    link twice, or several links later on, is not a burst.
    """
    burst = timedelta(seconds=setting("SCANNER_BURST_SECONDS", 2))
    after = timedelta(seconds=setting("SCANNER_AFTER_SEND_SECONDS", 600))
    by_reader = defaultdict(list)
    for row in rows:
        by_reader[row[1]].append(row)
    found = set()
    for reader, clicks in by_reader.items():
        sent = sent_at.get(reader)
        for i, (*_, at) in enumerate(clicks):
            if sent is not None and at - sent > after:
                break
            # Every click within `burst` of this one, this one included.
            window = [clicks[i]]
            for other in clicks[i + 1 :]:
                if other[3] - at > burst:
                    break
                window.append(other)
            if len({c[2] for c in window}) > 1:
                found.update(c[0] for c in window)
    return found


def edition_results(edition: Edition) -> Results:
    deliveries = Delivery.objects.filter(edition=edition)
    counts = deliveries.aggregate(
        recipients=Count("pk"),
        sent=Count("pk", filter=Q(status=D.SENT)),
        failed=Count("pk", filter=Q(status=D.FAILED)),
        confirmed=Count("pk", filter=Q(delivered_at__isnull=False)),
        hard=Count("pk", filter=Q(bounce_type="hard")),
        sent_then_bounced=Count("pk", filter=Q(status=D.SENT, bounce_type="hard")),
        complaints=Count("pk", filter=Q(complained_at__isnull=False)),
    )
    result = Results(
        edition=edition,
        recipients=counts["recipients"],
        sent=counts["sent"],
        failed=counts["failed"],
        complaints=counts["complaints"],
        started_at=edition.started_at,
    )
    reasons = Counter()
    smtp_bounces = 0
    for code, reply, bounce_type in deliveries.filter(status=D.FAILED).values_list(
        "smtp_code", "last_error", "bounce_type"
    ):
        reasons[_reason(code, reply)] += 1
        if bounce_type != "hard" and _smtp_bounce(code, reply):
            smtp_bounces += 1
    result.failure_reasons = reasons.most_common()
    result.bounced = counts["hard"] + smtp_bounces
    if counts["confirmed"]:
        result.delivered = counts["confirmed"]
        result.delivered_confirmed = True
    else:
        result.delivered = counts["sent"] - counts["sent_then_bounced"]

    left = (
        SubscriptionEvent.objects.filter(
            edition=edition, kind=SubscriptionEvent.Kind.UNSUBSCRIBED
        )
        .order_by()
        .values_list("subscription__subscriber_id", "source")
    )
    sources = defaultdict(set)
    for subscriber_id, source in left:
        sources[source or "other"].add(subscriber_id)
    result.unsubscribes = len(set().union(*sources.values())) if sources else 0
    result.unsubscribes_by_source = sorted(
        ((source, len(ids)) for source, ids in sources.items()),
        key=lambda pair: -pair[1],
    )

    tracking = (edition.snapshot or {}).get("tracking", {})
    result.clicks_tracked = bool(tracking.get("clicks"))
    if tracking.get("opens"):
        result.opens = Open.objects.filter(edition=edition).count()
    _clicks(edition, result)
    return result


def _clicks(edition: Edition, result: Results) -> None:
    links = {
        link.pk: LinkFigures(link.position, link.url, link.kind, link.label)
        for link in TrackedLink.objects.filter(edition=edition)
    }
    rows = list(
        Click.objects.filter(edition=edition)
        .order_by("subscriber_id", "at", "pk")
        .values_list("pk", "subscriber_id", "link_id", "at")
    )
    readers = {row[1] for row in rows}
    sent_at = dict(
        Delivery.objects.filter(edition=edition, subscriber_id__in=readers)
        .exclude(sent_at=None)
        .values_list("subscriber_id", "sent_at")
    )
    scanners = scanner_clicks(rows, sent_at)
    result.scanner_clicks = len(scanners)
    counted = [row for row in rows if row[0] not in scanners]
    result.clicks = len(counted)
    result.unique_clickers = len({row[1] for row in counted})
    per_link = defaultdict(set)
    hourly = [0] * HOURS
    start = edition.started_at
    for _, reader, link_id, at in counted:
        if link_id in links:
            links[link_id].clicks += 1
            per_link[link_id].add(reader)
        if start is not None:
            hour = int((at - start).total_seconds() // 3600)
            if 0 <= hour < HOURS:
                hourly[hour] += 1
    for link_id, readers in per_link.items():
        links[link_id].unique_clickers = len(readers)
    result.links = sorted(links.values(), key=lambda f: (-f.clicks, f.position))
    result.hourly_clicks = hourly
