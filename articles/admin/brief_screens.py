"""The brief's screens beyond Django's list and form: import from text,
preview, revisions and restore, secret preview links (their URLs keep the
names Django's own screens use: admin:articles_article_<screen>)."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from articles import brevity, preview, revisions, services
from articles.forms import ImportBriefForm, keep_vanished_rows
from articles.models import Article, Author, Byline, PreviewLink, Revision
from newsroom.admin_pages import AdminPageMixin


class BriefScreens(AdminPageMixin):
    """Mixed into ArticleAdmin (articles/admin/briefs.py)."""

    def get_urls(self):
        return [
            *self.admin_urls(
                ("import/", self.import_view, "import"),
                ("add/preview/", self.preview_view, "preview_add"),
                # Before "<path:object_id>/preview/", which would match it too.
                (
                    "<path:object_id>/revisions/<int:revision_id>/preview/",
                    self.revision_preview_view,
                    "revision_preview",
                ),
                ("<path:object_id>/preview/", self.preview_view, "preview"),
                ("<path:object_id>/revisions/", self.revisions_view, "revisions"),
                (
                    "<path:object_id>/revisions/<int:revision_id>/restore/",
                    self.restore_view,
                    "restore",
                ),
                ("<path:object_id>/share/", self.share_view, "share"),
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return self.page_context(
            request,
            title,
            has_view_permission=self.has_view_permission(request),
            **extra,
        )

    def _article_or_404(self, request, object_id) -> Article:
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No brief with that id, or not one you may see.")
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return article

    def import_view(self, request):
        """“New brief from text”: paste, review the parsed draft, save it."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportBriefForm(request.POST or None)
        parsed = report = None
        if request.method == "POST" and form.is_valid():
            parsed = form.parsed
            if "_create" in request.POST:
                article = services.create_brief_from_parsed(parsed, user=request.user)
                author = Author.objects.filter(user=request.user).first()
                if author is not None:
                    Byline.objects.create(article=article, author=author)
                messages.success(
                    request,
                    f"Draft “{article}” created from the pasted text. "
                    "Check it, then save or submit it.",
                )
                self.warn_about_brevity(request, article)
                return HttpResponseRedirect(
                    reverse("admin:articles_article_change", args=[article.pk])
                )
            report = brevity.analyse(brevity.structure_of_parsed(parsed))
        known = services.section_labels()
        sections = [
            (section, brevity.label_key(section.label or "") in known)
            for section in (parsed.sections if parsed else [])
        ]
        context = self._context(
            request,
            "New brief from text",
            form=form,
            parsed=parsed,
            sections=sections,
            report=report,
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/articles/article/import.html", context)

    def preview_view(self, request, object_id=None):
        """The brief as readers will see it: stored (GET) or unsaved (POST)."""
        article = self._article_or_404(request, object_id) if object_id else None
        if request.method != "POST":
            if article is None:
                return HttpResponseRedirect(reverse("admin:articles_article_add"))
            return preview.render_stored(request, article)
        allowed = (
            self.has_change_permission(request, article)
            if article is not None
            else self.has_add_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        if article is not None:
            request.POST = keep_vanished_rows(request.POST, article.pk)
        return preview.render_unsaved(self, request, article)

    def revisions_view(self, request, object_id):
        article = self._article_or_404(request, object_id)
        history = list(article.revisions.select_related("created_by"))
        by_id = {str(rev.pk): rev for rev in history}
        newer = by_id.get(request.GET.get("b")) or (history[0] if history else None)
        older = by_id.get(request.GET.get("a")) or (
            history[1] if len(history) > 1 else newer
        )
        if older and newer and older.created_at > newer.created_at:
            older, newer = newer, older
        rows = (
            revisions.compare(older.snapshot, newer.snapshot) if older and newer else []
        )
        context = self._context(
            request,
            f"Revisions of “{article}”",
            original=article,
            history=history,
            older=older,
            newer=newer,
            rows=rows,
            can_restore=self.has_change_permission(request, article),
        )
        return TemplateResponse(
            request, "admin/articles/article/revisions.html", context
        )

    def revision_preview_view(self, request, object_id, revision_id):
        """A past version as the reader page would show it (nothing saved)."""
        article = self._article_or_404(request, object_id)
        revision = get_object_or_404(Revision, pk=revision_id, article=article)
        return preview.render_revision(request, revision)

    def restore_view(self, request, object_id, revision_id):
        article = self._article_or_404(request, object_id)
        revision = get_object_or_404(Revision, pk=revision_id, article=article)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        if request.method == "POST":
            new = revisions.restore(revision, user=request.user)
            messages.success(
                request,
                f"Restored version {revision.article_version}; "
                f"saved as version {new.article_version}.",
            )
            return HttpResponseRedirect(
                reverse("admin:articles_article_change", args=[article.pk])
            )
        rows = revisions.compare(revisions.snapshot(article), revision.snapshot)
        context = self._context(
            request,
            f"Restore version {revision.article_version} of “{article}”?",
            original=article,
            revision=revision,
            rows=rows,
        )
        return TemplateResponse(
            request, "admin/articles/article/restore_confirm.html", context
        )

    def share_view(self, request, object_id):
        """Secret preview links: create one to share a draft, revoke it later."""
        article = self._article_or_404(request, object_id)
        if not (
            request.user.has_perm("articles.add_previewlink")
            and self.has_change_permission(request, article)
        ):
            raise PermissionDenied
        if request.method == "POST":
            if "_create" in request.POST:
                PreviewLink.objects.create(article=article, created_by=request.user)
                messages.success(request, "New preview link created.")
            elif revoke := request.POST.get("_revoke"):
                count = PreviewLink.objects.filter(
                    article=article, pk=revoke if revoke.isdigit() else None
                ).update(revoked_at=timezone.now())
                if count:
                    messages.success(request, "Link revoked: it shows nothing now.")
            return HttpResponseRedirect(request.path)
        links = article.preview_links.select_related("created_by")
        context = self._context(
            request,
            f"Share a preview of “{article}”",
            original=article,
            links=[
                (link, request.build_absolute_uri(link.get_absolute_url()))
                for link in links
            ],
        )
        return TemplateResponse(request, "admin/articles/article/share.html", context)
