"""What briefs are filed under and shown with: categories, topics, authors,
section labels."""

from django.conf import settings
from django.db import models

from articles.images import validate_image
from articles.labels import clean_label
from articles.links import slug_url


class ListingSubject(models.Model):
    """What a list of briefs can be about (articles/listings.py): a category,
    a topic or an author. Each has a name, a slug no other of its kind has,
    and a reader page at that slug whose URL is named after the model
    (articles:category, articles:topic, articles:author)."""

    class Meta:
        abstract = True
        ordering = ["name"]
        constraints = [
            # category_slug_unique, topic_slug_unique, author_slug_unique.
            models.UniqueConstraint(fields=["slug"], name="%(class)s_slug_unique"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_url(f"articles:{self._meta.model_name}", self.slug)


class Category(ListingSubject):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(
        default=0, help_text="Lower numbers come first in the site's navigation."
    )

    class Meta(ListingSubject.Meta):
        ordering = ["position", "name"]
        verbose_name_plural = "categories"


class Topic(ListingSubject):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)


class Author(ListingSubject):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    title = models.CharField(
        max_length=120,
        blank=True,
        help_text="Shown under the name, e.g. “Europe editor”.",
    )
    bio = models.TextField(blank=True)
    photo = models.ImageField(
        upload_to="authors/",
        blank=True,
        width_field="photo_width",
        height_field="photo_height",
        validators=[validate_image],
        help_text="A square portrait shows best; JPEG, PNG, WebP or GIF.",
    )
    photo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    photo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Resized copies made in the background (articles/images.py).
    photo_renditions = models.JSONField(default=dict, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author",
        help_text="The admin account that writes as this author, if any.",
    )


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

    def save(self, *args, **kwargs):
        # Renderers add the colon (articles.labels), so a typed one would double.
        self.name = clean_label(self.name)
        super().save(*args, **kwargs)

    def clean(self):
        # Before the unique check, so "Zoom in:" is caught as "Zoom in".
        self.name = clean_label(self.name)
