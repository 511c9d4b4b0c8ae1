"""Previews: a brief shown with the reader template before readers can see it.

Four ways in, one renderer:
- an editor previews a stored draft (GET in the admin);
- an editor previews a past revision: it is restored inside a transaction,
  rendered and shown, and the transaction rolled back, as below;
- an editor previews unsaved changes: the admin form is POSTed here, saved
  inside a transaction, its body rendered by the function that renders it on
  every save (articles/rendering.py), shown as the reader page shows it, and
  rolled back, so sanitising and ordering are the real ones and nothing
  reaches the database;
- anyone with a secret link sees the stored draft until the link is revoked.

Previews are never cached or indexed, and send no referrer (the secret is in
the address).
"""

import re

from django.db import transaction
from django.forms.formsets import all_valid
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format

from articles import rendering, revisions, seo
from articles.models import Article, PreviewLink, Revision
from articles.views import ArticleView, article_page_queryset
from articles.workflow import state_label

PREVIEW_TEMPLATE = "articles/preview.html"


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _reader_html(request, article: Article, banner: str) -> str:
    # The reader view's own context, so the preview shows what it will show.
    view = ArticleView()
    view.setup(request, slug=article.slug)
    view.object = article
    context = view.get_context_data(object=article)
    # The stored head carries JSON-LD, which a preview leaves out.
    context.update(
        {
            "meta": seo.article_meta(article),
            "preview_banner": banner,
            "is_preview": True,
        }
    )
    return render_to_string(PREVIEW_TEMPLATE, context, request=request)


def _banner(article: Article, what: str) -> str:
    if what == "unsaved changes":
        return f"Preview of unsaved changes · {state_label(article)} · not saved yet"
    seen = "what readers see now" if article.is_published else "not visible to readers"
    return f"Preview of the {what} · {state_label(article)} · {seen}"


def _stored(pk: int) -> Article:
    """The brief with its page as rendered now (rendering.current())."""
    briefs = article_page_queryset()
    [article] = rendering.current([briefs.get(pk=pk)], briefs)
    return article


def render_stored(request, article: Article) -> HttpResponse:
    article = _stored(article.pk)
    html = _reader_html(request, article, _banner(article, "saved version"))
    return _private(HttpResponse(html))


def render_revision(request, revision: Revision) -> HttpResponse:
    """Revision `revision` as readers would see it if it were restored now,
    rendered by the function that renders every save, saving nothing."""
    saved = date_format(timezone.localtime(revision.created_at), "j M Y, H:i")
    with transaction.atomic():
        revisions.restore(revision)
        rendering.store([revision.article_id])
        article = article_page_queryset().get(pk=revision.article_id)
        banner = (
            f"Preview of version {revision.article_version} (saved {saved}) · "
            "not what readers see now unless restored"
        )
        html = _reader_html(request, article, banner)
        transaction.set_rollback(True)
    return _private(HttpResponse(html))


def render_unsaved(model_admin, request, obj: Article | None) -> HttpResponse:
    """Render the POSTed admin form as the reader page, saving nothing."""
    change = obj is not None
    ModelForm = model_admin.get_form(request, obj, change=change, fields=None)
    # Uploaded files are not stored for a preview; the saved image shows.
    form = ModelForm(request.POST, None, instance=obj)
    form.check_conflicts = False
    formsets, _ = model_admin._create_formsets(request, form.instance, change=change)
    form_valid = form.is_valid()
    if not (all_valid(formsets) and form_valid):
        return _private(_errors(request, model_admin, form, formsets))
    with transaction.atomic():
        article = form.save()
        for formset in formsets:
            formset.save()
        # On commit it would render after; the preview needs it now.
        rendering.store([article.pk])
        article = article_page_queryset().get(pk=article.pk)
        html = _reader_html(request, article, _banner(article, "unsaved changes"))
        transaction.set_rollback(True)
    return _private(HttpResponse(html))


def _errors(request, model_admin, form, formsets) -> TemplateResponse:
    problems = [
        f"{form.fields[name].label if name in form.fields else 'Brief'}: {error}"
        for name, errors in form.errors.items()
        for error in errors
    ]
    for formset in formsets:
        problems += [str(error) for error in formset.non_form_errors()]
        for number, errors in enumerate(formset.errors, start=1):
            for name, messages in errors.items():
                where = _where(formset.prefix, number)
                problems += [
                    f"{where}, {name.replace('_', ' ')}: {m}" for m in messages
                ]
    return TemplateResponse(
        request,
        "admin/articles/article/preview_errors.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": "This brief cannot be previewed yet",
            "problems": problems,
        },
        status=200,
    )


_PART_NAMES = {
    "sections": "Section",
    "bullets": "bullet",
    "bylines": "Author",
    "corrections": "Correction",
}


def _where(prefix: str, number: int) -> str:
    """“sections-0-bullets”, 2 → “Section 1, bullet 2”."""
    parts = prefix.split("-")
    where = []
    for name, index in zip(parts[:-1:2], parts[1::2], strict=False):
        position = int(index) + 1 if index.isdigit() else index
        where.append(f"{_PART_NAMES.get(name, name)} {position}")
    where.append(f"{_PART_NAMES.get(parts[-1], parts[-1])} {number}")
    return ", ".join(where)


# What new_preview_token() makes. Anything else is no link, and must not
# reach the query: PostgreSQL refuses a NUL in text with an error, not a miss.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def preview_link_view(request, token: str) -> HttpResponse:
    """A shared preview: the stored draft, for whoever has the secret link."""
    if not _TOKEN.fullmatch(token):
        raise Http404("This preview link does not exist or was revoked.")
    link = (
        PreviewLink.objects.filter(token=token, revoked_at__isnull=True)
        .only("article_id")
        .first()
    )
    if link is None:
        raise Http404("This preview link does not exist or was revoked.")
    article = _stored(link.article_id)
    if article.is_published:
        return _private(HttpResponseRedirect(article.get_absolute_url()))
    return _private(
        HttpResponse(_reader_html(request, article, _banner(article, "draft")))
    )
