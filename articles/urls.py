from django.urls import path

from articles import feeds, preview, views
from articles.http import public_page
from articles.listings import LISTINGS

app_name = "articles"


def listing_urls(listing):
    """A category's, topic's or author's page and its two feeds."""
    kind = listing.kind
    return [
        path(
            f"{kind}/<slug:slug>/",
            views.ListingView.as_view(listing=listing),
            name=kind,
        ),
        path(
            f"{kind}/<slug:slug>/feed/",
            public_page(feeds.ListingFeed(listing)),
            name=f"{kind}-feed",
        ),
        path(
            f"{kind}/<slug:slug>/feed/atom/",
            public_page(feeds.ListingFeed(listing, atom=True)),
            name=f"{kind}-feed-atom",
        ),
    ]


urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("briefs/<slug:slug>/", views.ArticleView.as_view(), name="detail"),
    *(url for listing in LISTINGS for url in listing_urls(listing)),
    path("preview/<str:token>/", preview.preview_link_view, name="preview"),
    # Reader site: search, archives, feeds, sitemaps and robots.txt.
    path("search/", views.SearchView.as_view(), name="search"),
    path("archive/", views.ArchiveIndexView.as_view(), name="archive"),
    path("archive/<int:year>/", views.YearArchive.as_view(), name="archive-year"),
    path(
        "archive/<int:year>/<int:month>/",
        views.MonthArchive.as_view(),
        name="archive-month",
    ),
    path(
        "archive/<int:year>/<int:month>/<int:day>/",
        views.DayArchive.as_view(),
        name="archive-day",
    ),
    path("feed/", public_page(feeds.BriefsFeed()), name="feed"),
    path("feed/atom/", public_page(feeds.BriefsFeed(atom=True)), name="feed-atom"),
    path("sitemap.xml", views.sitemap_index, name="sitemap-index"),
    path("sitemap-news.xml", views.news_sitemap, name="sitemap-news"),
    path("sitemap-<slug:section>.xml", views.sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
]
