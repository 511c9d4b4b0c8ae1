"""The briefs' models, by concern (every name is importable from here):

- taxonomy.py: categories, topics, authors, section labels;
- briefs.py: the brief, its bylines, sections, bullets and old addresses;
- records.py: revisions, preview links, corrections;
- search.py: the search index's documents.
"""

from articles.models.briefs import (
    Article,
    ArticleQuerySet,
    Bullet,
    Byline,
    Section,
    SlugRedirect,
)
from articles.models.records import Correction, PreviewLink, Revision, new_preview_token
from articles.models.search import SearchEntry
from articles.models.taxonomy import Author, Category, SectionLabel, Topic

__all__ = [
    "Article",
    "ArticleQuerySet",
    "Author",
    "Bullet",
    "Byline",
    "Category",
    "Correction",
    "PreviewLink",
    "Revision",
    "SearchEntry",
    "Section",
    "SectionLabel",
    "SlugRedirect",
    "Topic",
    # The initial migration names it as the preview link token's default.
    "new_preview_token",
]
