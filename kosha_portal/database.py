"""The database connection's settings, shared by the portal and the bench's bare comparison site
(bench/bare_django), so that both connect the same way; and two ways for a write to send fewer
statements (``Rider``, ``insert_together``)."""

from dataclasses import dataclass


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


# --- fewer round trips -------------------------------------------------------------------------
# On the bench machine each round trip to PostgreSQL cost the worker and its backend about a third
# of a millisecond of CPU, whatever the statement: the kernel's loopback on both sides, the
# protocol, the backend's wake-up (docs/architecture.md, "Round trips"). These let a write that
# must send several statements send fewer.


@dataclass
class Rider:
    """A value a transaction needs from the database, read in a statement that it runs anyway
    rather than in one of its own: ``sql`` is one select-list expression with ``params``. The
    statement that carries it sets ``value`` and ``taken``; a caller whose rider was not taken
    (another database, or no such statement ran) reads the value its own way."""

    sql: str
    params: tuple = ()
    value: object = None
    taken: bool = False

    def carried(self, value) -> None:
        self.value, self.taken = value, True


def next_id(model) -> Rider:
    """The next id of ``model``'s table (PostgreSQL: its identity's sequence), for a row whose id
    is needed before it is written: the rows that name it can then be inserted with it."""
    opts = model._meta
    return Rider("nextval(pg_get_serial_sequence(%s, %s))", (opts.db_table, opts.pk.column))


def insert_together(*objs) -> None:
    """Insert new rows of any models in one statement, and set their primary keys.

    Each row is written as though the others did not exist yet: one may name another only by an
    id taken before (``next_id``) and through a constraint checked at commit (Django's foreign
    keys on PostgreSQL are deferred) or none (a generic relation). As with ``bulk_create``, no
    ``save()`` method runs and no signal is sent. On PostgreSQL the rows are one data-modifying
    ``WITH`` of Django's own INSERTs (each compiled as ``bulk_create`` would compile it), whose
    plan does not depend on the values, so it is prepared like an INSERT; elsewhere each row is
    inserted on its own."""
    from django.db import connections, router
    from django.db.models import AutoField
    from django.db.models.sql import InsertQuery

    if not objs:
        return
    alias = router.db_for_write(type(objs[0]))
    connection = connections[alias]
    if connection.vendor != "postgresql" or len(objs) == 1:
        for obj in objs:
            type(obj)._base_manager.using(alias).bulk_create([obj])
        return
    parts, params = [], []
    for n, obj in enumerate(objs):
        opts = obj._meta
        obj._prepare_related_fields_for_save(operation_name="insert_together")
        fields = [f for f in opts.concrete_fields if not f.generated]
        if obj.pk is None:
            fields = [f for f in fields if not isinstance(f, AutoField)]
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = [opts.pk]
        ((insert_sql, insert_params),) = compiler.as_sql()
        parts.append(f"r{n} (pk) AS ({insert_sql})")
        params.extend(insert_params)
    returned = ", ".join(f"(SELECT pk FROM r{n})" for n in range(len(objs)))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"{PREPARE}WITH {', '.join(parts)} SELECT {returned}", params)
        row = cursor.fetchone()
    for obj, pk in zip(objs, row, strict=True):
        obj.pk = obj._meta.pk.to_python(pk)
        obj._state.adding, obj._state.db = False, alias
