"""Everything under a brief (bylines, topics, corrections, sections, bullets)
in the same query as the brief, for any number of briefs.

Prefetching the same relations costs five more queries, each with Django's
query building and row-to-model work around it: 3.4 ms of a 14 ms article
page on this machine. Here each relation is one more column of the brief's
own row: a correlated subquery in which the database nests the rows as JSON
(json_group_array/json_object on SQLite, json_agg/json_build_object on
PostgreSQL). The models are built straight from it and put where
prefetch_related would have put them, so templates and code reading
`article.sections.all()` or `byline.author` run no further query.

ArticleQuerySet.for_page() and for_listing() add the columns and call
attach_parts() when the rows arrive.

The database does not promise the order of rows inside an aggregate without
an ORDER BY in it (which SQLite only has from 3.44), so each list is sorted
here, by the model's own Meta.ordering.
"""

from __future__ import annotations

import json
from datetime import UTC
from functools import cache

from django.db import connections
from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_date, parse_datetime


@cache
def _models():
    from articles.models import (
        Article,
        Author,
        Bullet,
        Byline,
        Correction,
        Section,
        SectionLabel,
        Topic,
    )

    return Article, Author, Bullet, Byline, Correction, Section, SectionLabel, Topic


def _columns(model):
    return [(f.attname, f.column, f) for f in model._meta.concrete_fields]


