"""Newsletter models: lists and subscribers, editions, and the delivery ledger."""

from newsletter.models.deliveries import Delivery
from newsletter.models.editions import Edition, EditionItem
from newsletter.models.imports import SubscriberImport
from newsletter.models.lists import (
    Newsletter,
    Subscriber,
    Subscription,
    SubscriptionEvent,
    normalize_email,
    one_line,
    validate_one_line,
)
from newsletter.models.suppression import Suppression
from newsletter.models.tracking import Click, Open, TrackedLink

__all__ = [
    "Click",
    "Delivery",
    "Edition",
    "EditionItem",
    "Newsletter",
    "Open",
    "Subscriber",
    "SubscriberImport",
    "Subscription",
    "SubscriptionEvent",
    "Suppression",
    "TrackedLink",
    "normalize_email",
    "one_line",
    "validate_one_line",
]
