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

__all__ = [
    "Delivery",
    "Edition",
    "EditionItem",
    "Newsletter",
    "Subscriber",
    "SubscriberImport",
    "Subscription",
    "SubscriptionEvent",
    "Suppression",
    "normalize_email",
    "one_line",
    "validate_one_line",
]
