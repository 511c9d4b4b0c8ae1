"""The news-day editor: a draft save every 2 s, a public change every 10 s.

Run by bench/newsday.py inside Django (production settings, the bench data):
    python -m bench.in_django.editor SECONDS RECORD_FILE
Public changes alternate: a new brief published (it heads the home page) and
the most read brief's headline edited. After each one has committed (and so
been invalidated), it writes to RECORD_FILE what readers must now see: the
paths and, for each, a text followed by a number that must be this change's
or a later one's, for the load script's stale check.
"""

import json
import os
import sys
import time
from pathlib import Path

from django.utils import timezone

from articles.models import Article, Category


def main() -> None:
    seconds, record = float(sys.argv[1]), Path(sys.argv[2])
    category = Category.objects.order_by("pk").first()
    draft = Article.objects.create(
        headline="A draft in the works", slug=f"draft-{os.getpid()}", status="draft"
    )
    start = time.monotonic()
    changes = drafts = 0
    tick = 0
    while time.monotonic() - start < seconds:
        tick += 1
        time.sleep(max(0.0, start + 2 * tick - time.monotonic()))
        if tick % 5:
            draft.headline = f"A draft in the works, take {tick}"
            draft.save()
            drafts += 1
            continue
        changes += 1
        if changes % 2:
            headline = f"Breaking news number {changes}"
            Article.objects.create(
                headline=headline,
                slug=f"breaking-{os.getpid()}-{changes}",
                category=category,
                status="published",
                published_at=timezone.now(),
            )
            must = {"/": ["Breaking news number ", changes]}
        else:
            article = Article.objects.get(slug="bench-brief-0")
            article.headline = f"Most read brief, edit {changes}"
            article.save()
            must = {"/briefs/bench-brief-0/": ["Most read brief, edit ", changes]}
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps(must))
        os.replace(tmp, record)
    print(json.dumps({"public_changes": changes, "draft_saves": drafts}))  # noqa: T201


if __name__ == "__main__":
    main()
