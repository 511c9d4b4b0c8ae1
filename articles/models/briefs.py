"""A brief and its parts: bylines, sections and their bullets, and the old
addresses that keep leading to it."""

from datetime import timedelta

from django.contrib.postgres.search import SearchVectorField
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from articles.images import validate_image
from articles.labels import clean_label
from articles.links import slug_url
from articles.models.taxonomy import Author, Category, SectionLabel, Topic
from newsroom.model_parts import Positioned, creator_field
from newsroom.richtext import RichTextField


class ArticleQuerySet(models.QuerySet):
    def published(self, at=None):
        """Briefs readers may see (at `at`, by default now). The one
        definition of “published”.

        A brief scheduled for later is published with a future time: it
        appears when the clock passes it, with no job needed.
        """
        return self.filter(
            status=Article.Status.PUBLISHED, published_at__lte=at or timezone.now()
        )

    # What a picture on a list reads (jinja2/includes/picture.html).
    PICTURE_FIELDS = (
        "hero_image",
        "hero_width",
        "hero_height",
        "hero_renditions",
        "hero_alt",
    )

    # What a search result shows (jinja2/articles/search.html), and what
    # lists order and key it by. Only these: the long columns (the body, its
    # parts, the search document) would be read and decoded for nothing.
    TEASER_FIELDS = (
        "slug",
        "headline",
        "dek",
        "byline_html",
        "published_at",
        "status",
        "category__name",
        "category__slug",
        *PICTURE_FIELDS,
        "rendered_with",
    )

    def for_listing(self):
        """What a teaser needs: its category, and its byline as rendered."""
        return self.select_related("category").only(*self.TEASER_FIELDS)

    # What a card on a list reads (jinja2/includes/cards.html): its stored
    # body, its picture, and what its surrogate keys and the fingerprint
    # check read. No join: the category's name is in the stored body.
    CARD_FIELDS = (
        "card_html",
        "lead_card_html",
        "category",
        *PICTURE_FIELDS,
        "rendered_with",
    )

    def for_cards(self):
        """What a card on a list needs, rendered on save (articles/rendering.py)."""
        return self.only(*self.CARD_FIELDS)

    def for_page(self):
        """Everything the article page shows: the brief's row as rendered on
        save (articles/rendering.py) and its category, in one query."""
        return self.select_related("category").defer("search_document", "search_vector")


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEW = "review", "In review"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"

    headline = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        help_text="The last part of the brief's address, after /briefs/. Changing it on a published brief keeps the old address working.",
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
    hero_image = models.ImageField(
        upload_to="heroes/%Y/%m/",
        blank=True,
        width_field="hero_width",
        height_field="hero_height",
        validators=[validate_image],
        help_text="JPEG, PNG, WebP or GIF; also the picture on social cards.",
    )
    hero_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Resized copies made in the background (articles/images.py).
    hero_renditions = models.JSONField(default=dict, blank=True, editable=False)
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
    created_by = creator_field(
        editable=False,
        related_name="briefs_created",
        help_text="Writers may edit only the briefs they created or have a byline on.",
    )
    # Optimistic locking: every save bumps it, and the admin refuses a save
    # made from a form loaded at an older version (see articles/forms.py).
    version = models.PositiveIntegerField(default=1, editable=False)
    # Plain text of the intro and every section and bullet, kept current by
    # articles/search.py; on PostgreSQL also as a weighted vector.
    search_document = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    # What readers see of the brief's parts, rendered and sanitised once per
    # change by articles/rendering.py; never edited by hand.
    body_html = models.TextField(blank=True, editable=False)
    byline_html = models.TextField(blank=True, editable=False)
    body_parts = models.JSONField(default=dict, blank=True, editable=False)
    # The article page's main column and its metadata, from the above and the
    # brief's own columns, so a cold page reads a handful of columns; and
    # what they were rendered with (settings, templates), so a brief rendered
    # by other ones renders again when shown (articles/rendering.py).
    page_html = models.TextField(blank=True, editable=False)
    head_html = models.TextField(blank=True, editable=False)
    # What its card on a list says (kicker, title, dek, byline), as the first
    # card on the home page and as every other.
    card_html = models.TextField(blank=True, editable=False)
    lead_card_html = models.TextField(blank=True, editable=False)
    rendered_with = models.CharField(max_length=16, blank=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = "brief"
        ordering = ["-published_at", "-pk"]
        permissions = [
            ("publish_article", "Can publish, schedule and unpublish briefs"),
            ("edit_any_article", "Can edit briefs other people wrote"),
        ]
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
        return slug_url("articles:detail", self.slug)

    def clean(self):
        super().clean()
        errors = {}
        if self.hero_image and not self.hero_alt.strip():
            errors["hero_alt"] = (
                "Describe the hero image for readers who cannot see it."
            )
        owner = Article.address_owner(self.slug, exclude_pk=self.pk)
        if owner is not None:
            errors["slug"] = ValidationError(
                _address_taken(self.slug, owner), code="slug_taken"
            )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def address_owner(cls, slug: str, *, exclude_pk=None) -> "Article | None":
        """The other brief /briefs/<slug>/ leads to, if any: the one with that
        slug now, or one that had it and keeps it as a redirect.

        The one rule for who owns an address: an old address stays its brief's
        (sent newsletters link to it), and only that brief may take it back.
        """
        if not slug or not validators.slug_re.fullmatch(slug):
            # Not a slug: owns nothing (the field's own check says what is
            # wrong), and a NUL must not reach PostgreSQL, which errors on it.
            return None
        others = cls.objects.exclude(pk=exclude_pk) if exclude_pk else cls.objects
        return (
            others.filter(slug=slug).first()
            or others.filter(slug_redirects__old_slug=slug).first()
        )

    @property
    def is_published(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    # Saves this soon after publication (the publishing save itself, a typo
    # fixed at once) are not news to readers: no "Updated" line for them.
    UPDATED_AFTER = timedelta(minutes=5)

    @property
    def shows_updated(self) -> bool:
        """Whether readers see "Updated …": changed well after publication."""
        if not (self.updated_at and self.published_at):
            return False
        return self.updated_at - self.published_at > self.UPDATED_AFTER

    @property
    def byline_authors(self) -> list[Author]:
        """Authors in byline order (prefetch `bylines__author` for many)."""
        return [byline.author for byline in self.bylines.all()]

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        # Django's documented hook: a brief read from the database is stored,
        # so saving it is an edit (a new version), not a creation.
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._stored = True
        return instance

    def save(self, *args, **kwargs):
        if self.pk is not None and getattr(self, "_stored", False):
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            _remember_old_slug(self)
        super().save(*args, **kwargs)
        self._stored = True

    def publish(self, when=None):
        self.status = self.Status.PUBLISHED
        if when is not None:
            self.published_at = when
        elif self.published_at is None:
            self.published_at = timezone.now()
        self.save()


class Byline(Positioned):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="bylines"
    )
    # PROTECT is wrong for a newsroom (an author leaving must not block
    # deleting them) and CASCADE would delete briefs: drop only the byline.
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bylines")

    class Meta(Positioned.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["article", "author"], name="byline_article_author_unique"
            ),
        ]

    def __str__(self):
        return f"{self.author} on {self.article}"


