"""A row's stored search document, computed by the database from the row's own columns.

`SearchDocument(("title", "A"), ("body", "B"))` is the expression of a `GeneratedField`: on
PostgreSQL the weighted tsvector (`setweight(to_tsvector('english', title), 'A') || …`), searched
with `@@` through a GIN index and ranked with its weights; elsewhere (SQLite) the lower-cased text,
searched with LIKE. Being a generated column, it is kept true on every write by every code path
(services, the admin, the importer, a bulk update), and the migration that adds it fills it.
"""

from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Func, Value
from django.db.models.functions import Coalesce, Concat, Lower

CONFIG = "english"


class SearchDocument(Func):
    output_field = models.TextField()

    def __init__(self, *weighted: tuple[str, str]):
        self.weighted = tuple(weighted)
        super().__init__(*[models.F(name) for name, _ in weighted])

    def __repr__(self):
        return f"SearchDocument{self.weighted!r}"

    def deconstruct(self):
        return ("meetings.search_document.SearchDocument", self.weighted, {})

    def _postgres_vector(self):
        vector = None
        for name, weight in self.weighted:
            part = SearchVector(name, weight=weight, config=CONFIG)
            vector = part if vector is None else vector + part
        return vector

    def _plain_text(self):
        parts = []
        for name, _ in self.weighted:
            parts += [Coalesce(models.F(name), Value(""), output_field=models.TextField()), Value(" ")]
        return Lower(Concat(*parts, output_field=models.TextField()))

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = super().resolve_expression(query, allow_joins, reuse, summarize, for_save)
        resolved.query = query
        return resolved

    def as_postgresql(self, compiler, connection, **extra):
        expression = self._postgres_vector().resolve_expression(self.query)
        return compiler.compile(expression)

    def as_sql(self, compiler, connection, **extra):
        expression = self._plain_text().resolve_expression(self.query)
        return compiler.compile(expression)
