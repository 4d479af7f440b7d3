"""The database connection's settings, shared by the portal and the bench's bare comparison site
(bench/bare_django), so that both connect the same way."""


def connection_settings(env, url_default: str) -> dict:
    """``DATABASES["default"]`` from DATABASE_URL: persistent connections with health checks and,
    on PostgreSQL, server-side parameters and prepared statements.

    With Django's default (client-side binding) psycopg writes every parameter into the SQL text
    and PostgreSQL parses and plans each statement anew: for the intake's statements that was
    about 40 % of their backend's CPU. With server-side binding psycopg prepares a statement the
    fifth time a connection runs it (psycopg's default threshold) and keeps the 100 most recent
    per connection. A transaction-mode connection pooler (PgBouncer without
    max_prepared_statements) cannot keep a session's prepared statements: set
    ``DATABASE_PREPARED_STATEMENTS=false`` behind one.
    """
    settings = env.db("DATABASE_URL", default=url_default)
    settings["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    settings["CONN_HEALTH_CHECKS"] = True
    if settings["ENGINE"].endswith("postgresql") and env.bool(
        "DATABASE_PREPARED_STATEMENTS", default=True
    ):
        settings.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    return settings