class Section(Positioned):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="sections"
    )
    # PROTECT: a deleted label would leave live briefs with empty headings
    # (and sections that no longer validate); the admin names the briefs.
    label = models.ForeignKey(
        SectionLabel,
        on_delete=models.PROTECT,
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
    numbered = models.BooleanField(
        "numbered list",
        default=False,
        help_text="Readers see the bullets numbered 1, 2, 3… (steps, rankings, "
        "a countdown) instead of as a bulleted list.",
    )

    class Meta(Positioned.Meta):
        indexes = [
            models.Index(fields=["article", "position"], name="section_order_idx")
        ]

    def __str__(self):
        return self.display_label or f"Section {self.position}"

    def save(self, *args, **kwargs):
        # Renderers add the colon (articles.labels), so a typed one would double.
        self.custom_label = clean_label(self.custom_label)
        super().save(*args, **kwargs)

    @property
    def display_label(self) -> str:
        # A custom label wins: an editor who typed one meant it.
        if self.custom_label:
            return self.custom_label
        return self.label.name if self.label_id else ""


class Bullet(Positioned):
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="bullets"
    )
    text = RichTextField(kind="inline", blank=False)

    class Meta(Positioned.Meta):
        indexes = [
            models.Index(fields=["section", "position"], name="bullet_order_idx")
        ]

    def __str__(self):
        return self.text[:60]


def _address_taken(slug: str, owner: Article) -> str:
    how = (
        "uses it"
        if owner.slug == slug
        else f"had it before moving to /briefs/{owner.slug}/, and links to it "
        "still lead there"
    )
    return (
        f"The address /briefs/{slug}/ belongs to the brief “{owner.headline}”, "
        f"which {how}. Choose another slug."
    )


def _remember_old_slug(article: Article) -> None:
    """Keep a public brief's old address working after its slug changes."""
    stored = Article.objects.filter(pk=article.pk).values_list("slug", "status")
    old_slug, old_status = stored.first() or (article.slug, None)
    if old_slug == article.slug:
        return
    # The new address now belongs to this brief, whoever redirected from it.
    SlugRedirect.objects.filter(old_slug=article.slug).delete()
    if old_status in (Article.Status.PUBLISHED, Article.Status.UNPUBLISHED):
        SlugRedirect.objects.update_or_create(
            old_slug=old_slug, defaults={"article": article}
        )


class SlugRedirect(models.Model):
    """An address a published brief had before its slug changed: it 301s."""

    old_slug = models.SlugField(max_length=200)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="slug_redirects"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["old_slug"], name="slugredirect_old_slug_unique"
            ),
        ]

    def __str__(self):
        return f"/briefs/{self.old_slug}/ → {self.article.slug}"