def _datetime(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _date(value):
    return parse_date(value) if isinstance(value, str) else value


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


# How a JSON value becomes the field's Python value, where it differs.
_CONVERTERS = {
    "DateTimeField": _datetime,
    "DateField": _date,
    "BooleanField": bool,
    "JSONField": _json,
}


@cache
def _plan(model, prefix: str) -> list:
    return [
        (prefix + attname, _CONVERTERS.get(field.get_internal_type()))
        for attname, _, field in _columns(model)
    ]


def _build(model, data: dict, prefix: str = "", db="default"):
    """A model instance from its JSON object (keys are `prefix + attname`)."""
    values = []
    for key, convert in _plan(model, prefix):
        value = data.get(key)
        values.append(convert(value) if convert and value is not None else value)
    # Positional arguments in concrete-field order: Model.from_db's fast path.
    instance = model(*values)
    instance._state.adding = False
    instance._state.db = db
    return instance


def _decode(value):
    if value is None:
        return []
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


class _Dialect:
    """The few SQL words that differ between SQLite and PostgreSQL."""

    def __init__(self, vendor: str):
        self.postgres = vendor == "postgresql"

    def obj(self, pairs: list[tuple[str, str]]) -> str:
        args = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
        return f"json_build_object({args})" if self.postgres else f"json_object({args})"

    def array(self, expression: str, rest: str, order: str) -> str:
        """A JSON array of `expression` over the rows of `rest` ([] if none).

        PostgreSQL orders inside the aggregate (so by its own collation);
        SQLite before 3.44 cannot, and the caller sorts (see _ordered).
        """
        if self.postgres:
            return (
                f"COALESCE((SELECT json_agg({expression} ORDER BY {order}) {rest}), "
                "'[]'::json)"
            )
        # json(): nested inside json_object, text would be quoted, not nested.
        return f"json(COALESCE((SELECT json_group_array({expression}) {rest}), '[]'))"


def _fields(model, alias: str, prefix: str = "") -> list[tuple[str, str]]:
    return [
        (prefix + attname, f'{alias}."{column}"')
        for attname, column, _ in _columns(model)
    ]


def _order(model, alias: str) -> str:
    """Meta.ordering as SQL on `alias`."""
    terms = []
    for name in model._meta.ordering:
        attname = name.lstrip("-")
        field = model._meta.pk if attname == "pk" else model._meta.get_field(attname)
        terms.append(f'{alias}."{field.column}"' + (" DESC" if name[0] == "-" else ""))
    return ", ".join(terms)


# The outer brief row the correlated subqueries refer to.
_OUTER = '"articles_article"."id"'

PAGE_PARTS = ("bylines", "topics", "corrections", "sections")
LISTING_PARTS = ("bylines",)


@cache
def part_sql(vendor: str, part: str) -> str:
    """A correlated subquery: one JSON array of `part` for the outer brief."""
    Article, Author, Bullet, Byline, Correction, Section, SectionLabel, Topic = (
        _models()
    )
    d = _Dialect(vendor)
    table = lambda model: model._meta.db_table  # noqa: E731
    if part == "bylines":
        sql = d.array(
            d.obj(_fields(Byline, "b") + _fields(Author, "au", "author.")),
            f'FROM "{table(Byline)}" b JOIN "{table(Author)}" au '
            f"ON au.id = b.author_id WHERE b.article_id = {_OUTER}",
            _order(Byline, "b"),
        )
    elif part == "topics":
        sql = d.array(
            d.obj(_fields(Topic, "tp")),
            f'FROM "{table(Article.topics.through)}" t JOIN "{table(Topic)}" tp '
            f"ON tp.id = t.topic_id WHERE t.article_id = {_OUTER}",
            _order(Topic, "tp"),
        )
    elif part == "corrections":
        sql = d.array(
            d.obj(_fields(Correction, "c")),
            f'FROM "{table(Correction)}" c WHERE c.article_id = {_OUTER}',
            _order(Correction, "c"),
        )
    elif part == "sections":
        bullets = d.array(
            d.obj(_fields(Bullet, "bu")),
            f'FROM "{table(Bullet)}" bu WHERE bu.section_id = s.id',
            _order(Bullet, "bu"),
        )
        sql = d.array(
            d.obj(
                _fields(Section, "s")
                + _fields(SectionLabel, "l", "label.")
                + [("bullets", bullets)]
            ),
            f'FROM "{table(Section)}" s LEFT JOIN "{table(SectionLabel)}" l '
            f"ON l.id = s.label_id WHERE s.article_id = {_OUTER}",
            _order(Section, "s"),
        )
    else:
        raise ValueError(f"Unknown part of a brief: {part!r}")
    # As text: PostgreSQL cannot compare json values (DISTINCT, GROUP BY).
    return f"CAST({sql} AS text)" if d.postgres else sql


def annotation(part: str) -> str:
    return f"_part_{part}"


def annotations(vendor: str, parts) -> dict:
    """Queryset annotations selecting each part as one JSON column."""
    return {
        annotation(part): RawSQL(part_sql(vendor, part), (), output_field=TextField())
        for part in parts
    }


def _ordered(objects: list, model, presorted: bool) -> list:
    """Sort by Meta.ordering, unless the database already did."""
    if presorted:
        return objects
    for name in reversed(model._meta.ordering):
        attname = name.lstrip("-")
        objects.sort(
            key=lambda obj: (
                (value := getattr(obj, attname)) is None,
                value if value is not None else 0,
            ),
            reverse=name.startswith("-"),
        )
    return objects


def _prefetched(instance, cache_name: str, model, objects: list) -> None:
    """Put `objects` where prefetch_related would: `.all()` then reads them."""
    # A bare empty queryset holding the rows (a manager's would cost two
    # clones each): reading it gives the rows, filtering it gives nothing.
    queryset = QuerySet(model)
    queryset.query.set_empty()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance._prefetched_objects_cache[cache_name] = queryset


def attach_parts(articles, parts, using: str = "default") -> None:
    """Turn the JSON columns of `parts` on each brief into prefetched models."""
    Article, Author, Bullet, Byline, Correction, Section, SectionLabel, Topic = (
        _models()
    )
    presorted = connections[using].vendor == "postgresql"
    for article in articles:
        columns = {}
        for part in parts:
            name = annotation(part)
            if name in article.__dict__:
                columns[part] = _decode(article.__dict__.pop(name))
        if not columns:
            continue
        if not hasattr(article, "_prefetched_objects_cache"):
            article._prefetched_objects_cache = {}

        if "bylines" in columns:
            bylines = []
            for data in columns["bylines"]:
                byline = _build(Byline, data, db=using)
                byline._state.fields_cache["author"] = _build(
                    Author, data, "author.", db=using
                )
                byline._state.fields_cache["article"] = article
                bylines.append(byline)
            _prefetched(
                article, "bylines", Byline, _ordered(bylines, Byline, presorted)
            )

        if "topics" in columns:
            topics = [_build(Topic, data, db=using) for data in columns["topics"]]
            _prefetched(article, "topics", Topic, _ordered(topics, Topic, presorted))

        if "corrections" in columns:
            corrections = []
            for data in columns["corrections"]:
                correction = _build(Correction, data, db=using)
                correction._state.fields_cache["article"] = article
                corrections.append(correction)
            _prefetched(
                article,
                "corrections",
                Correction,
                _ordered(corrections, Correction, presorted),
            )

        if "sections" in columns:
            sections = []
            for data in columns["sections"]:
                section = _build(Section, data, db=using)
                section._state.fields_cache["article"] = article
                section._state.fields_cache["label"] = (
                    _build(SectionLabel, data, "label.", db=using)
                    if section.label_id is not None
                    else None
                )
                bullets = []
                for bullet_data in _decode(data.get("bullets")):
                    bullet = _build(Bullet, bullet_data, db=using)
                    bullet._state.fields_cache["section"] = section
                    bullets.append(bullet)
                section._prefetched_objects_cache = {}
                _prefetched(
                    section, "bullets", Bullet, _ordered(bullets, Bullet, presorted)
                )
                sections.append(section)
            _prefetched(
                article, "sections", Section, _ordered(sections, Section, presorted)
            )
