"""Pieces of models that mean the same in both apps: who made a row, and rows
kept in the order an editor put them in.

Here rather than in one app because newsletter's editions use them as much
as articles' briefs do, and neither app should reach into the other for a
column. Only Django is imported: the project imports no app.
"""

from django.conf import settings
from django.db import models


def creator_field(**options) -> models.ForeignKey:
    """The admin account that made the row.

    SET_NULL: deleting a staff account keeps their briefs, editions, imports
    and records; they just no longer say who made them. Options override the
    defaults (a reverse name, editable=False, help text for editors).
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        **{
            "on_delete": models.SET_NULL,
            "null": True,
            "blank": True,
            "related_name": "+",
            **options,
        },
    )


class Positioned(models.Model):
    """A row of its parent's (a byline, a section, a bullet, a brief in an
    edition) in the order the editor arranged them: by position, and rows
    at the same position in the order they were added."""

    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]
