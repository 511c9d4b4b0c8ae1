from django.urls import path

from articles import feeds, preview, views
from articles.http import public_page

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("briefs/<slug:slug>/", views.ArticleView.as_view(), name="detail"),
    path("category/<slug:slug>/", views.CategoryView.as_view(), name="category"),
    path("topic/<slug:slug>/", views.TopicView.as_view(), name="topic"),
    path("author/<slug:slug>/", views.AuthorView.as_view(), name="author"),
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
    path("feed/atom/", public_page(feeds.BriefsAtomFeed()), name="feed-atom"),
    path(
        "category/<slug:slug>/feed/",
        public_page(feeds.CategoryFeed()),
        name="category-feed",
    ),
    path(
        "category/<slug:slug>/feed/atom/",
        public_page(feeds.CategoryAtomFeed()),
        name="category-feed-atom",
    ),
    path("topic/<slug:slug>/feed/", public_page(feeds.TopicFeed()), name="topic-feed"),
    path(
        "topic/<slug:slug>/feed/atom/",
        public_page(feeds.TopicAtomFeed()),
        name="topic-feed-atom",
    ),
    path(
        "author/<slug:slug>/feed/", public_page(feeds.AuthorFeed()), name="author-feed"
    ),
    path(
        "author/<slug:slug>/feed/atom/",
        public_page(feeds.AuthorAtomFeed()),
        name="author-feed-atom",
    ),
    path("sitemap.xml", views.sitemap_index, name="sitemap-index"),
    path("sitemap-news.xml", views.news_sitemap, name="sitemap-news"),
    path("sitemap-<slug:section>.xml", views.sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
]
