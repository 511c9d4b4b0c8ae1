from django.conf import settings
from django.db import models
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from newsroom.richtext import RichTextField


class Category(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(
        default=0, help_text="Lower numbers come first in the site's navigation."
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="category_slug_unique"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:category", kwargs={"slug": self.slug})


class Topic(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="topic_slug_unique"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:topic", kwargs={"slug": self.slug})


class Author(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    title = models.CharField(
        max_length=120,
        blank=True,
        help_text="Shown under the name, e.g. “Europe editor”.",
    )
    bio = models.TextField(blank=True)
    photo = models.ImageField(upload_to="authors/", blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author",
        help_text="The admin account that writes as this author, if any.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="author_slug_unique"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:author", kwargs={"slug": self.slug})


class SectionLabel(models.Model):
    """A Smart Brevity label editors pick for a section (“Why it matters”)."""

    name = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="sectionlabel_name_unique"),
        ]

    def __str__(self):
        return self.name


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Briefs readers may see. The one definition of “published”.

        A brief scheduled for later is published with a future time: it
        appears when the clock passes it, with no job needed.
        """
        return self.filter(
            status=Article.Status.PUBLISHED, published_at__lte=timezone.now()
        )

    def for_listing(self):
        """What a teaser needs: category and authors, in a fixed number of queries."""
        return self.select_related("category").prefetch_related(
            Prefetch(
                "bylines",
                queryset=Byline.objects.select_related("author").order_by("position"),
            )
        )

    def for_page(self):
        """Everything the article page renders, in a fixed number of queries."""
        return self.for_listing().prefetch_related(
            "topics",
            Prefetch(
                "sections",
                queryset=Section.objects.select_related("label")
                .order_by("position", "pk")
                .prefetch_related(
                    Prefetch(
                        "bullets", queryset=Bullet.objects.order_by("position", "pk")
                    )
                ),
            ),
        )


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"

    headline = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200, help_text="The brief's address: /briefs/<slug>/."
    )
    dek = models.TextField(
        max_length=400,
        blank=True,
        help_text="One or two plain sentences under the headline; also the "
        "meta description, the teaser text and the summary in newsletters.",
    )
    intro = RichTextField(
        kind="block", help_text="Paragraphs before the first section (optional)."
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="articles")
    authors = models.ManyToManyField(
        Author, through="Byline", blank=True, related_name="articles"
    )
    hero_image = models.ImageField(upload_to="heroes/%Y/%m/", blank=True)
    hero_alt = models.CharField(
        "hero image alt text",
        max_length=250,
        blank=True,
        help_text="Describes the image for readers who cannot see it.",
    )
    hero_caption = models.CharField(max_length=300, blank=True)
    hero_credit = models.CharField(max_length=120, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        "publication time",
        null=True,
        blank=True,
        help_text="Readers see a published brief from this time on; "
        "a time in the future schedules it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = "brief"
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="article_slug_unique"),
        ]
        indexes = [
            # published() ordered by time: the home, category and feed lists.
            models.Index(fields=["status", "-published_at"], name="article_pub_idx"),
        ]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def byline_authors(self) -> list[Author]:
        """Authors in byline order; uses the prefetch from for_listing()."""
        return [byline.author for byline in self.bylines.all()]

    def publish(self, when=None):
        self.status = self.Status.PUBLISHED
        if when is not None:
            self.published_at = when
        elif self.published_at is None:
            self.published_at = timezone.now()
        self.save()


class Byline(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="bylines"
    )
    # PROTECT is wrong for a newsroom (an author leaving must not block
    # deleting them) and CASCADE would delete briefs: drop only the byline.
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bylines")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "author"], name="byline_article_author_unique"
            ),
        ]

    def __str__(self):
        return f"{self.author} on {self.article}"


class Section(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="sections"
    )
    position = models.PositiveIntegerField(default=0)
    label = models.ForeignKey(
        SectionLabel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="A standard label, or leave empty and write a custom one.",
    )
    custom_label = models.CharField(
        max_length=80,
        blank=True,
        help_text="Used when no standard label is chosen, e.g. “Italy is responding to”.",
    )
    heading = models.CharField(
        max_length=200,
        blank=True,
        help_text="Optional bold sentence after the label (“A deeper Italy–Japan axis.”).",
    )
    text = RichTextField("lead text", kind="inline")

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["article", "position"], name="section_order_idx")
        ]

    def __str__(self):
        return self.display_label or f"Section {self.position}"

    @property
    def display_label(self) -> str:
        # A custom label wins: an editor who typed one meant it.
        if self.custom_label:
            return self.custom_label
        return self.label.name if self.label_id else ""


class Bullet(models.Model):
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="bullets"
    )
    position = models.PositiveIntegerField(default=0)
    text = RichTextField(kind="inline", blank=False)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["section", "position"], name="bullet_order_idx")
        ]

    def __str__(self):
        return self.text[:60]
