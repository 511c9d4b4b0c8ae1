"""Build a realistic data set for the benchmarks: thousands of briefs.

Run inside Django (the caller sets DATABASE_URL to a throwaway database):
    python -m bench.in_django.data --briefs 3000
Each brief gets 2 authors, 3 topics and 6 sections of 0–4 bullets, like the
demo briefs; rows are bulk-inserted so building 3,000 takes seconds.
"""

import argparse
import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from articles import rendering
from articles.models import (
    Article,
    Author,
    Bullet,
    Byline,
    Category,
    Section,
    SectionLabel,
    Topic,
)


def build(briefs: int, seed: int = 7) -> int:
    if Article.objects.count() >= briefs:
        return 0
    rng = random.Random(seed)
    words = (
        "ministers agree budget rail port tariff chip grid storage heat council "
        "vote rates inflation wages export rules summit talks deal plan cities "
        "energy security defence alliance markets growth jobs housing transit"
    ).split()

    def sentence(n: int) -> str:
        text = " ".join(rng.choice(words) for _ in range(n))
        return text[0].upper() + text[1:] + "."

    with transaction.atomic():
        categories = [
            Category.objects.get_or_create(
                slug=f"bench-{i}", defaults={"name": f"Desk {i}"}
            )[0]
            for i in range(8)
        ]
        authors = [
            Author.objects.get_or_create(
                slug=f"bench-author-{i}", defaults={"name": f"Writer {i}"}
            )[0]
            for i in range(40)
        ]
        topics = [
            Topic.objects.get_or_create(
                slug=f"bench-topic-{i}", defaults={"name": f"Theme {i}"}
            )[0]
            for i in range(60)
        ]
        labels = list(SectionLabel.objects.all())
        now = timezone.now()
        start = Article.objects.count()
        articles = Article.objects.bulk_create(
            Article(
                headline=sentence(9)[:-1],
                slug=f"bench-brief-{n}",
                dek=sentence(22),
                intro=f"<p>{sentence(30)}</p>",
                category=categories[n % len(categories)],
                status=Article.Status.PUBLISHED,
                published_at=now - timedelta(minutes=10 * n + 1),
            )
            for n in range(start, briefs)
        )
        Byline.objects.bulk_create(
            Byline(article=a, author=author, position=p)
            for a in articles
            for p, author in enumerate(rng.sample(authors, 2))
        )
        Through = Article.topics.through
        Through.objects.bulk_create(
            Through(article_id=a.pk, topic_id=t.pk)
            for a in articles
            for t in rng.sample(topics, 3)
        )
        sections = Section.objects.bulk_create(
            Section(
                article=a,
                position=p,
                label=labels[p % len(labels)],
                text=sentence(18) if p % 2 == 0 else "",
            )
            for a in articles
            for p in range(6)
        )
        Bullet.objects.bulk_create(
            Bullet(section=s, position=b, text=sentence(20))
            for s in sections
            for b in range(rng.randint(0, 4))
        )
    # Bulk inserts send no signals: render the bodies as saves would.
    rendering.store_all()
    return len(articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--briefs", type=int, default=3000)
    args = parser.parse_args()
    print(f"created {build(args.briefs)} briefs")  # noqa: T201


if __name__ == "__main__":
    main()
