import io
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from articles import demo_content
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

PALETTES = [
    ((24, 45, 84), (179, 38, 30)),
    ((18, 78, 70), (233, 180, 60)),
    ((60, 30, 90), (80, 160, 220)),
    ((90, 40, 20), (240, 150, 70)),
    ((30, 30, 40), (120, 200, 140)),
]


def hero_image(seed: int) -> bytes:
    """A small abstract picture, drawn here so the demo needs no files."""
    start, end = PALETTES[seed % len(PALETTES)]
    width, height = 1200, 675
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for x in range(width):
        t = x / width
        colour = tuple(int(a + (b - a) * t) for a, b in zip(start, end, strict=True))
        draw.line([(x, 0), (x, height)], fill=colour)
    for i in range(6):
        r = 60 + 40 * ((seed + i) % 5)
        cx = (seed * 97 + i * 211) % width
        cy = (seed * 53 + i * 131) % height
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(255, 255, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


class Command(BaseCommand):
    help = (
        "Load demo categories, authors, topics and briefs, and make sure an admin "
        "account exists. Briefs already present (by slug) are left untouched, so "
        "running it twice changes nothing. Works offline."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-admin", action="store_true", help="Do not create the admin account."
        )
        parser.add_argument(
            "--no-images", action="store_true", help="Skip drawing hero images."
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            created = self.load_content(images=not options["no_images"])
        self.stdout.write(self.style.SUCCESS(f"Demo content: {created} new brief(s)."))
        if not options["no_admin"]:
            self.ensure_admin()

    def load_content(self, images: bool) -> int:
        categories = {}
        for position, (name, slug, description) in enumerate(demo_content.CATEGORIES):
            categories[slug], _ = Category.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "description": description,
                    "position": position,
                },
            )
        authors = {}
        for name, slug, title, bio in demo_content.AUTHORS:
            authors[slug], _ = Author.objects.get_or_create(
                slug=slug, defaults={"name": name, "title": title, "bio": bio}
            )
        topics = {}
        for name, slug in demo_content.TOPICS:
            topics[slug], _ = Topic.objects.get_or_create(
                slug=slug, defaults={"name": name}
            )
        labels = {label.name.lower(): label for label in SectionLabel.objects.all()}

        created = 0
        now = timezone.now()
        for index, brief in enumerate(demo_content.BRIEFS):
            if Article.objects.filter(slug=brief["slug"]).exists():
                continue
            article = Article(
                slug=brief["slug"],
                headline=brief["headline"],
                dek=brief["dek"],
                intro="".join(f"<p>{p}</p>" for p in brief["intro"]),
                category=categories[brief["category"]],
                status=Article.Status.PUBLISHED,
                published_at=now - timedelta(hours=brief["hours_ago"]),
                hero_alt="Abstract illustration of overlapping circles on a gradient.",
                hero_credit="Newsroom illustration",
            )
            if images:
                article.hero_image.save(
                    f"{brief['slug']}.jpg", ContentFile(hero_image(index)), save=False
                )
            article.save()
            article.topics.set([topics[slug] for slug in brief["topics"]])
            for position, slug in enumerate(brief["authors"]):
                Byline.objects.create(
                    article=article, author=authors[slug], position=position
                )
            for position, data in enumerate(brief["sections"]):
                label = labels.get(data["label"].lower())
                section = Section.objects.create(
                    article=article,
                    position=position,
                    label=label,
                    custom_label="" if label else data["label"],
                    heading=data.get("heading", ""),
                    text=data.get("text", ""),
                )
                Bullet.objects.bulk_create(
                    Bullet(section=section, position=i, text=text)
                    for i, text in enumerate(data.get("bullets", []))
                )
            # Published hours ago and not edited since, as the demo pretends.
            Article.objects.filter(pk=article.pk).update(
                updated_at=article.published_at
            )
            created += 1
        return created

    def ensure_admin(self):
        """Create (or re-key) the local admin login and print it.

        The password lives in var/admin-password.txt, outside git, so every
        `make run` can print the same working login.
        """
        User = get_user_model()
        password_file = Path(settings.BASE_DIR) / "var" / "admin-password.txt"
        password_file.parent.mkdir(exist_ok=True)
        user = User.objects.filter(username="admin").first()
        password = password_file.read_text().strip() if password_file.exists() else ""
        if user is None or not password or not user.check_password(password):
            password = password or secrets.token_urlsafe(12)
            if user is None:
                user = User(username="admin", email="admin@localhost")
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login: username 'admin', password '{password}' "
                f"at {settings.SITE_URL}/admin/"
            )
        )
