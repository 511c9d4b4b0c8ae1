"""The newsletter admin, one module per model: lists.py (lists and a
reader's subscriptions), subscribers.py (readers, import, export, activity),
editions.py (composing), edition_views.py (preview, test, schedule, send)
and suppressions.py (the suppression list). Importing them registers them."""

from newsletter.admin import editions, lists, subscribers, suppressions

__all__ = ["editions", "lists", "subscribers", "suppressions"]
