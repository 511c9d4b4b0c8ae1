from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from articles.models import Article, Author, Category, SlugRedirect, Topic


class PublishedMixin:
    """Reader pages list only published briefs, with their teaser data."""

    def get_queryset(self):
        return Article.objects.published().for_listing()

    def get_paginate_by(self, queryset):
        return settings.ARTICLES_PER_PAGE


class HomeView(PublishedMixin, ListView):
    template_name = "articles/home.html"
    context_object_name = "articles"


class CategoryView(PublishedMixin, ListView):
    template_name = "articles/category.html"
    context_object_name = "articles"

    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return super().get_queryset().filter(category=self.category)

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


class TopicView(PublishedMixin, ListView):
    template_name = "articles/topic.html"
    context_object_name = "articles"

    def get_queryset(self):
        self.topic = get_object_or_404(Topic, slug=self.kwargs["slug"])
        return super().get_queryset().filter(topics=self.topic)

    def get_context_data(self, **kwargs):
        return super().get_context_data(topic=self.topic, **kwargs)


class AuthorView(PublishedMixin, ListView):
    template_name = "articles/author.html"
    context_object_name = "articles"

    def get_queryset(self):
        self.author = get_object_or_404(Author, slug=self.kwargs["slug"])
        return super().get_queryset().filter(bylines__author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class ArticleView(DetailView):
    template_name = "articles/article.html"
    context_object_name = "article"

    def get_queryset(self):
        return Article.objects.published().for_page()

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
