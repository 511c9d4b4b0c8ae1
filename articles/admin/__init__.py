"""The editors' admin for briefs, by screen:

- briefs.py: the brief list and form (desk filters, workflow actions);
- brief_screens.py: the brief's own extra screens (import, preview,
  revisions, sharing);
- inlines.py: the parts edited inside a brief's form;
- taxonomy.py: categories, topics, authors and section labels.

Importing the modules registers their admins (Django imports this package).
"""

from articles.admin import briefs, taxonomy  # noqa: F401
