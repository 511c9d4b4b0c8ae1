"""A test copy of an edition, sent at once to one address."""

from newsletter import compose
from newsletter.mime import PreparedEdition, placeholder_links
from newsletter.models import Subscriber
from newsletter.starting import EditionEmpty
from newsletter.transport import Transport


def send_test(edition, address: str) -> None:
    """One copy to `address`, marked [Test], with its links working if the
    address is a subscriber. Built like the real thing, sent at once."""
    if edition.is_editable:
        snapshot = compose.build_snapshot(edition)
    else:
        snapshot = edition.snapshot
    if not snapshot.get("items"):
        raise EditionEmpty("This edition has no published brief in it yet.")
    subject, text, html = compose.render(snapshot, placeholder_links())
    prepared = PreparedEdition(
        edition, subject=f"[Test] {subject}", text=text, html=html, test=True
    )
    subscriber = Subscriber.objects.filter(email=address.strip().lower()).first()
    to_addr, raw = prepared.personalise(
        delivery_id=0,
        subscriber_id=subscriber.pk if subscriber else 0,
        address=address.strip().lower(),
    )
    transport = Transport()
    try:
        transport.send(prepared.envelope_from, to_addr, raw)
    finally:
        transport.close()
