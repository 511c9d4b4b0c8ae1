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
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.db import connections
from django.db.models import QuerySet, TextField
from django.db.models.base import DEFERRED, ModelState
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from articles import prepared


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
def _plan(model, prefix: str, deferred: frozenset = frozenset()) -> list:
    """(JSON key, attribute name, converter, deferred?) per concrete field."""
    return [
        (
            prefix + attname,
            attname,
            _CONVERTERS.get(field.get_internal_type()),
            attname in deferred,
        )
        for attname, _, field in _columns(model)
    ]


def _build(model, data: dict, prefix: str = "", db="default", deferred=frozenset()):
    """A model instance from its JSON object (keys are `prefix + attname`).

    Fields in `deferred` are left out, as QuerySet.defer() leaves them.
    """
    plan = _plan(model, prefix, deferred)
    if pre_init.has_listeners(model):
        values = []
        for key, _, convert, skip in plan:
            value = DEFERRED if skip else data.get(key)
            if convert and value is not None and not skip:
                value = convert(value)
            values.append(value)
        # Positional arguments in concrete-field order: Model.from_db's path.
        instance = model(*values)
        instance._state.adding = False
        instance._state.db = db
        return instance
    # What Model.__init__ does for a row with every field, less its generic
    # per-field dispatch. No descriptor is skipped that would do more than
    # store the value on a fresh instance (ForeignKey and file attributes do
    # only that); post_init is sent as __init__ sends it, once all are set.
    instance = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = db
    values = instance.__dict__
    values["_state"] = state
    for key, attname, convert, skip in plan:
        if not skip:
            value = data.get(key)
            values[attname] = convert(value) if convert and value is not None else value
    if post_init.has_listeners(model):
        # ImageField listens (briefs and authors), to fill in an image's size.
        post_init.send(sender=model, instance=instance)
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


# The article page: one statement, built once per process and database.
#
# Building and compiling the page's queryset cost the ORM about 0.5 ms per
# request, twice what the database then takes to answer it. The statement
# below is the same query as Article.objects.for_page().published().get(
# slug=...): the brief's columns, its category's, and the parts as JSON. Its
# WHERE clause is compiled from published() itself, once, with placeholder
# values whose places among the parameters are then filled per request, so
# "published" keeps its one definition.

# Any aware time: it only tells prepared.placeholders() the value's type.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

# Columns the page never shows, left deferred (reading one costs a query).
PAGE_DEFERRED = frozenset({"search_document", "search_vector"})


@dataclass(frozen=True)
class _Statement:
    sql: str
    slots: tuple  # where the slug and time go among the parameters
    article_keys: tuple
    category_keys: tuple


@cache
def _page_statement(using: str) -> _Statement:
    Article, *_ = _models()
    connection = connections[using]
    made = prepared.placeholders({"slug": "", "at": _EPOCH})
    found = (
        Article.objects.using(using).published(at=made["at"]).filter(slug=made["slug"])
    )
    if len(found.query.alias_map) != 1:
        raise ValueError("published() must filter the brief's own table only")
    where, params = found.query.get_compiler(using=using).compile(found.query.where)
    slots = prepared.find_slots(connection, params, made)

    category_field = Article._meta.get_field("category")
    Category = category_field.related_model
    article_columns = [
        (attname, column)
        for attname, column, _ in _columns(Article)
        if attname not in PAGE_DEFERRED
    ]
    category_columns = [(a, c) for a, c, _ in _columns(Category)]
    article_table, category_table = Article._meta.db_table, Category._meta.db_table
    select = [f'"{article_table}"."{c}"' for _, c in article_columns]
    select += [f'"{category_table}"."{c}"' for _, c in category_columns]
    select += [part_sql(connection.vendor, part) for part in PAGE_PARTS]
    sql = (
        f'SELECT {", ".join(select)} FROM "{article_table}" '
        f'LEFT OUTER JOIN "{category_table}" ON '
        f'("{article_table}"."{category_field.column}" = "{category_table}"."id") '
        f"WHERE {where} LIMIT 1"
    )
    return _Statement(
        sql,
        slots,
        tuple(a for a, _ in article_columns),
        tuple(a for a, _ in category_columns),
    )


def article_page(slug: str, at=None, using: str = "default"):
    """The published brief at `slug` with everything its page shows, or None.

    The same brief, parts and category as
    Article.objects.for_page().published().get(slug=slug), in one query.
    """
    Article, *_ = _models()
    statement = _page_statement(using)
    connection = connections[using]
    params = prepared.fill(
        connection, statement.slots, {"slug": slug, "at": at or timezone.now()}
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    count = len(statement.article_keys)
    article = _build(
        Article,
        dict(zip(statement.article_keys, row[:count], strict=True)),
        db=using,
        deferred=PAGE_DEFERRED,
    )
    category = row[count : count + len(statement.category_keys)]
    article._state.fields_cache["category"] = (
        _build(
            Article._meta.get_field("category").related_model,
            dict(zip(statement.category_keys, category, strict=True)),
            db=using,
        )
        if article.category_id is not None
        else None
    )
    for part, value in zip(
        PAGE_PARTS, row[count + len(statement.category_keys) :], strict=True
    ):
        article.__dict__[annotation(part)] = value
    attach_parts([article], PAGE_PARTS, using=using)
    return article
