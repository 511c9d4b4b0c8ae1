"""The newsletter admin, one module per model: lists.py (lists and a
reader's subscriptions), subscribers.py (readers, import, export, activity),
editions.py (composing) and edition_views.py (preview, test, schedule, send).
Importing them registers them."""

from newsletter.admin import editions, lists, subscribers

__all__ = ["editions", "lists", "subscribers"]
