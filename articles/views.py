from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpResponsePermanentRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import (
    DayArchiveView,
    DetailView,
    ListView,
    MonthArchiveView,
    TemplateView,
    YearArchiveView,
)

from articles import related, rendering, search, seo
from articles.http import public_page
from articles.listings import CountedPaginator, Listing
from articles.models import Article, SlugRedirect
from articles.sitemaps import NEWS_SITEMAPS, SITEMAPS
from newsroom import surrogate
from newsroom.links import absolute_url


class PublishedMixin:
    """Reader pages list only published briefs, as cards rendered on save."""

    def get_queryset(self):
        return Article.objects.published().for_cards()

    def get_paginate_by(self, queryset):
        return settings.ARTICLES_PER_PAGE

    def get_paginator(self, queryset, per_page, **kwargs):
        return CountedPaginator(queryset, per_page, name=self.request.path, **kwargs)

    def get_meta(self, context) -> seo.PageMeta:
        raise NotImplementedError

    def surrogate_keys(self) -> set[str]:
        """The keys of the list this page is (newsroom/surrogate.py)."""
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cards = rendering.current(context["object_list"], Article.objects.for_cards())
        context["object_list"] = context[self.context_object_name] = cards
        context["meta"] = self.get_meta(context)
        surrogate.add(*self.surrogate_keys())
        surrogate.add_teasers(cards)
        return context


def _home_crumb():
    return ("Home", absolute_url(reverse("articles:home")))


@method_decorator(public_page, name="dispatch")
class HomeView(PublishedMixin, ListView):
    template_name = "articles/home.html"
    context_object_name = "articles"

    def surrogate_keys(self):
        return {surrogate.HOME}

    def get_meta(self, context):
        meta = seo.listing_meta(
            title=settings.SITE_NAME,
            description="Short, structured news briefs: what happened, why it "
            "matters and what comes next.",
            path=reverse("articles:home"),
            page_obj=context["page_obj"],
        )
        meta.json_ld.append(seo.website())
        return meta


@method_decorator(public_page, name="dispatch")
class ListingView(PublishedMixin, ListView):
    """The briefs of one category, topic or author: as_view(listing=…)."""

    listing: Listing | None = None
    context_object_name = "articles"

    def get_template_names(self):
        return [f"articles/{self.listing.kind}.html"]

    def get_queryset(self):
        self.thing = self.listing.get(self.kwargs["slug"])
        return self.listing.briefs(super().get_queryset(), self.thing)

    def surrogate_keys(self):
        return self.listing.surrogate_keys(self.thing.pk)

    def get_meta(self, context):
        thing, kind = self.thing, self.listing.kind
        meta = seo.listing_meta(
            title=thing.name,
            description=self.listing.page_text(thing)
            or f"Briefs {self.listing.preposition} {thing.name}.",
            path=thing.get_absolute_url(),
            page_obj=context["page_obj"],
            feeds=[
                seo.feeds_for(
                    f"{thing.name} · {settings.SITE_NAME}",
                    f"articles:{kind}-feed",
                    f"articles:{kind}-feed-atom",
                    slug=thing.slug,
                )
            ],
            breadcrumbs=[
                _home_crumb(),
                (thing.name, absolute_url(thing.get_absolute_url())),
            ],
        )
        if self.listing.profile:
            meta.type = "profile"
            photo = seo.image_for_sharing(
                thing.photo,
                thing.photo_renditions,
                thing.photo_width,
                thing.photo_height,
            )
            if photo:
                meta.image, meta.image_alt = photo, thing.name
            meta.json_ld.append(seo.profile_page(thing))
        return meta

    def get_context_data(self, **kwargs):
        # `thing` for the shared articles/listing.html, its kind for author.html.
        return super().get_context_data(
            thing=self.thing, **{self.listing.kind: self.thing}, **kwargs
        )


def article_page_queryset():
    """What the article page shows, published or not (previews use it too)."""
    return Article.objects.for_page()


