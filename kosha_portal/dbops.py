"""Migration operations for what only PostgreSQL has (the development default is SQLite)."""

from django.db import migrations


class PostgresOnlyAddIndex(migrations.AddIndex):
    """``AddIndex`` for an index only PostgreSQL can build (a pg_trgm GIN index): the model state
    always has it, the database only on PostgreSQL, built from ``sql`` (Django 5.2 writes an
    operator class around a function as ``((UPPER("name") gin_trgm_ops))``, which PostgreSQL
    refuses). ``sql`` is what goes in the parentheses after ``USING gin``."""

    def __init__(self, model_name, index, sql):
        super().__init__(model_name, index)
        self.sql = sql

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, {**kwargs, "sql": self.sql}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"CREATE INDEX {quote(self.index.name)} ON {quote(model._meta.db_table)} "
            f"USING gin ({self.sql})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"DROP INDEX IF EXISTS {schema_editor.quote_name(self.index.name)}"
            )


class PostgresOnlyAlterField(migrations.AlterField):
    """``AlterField`` for a change of a field's indexes only (``db_index``), made on PostgreSQL
    alone. SQLite alters a field by rebuilding its table from the model state, and that state
    holds the pg_trgm GIN indexes above, which SQLite cannot build; its database (the embedded
    development default) keeps its old indexes instead, which only costs it speed. A migration
    that changes more than indexes on those models must not use this."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
