"""The database connection's settings, shared by the portal and the bench's bare comparison site
(bench/bare_django), so that both connect the same way."""


def connection_settings(env, url_default: str) -> dict:
    """``DATABASES["default"]`` from DATABASE_URL: persistent connections with health checks and,
    on PostgreSQL, server-side parameters and prepared INSERTs (``insert_preparing_cursor``).
    A transaction-mode connection pooler (PgBouncer without max_prepared_statements) cannot keep
    a session's prepared statements: set ``DATABASE_PREPARED_STATEMENTS=false`` behind one."""
    settings = env.db("DATABASE_URL", default=url_default)
    settings["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    settings["CONN_HEALTH_CHECKS"] = True
    if settings["ENGINE"].endswith("postgresql") and env.bool(
        "DATABASE_PREPARED_STATEMENTS", default=True
    ):
        settings.setdefault("OPTIONS", {}).update(
            server_side_binding=True,
            prepare_threshold=PREPARE_THRESHOLD,
            cursor_factory=insert_preparing_cursor(),
        )
    return settings


PREPARE_THRESHOLD = 5  # psycopg's default: a statement is prepared at its fifth run
# Starts a statement of the portal's own whose plan does not depend on its values (equality
# lookups), so it may be prepared like an INSERT.
PREPARE = "/* prepare */ "


def insert_preparing_cursor():
    """Django's server-side binding cursor, preparing INSERTs and the statements marked PREPARE.

    With Django's default (client-side binding) psycopg writes every parameter into the SQL text
    and PostgreSQL parses and plans each statement anew: for the intake's INSERTs that was most
    of their backend's CPU. A prepared statement is parsed and planned once per connection; after
    five runs PostgreSQL may keep one generic plan for every value. An ``INSERT … VALUES`` has one
    plan whatever its values, so those are prepared (the PREPARE_THRESHOLD-th time a connection
    runs one; psycopg keeps the 100 most recent), and so are statements that start with
    ``PREPARE``. Every other statement is planned for its values, as before: a generic plan of
    the triage list's text search read rows its values would have excluded (its rows query took
    3–5 ms planned for its values, 9–18 ms generic)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class InsertPreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            if prepare is None and not (
                isinstance(query, str) and query.startswith(("INSERT ", PREPARE))
            ):
                prepare = False
            return super().execute(query, params, prepare=prepare, binary=binary)

    return InsertPreparingCursor