@method_decorator(public_page, name="dispatch")
class ArticleView(DetailView):
    template_name = "articles/article.html"
    context_object_name = "article"

    # What the page reads of the row: the brief as rendered on save, with
    # its metadata (articles/rendering.py), what its surrogate keys and
    # related briefs are found from (its category, topics and authors), and
    # what the fingerprint check reads. Only these: compiling the query costs
    # per column and per join, and was the largest single cost of a cold
    # render (a field read and not listed costs a query, which
    # tests/articles/test_query_budget.py counts).
    PAGE_FIELDS = (
        "slug",
        "headline",
        "dek",
        "category",
        "page_html",
        "head_html",
        "rendered_with",
        "body_parts",
    )

    # Built once, as generic views' `queryset` is: each request clones it
    # rather than applying only() again.
    queryset = Article.objects.only(*PAGE_FIELDS)

    def get_queryset(self):
        return super().get_queryset().published()

    def get_object(self, queryset=None):
        [article] = rendering.current([super().get_object(queryset)], self.queryset)
        return article

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # A published brief whose slug changed keeps its old address.
            moved = SlugRedirect.objects.filter(
                old_slug=kwargs["slug"], article__in=Article.objects.published()
            ).select_related("article")
            if redirect := moved.first():
                return HttpResponsePermanentRedirect(
                    redirect.article.get_absolute_url()
                )
            raise

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["related"] = related.box(self.object)
        surrogate.add_whole_briefs([self.object])
        # The related box is ranked from the lists of the brief's topics.
        surrogate.add(*map(surrogate.topic_list, surrogate.topic_ids(self.object)))
        surrogate.add(*map(surrogate.brief, context["related"].pks))
        return context


@method_decorator(public_page, name="dispatch")
class SearchView(ListView):
    """Full-text search (articles/search.py); never an error, whatever `q` is."""

    template_name = "articles/search.html"
    context_object_name = "articles"

    def get_queryset(self):
        raw = self.request.GET.get("q", "")
        self.query = search.clean_query(raw)
        self.truncated = len(" ".join(str(raw).split())) > len(self.query)
        if not self.query:
            return Article.objects.none()
        return search.search(self.query)

    def get_paginate_by(self, queryset):
        return settings.ARTICLES_PER_PAGE

    def paginate_queryset(self, queryset, page_size):
        # A bad or out-of-range page number shows the nearest page, not a 404.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query"] = self.query
        context["max_length"] = settings.SEARCH_MAX_QUERY_LENGTH
        context["truncated"] = self.truncated
        found = rendering.current(context["articles"], Article.objects.for_listing())
        context["object_list"] = context["articles"] = found
        context["results"] = [
            (article, search.snippet(article, self.query))
            for article in context["articles"]
        ]
        context["why_nothing"] = search.why_nothing(self.query)
        context["page_params"] = {"q": self.query} if self.query else {}
        surrogate.add(surrogate.SEARCH)
        surrogate.add_teasers(context["articles"])
        context["meta"] = seo.listing_meta(
            title=f"Search: {self.query}" if self.query else "Search",
            description=f"Briefs matching “{self.query}”."
            if self.query
            else f"Search the briefs of {settings.SITE_NAME}.",
            path=reverse("articles:search"),
            page_obj=context["page_obj"],
            params={"q": self.query},
            noindex=True,
        )
        return context


class ArchiveMixin(PublishedMixin):
    """Date archives: published briefs by year, month or day, paginated."""

    date_field = "published_at"
    month_format = "%m"
    context_object_name = "articles"
    template_name = "articles/archive.html"
    make_object_list = True

    def get_ordering(self):
        return ["-published_at", "-pk"]

    def archive_title(self, context) -> str:
        raise NotImplementedError

    def surrogate_keys(self):
        year = int(self.get_year())
        keys = {surrogate.year_list(year)}
        if hasattr(self, "get_month"):
            month = int(self.get_month())
            keys.add(surrogate.month_list(year, month))
            if hasattr(self, "get_day"):
                keys.add(surrogate.day_list(year, month, int(self.get_day())))
        return keys

    def get_meta(self, context):
        title = self.archive_title(context)
        crumbs = [
            _home_crumb(),
            ("Archive", absolute_url(reverse("articles:archive"))),
            (title, absolute_url(self.request.path)),
        ]
        return seo.listing_meta(
            title=title,
            description=f"Briefs published in {title}.",
            path=self.request.path,
            page_obj=context["page_obj"],
            breadcrumbs=crumbs,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["archive_title"] = self.archive_title(context)
        return context


@method_decorator(public_page, name="dispatch")
class YearArchive(ArchiveMixin, YearArchiveView):
    def archive_title(self, context):
        return context["year"].strftime("%Y")


@method_decorator(public_page, name="dispatch")
class MonthArchive(ArchiveMixin, MonthArchiveView):
    def archive_title(self, context):
        return context["month"].strftime("%B %Y")


@method_decorator(public_page, name="dispatch")
class DayArchive(ArchiveMixin, DayArchiveView):
    def archive_title(self, context):
        day = context["day"]
        return f"{day.day} {day:%B %Y}"


@method_decorator(public_page, name="dispatch")
class ArchiveIndexView(TemplateView):
    """Every month with published briefs, newest first, with counts."""

    template_name = "articles/archive_index.html"

    def get_context_data(self, **kwargs):
        months = (
            Article.objects.published()
            .annotate(month=TruncMonth("published_at"))
            .values("month")
            .annotate(count=Count("pk"))
            .order_by("-month")
        )
        years: dict[int, list] = {}
        for row in months:
            years.setdefault(row["month"].year, []).append(row)
        surrogate.add(surrogate.ARCHIVE)
        meta = seo.listing_meta(
            title="Archive",
            description=f"Every brief {settings.SITE_NAME} has published, by month.",
            path=reverse("articles:archive"),
            breadcrumbs=[
                _home_crumb(),
                ("Archive", absolute_url(reverse("articles:archive"))),
            ],
        )
        return super().get_context_data(years=years, meta=meta, **kwargs)


@public_page
def sitemap_index(request):
    """The sitemap index, with locations on SITE_URL (Django's uses the Host)."""
    surrogate.add(surrogate.SITEMAP)
    entries = []
    for section, sitemap_class in {**SITEMAPS, **NEWS_SITEMAPS}.items():
        sitemap = sitemap_class()
        name = "articles:sitemap-news" if section == "news" else "articles:sitemap"
        kwargs = {} if section == "news" else {"section": section}
        location = absolute_url(reverse(name, kwargs=kwargs))
        lastmod = sitemap.get_latest_lastmod()
        entries.append({"location": location, "last_mod": lastmod})
        for page in range(2, sitemap.paginator.num_pages + 1):
            entries.append({"location": f"{location}?p={page}", "last_mod": lastmod})
    return TemplateResponse(
        request,
        "articles/sitemap_index.xml",
        {"sitemaps": entries},
        content_type="application/xml",
    )


@public_page
def sitemap(request, section):
    surrogate.add(surrogate.SITEMAP)
    return sitemap_views.sitemap(
        request, SITEMAPS, section=section, template_name="articles/sitemap.xml"
    )


@public_page
def news_sitemap(request):
    surrogate.add(surrogate.SITEMAP)
    response = sitemap_views.sitemap(
        request, NEWS_SITEMAPS, template_name="articles/sitemap_news.xml"
    )
    response.context_data["language"] = settings.SITE_LANGUAGE
    return response


@public_page
def robots_txt(request):
    return TemplateResponse(
        request,
        "articles/robots.txt",
        {
            "sitemaps": [
                absolute_url(reverse("articles:sitemap-index")),
                absolute_url(reverse("articles:sitemap-news")),
            ]
        },
        content_type="text/plain; charset=utf-8",
    )
