"""Statements a burst runs thousands of times, compiled once per dialect and run on the driver's own cursor."""

# SQLAlchemy's execution path (execution context, events, result wrapping) costs several times what SQLite needs
# to run a small insert; for the answer path of a 2,000-phone burst that was most of the writer's CPU. A Prepared
# statement keeps SQLAlchemy's compiler and the conversions of the values going in, and skips the per-call
# bookkeeping, the result's conversions included (Prepared's docstring lists exactly what goes). It runs in the
# session's own transaction, so savepoints, the commit and the rollback stay the writer's (app/store/database.py).

import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, configure_mappers
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.sql import ClauseElement, Select, visitors
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter

Row = tuple[Any, ...]
M = TypeVar("M")


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # the parameters, in the driver's order where it takes positional parameters
    names: tuple[str, ...]
    # the few whose type converts them (a timestamp, a flag): their place, name and conversion
    conversions: tuple[tuple[int, str, Callable[[Any], Any]], ...]
    positional: bool
    # with Prepared(converted=True): each result column's conversion, None where the driver's value is already it
    results: tuple[Callable[[Any], Any] | None, ...] = ()


class Prepared:
    """A Core statement (or one per dialect name) and its parameter names; compiled on first use per dialect.

    Kept from SQLAlchemy: the SQL its compiler writes for the dialect, in the driver's parameter style; each
    parameter's bind-side conversion (its type's bind processor, a TypeDecorator's process_bind_param included:
    a datetime becomes SQLite's text, a dict JSON); the session's transaction and savepoint, flushed first when
    the session autoflushes; a driver's error raised as SQLAlchemy's own (IntegrityError, OperationalError...).

    Not kept: rows come back raw, as the driver gives them (no result processors: on SQLite a datetime is its
    text, JSON a string, a boolean 0 or 1), unless made with converted=True, when each column goes through its
    type's result conversion as SQLAlchemy's result would (TypeDecorators included); a column's Python-side
    default or onupdate is not applied, so every value comes from the caller's parameters (refused below where
    one would be missing); no rowcount, no inserted primary key other than through RETURNING; no engine or
    session events, no echo, no execution options; many() is the driver's own executemany.

    Refused when made: an expanding parameter (an IN list, `in_([...])` or `bindparam(..., expanding=True)`) and a
    literal_execute one, which SQLAlchemy renders into the SQL anew on every call, and a value written into the
    statement (`col == 3`, `.limit(1)`, `.values(x=1)`), which Prepared would never send: each raises ValueError.
    What the dialect itself renders that way is refused when the statement is first compiled for it.
    """

    def __init__(
        self,
        statement: ClauseElement | Mapping[str, ClauseElement],
        columns: Sequence[str] = (),
        *,
        converted: bool = False,
    ) -> None:
        for variant in statement.values() if isinstance(statement, Mapping) else (statement,):
            for element in visitors.iterate(variant):
                if isinstance(element, BindParameter):
                    _refuse_unprepared(element, element.key)
        # one per dialect name where the dialect's own construct is needed (an insert's ON CONFLICT)
        self.statement = statement
        # for an insert: the columns it fills, in the order the rows name them
        self.columns = list(columns)
        self.converted = converted
        self._compiled: dict[tuple[str, bool], _Compiled] = {}

    def _for(self, dialect: Dialect, many: bool) -> _Compiled:
        key = (dialect.name, many)
        compiled = self._compiled.get(key)
        if compiled is None:
            statement = self.statement[dialect.name] if isinstance(self.statement, Mapping) else self.statement
            # a DML statement compiles to an SQLCompiler; compile() is typed for any ClauseElement
            done = cast(
                SQLCompiler, statement.compile(dialect=dialect, column_keys=self.columns or None, for_executemany=many)
            )
            names = tuple((done.positiontup if dialect.positional else done.binds) or ())
            _refuse_compiled(done, names)
            convert = [done.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
            conversions = tuple((i, names[i], fn) for i, fn in enumerate(convert) if fn is not None)
            results: tuple[Callable[[Any], Any] | None, ...] = ()
            if self.converted:
                # no driver type code: the types Doorbraak stores (numbers, text, flags, timestamps, JSON) need none
                results = tuple(
                    column.type.dialect_impl(dialect).result_processor(dialect, None)
                    for column in cast(Select[Any], statement).selected_columns
                )
            compiled = self._compiled[key] = _Compiled(done.string, names, conversions, dialect.positional, results)
        return compiled

    def one(self, db: Session, params: dict[str, Any]) -> Row | None:
        """Run once; the first row, if any."""
        return self.on(db).one(params)

    def all(self, db: Session, params: dict[str, Any]) -> list[Row]:
        """Run once; every row."""
        return self.on(db).all(params)

    def many(self, db: Session, rows: list[dict[str, Any]]) -> None:
        """Run once per row, as the driver's executemany."""
        if rows:
            self.on(db).many(rows)

    def on(self, db: Session) -> "Bound":
        """This statement on the session's connection, to run many times in a row; the session is flushed now."""
        if db.autoflush:
            # as Session.execute would: what a change holds in the session is written before this reads
            db.flush()
        # the connection is asked for once per transaction: in a savepoint (Session.begin_nested) asking is what
        # starts the savepoint, so a rollback to it also undoes what ran here
        transaction = db.get_nested_transaction() or db.get_transaction()
        cached = db.info.get("driver_connection")
        if cached is None or cached[0]() is not transaction:
            connection = db.connection()
            # the transaction by weak reference: the session's info holding it (and it the session) was a cycle
            # only a full sweep of the collector frees, with the connection and everything the session held
            cached = db.info["driver_connection"] = (
                weakref.ref(transaction),
                connection.connection.dbapi_connection,
                connection.dialect,
            )
        _, driver, dialect = cached
        return Bound(self, driver, dialect)


def detached(model: type[M], values: Iterable[tuple[str, Any]]) -> M:
    """An instance of a table model holding these column values, as the ORM's loading builds one, in no session."""
    # what loading a row does (a new instance, its values put straight into its dict), without the session's
    # identity map and events: a few microseconds, where Session.get costs a hundred and more
    manager = manager_of_class(model)
    if not manager.mapper.configured:
        # as the ORM's first query would: before it, the class's attributes cannot yet be read
        configure_mappers()
    instance = manager.new_instance()
    instance.__dict__.update(values)
    return instance


def _refuse_unprepared(parameter: BindParameter[Any], name: str) -> None:
    """Raise ValueError for a parameter whose value Prepared would not send as the statement means it."""
    # an anonymous parameter's name is an internal label: its value says more
    which = f"the value {parameter.value!r}" if parameter.unique else f"the parameter {name!r}"
    if parameter.expanding:
        raise ValueError(
            f"Prepared cannot run an IN list ({which}): SQLAlchemy renders an expanding parameter into the "
            "SQL anew on every call; pass the values as one parameter (json_each on SQLite, = ANY on PostgreSQL, "
            "as app/answers/service.py does) or run it with Session.execute"
        )
    if parameter.literal_execute:
        raise ValueError(
            f"Prepared cannot run a literal_execute parameter ({which}): SQLAlchemy renders its value into the "
            "SQL on every call; use a plain bindparam or run it with Session.execute"
        )
    if not parameter.required:
        raise ValueError(
            f"Prepared takes every value from the caller, but {which} is part of the statement (a literal, "
            "or a column's Python-side default or onupdate): use bindparam(name) and pass the value, "
            "naming such a column among the insert's columns"
        )


def _refuse_compiled(compiled: SQLCompiler, names: tuple[str, ...]) -> None:
    """Raise ValueError where the dialect's SQL would need what Prepared does not do (see Prepared)."""
    for parameter in compiled.post_compile_params | compiled.literal_execute_params:
        _refuse_unprepared(parameter, parameter.key)
    for name in names:
        _refuse_unprepared(compiled.binds[name], name)


class Bound:
    """A Prepared statement on one driver connection; a value the call before had too is converted once."""

    __slots__ = ("_prepared", "_driver", "_dialect", "_last")

    def __init__(self, prepared: Prepared, driver: Any, dialect: Dialect) -> None:
        self._prepared = prepared
        self._driver = driver
        self._dialect = dialect
        # per parameter, the last value converted and what it became (a batch's one timestamp)
        self._last: dict[str, tuple[Any, Any]] = {}

    def one(self, params: dict[str, Any]) -> Row | None:
        """Run once; the first row, if any."""
        cursor = self._run(params)
        try:
            row: Row | None = cursor.fetchone()
        finally:
            cursor.close()
        if row is None or not self._prepared.converted:
            return row
        return _converted(self._prepared._for(self._dialect, False).results, row)

    def all(self, params: dict[str, Any]) -> list[Row]:
        """Run once; every row."""
        cursor = self._run(params)
        try:
            rows: list[Row] = cursor.fetchall()
        finally:
            cursor.close()
        if not self._prepared.converted:
            return rows
        results = self._prepared._for(self._dialect, False).results
        return [_converted(results, row) for row in rows]

    def many(self, rows: list[dict[str, Any]]) -> None:
        """Run once per row, as the driver's executemany."""
        self._run(rows, many=True).close()

    def _run(self, params: dict[str, Any] | list[dict[str, Any]], *, many: bool = False) -> Any:
        compiled = self._prepared._for(self._dialect, many)
        values: Any = [self._values(compiled, row) for row in params] if many else self._values(compiled, params)  # type: ignore[arg-type]
        cursor = self._driver.cursor()
        try:
            if many:
                cursor.executemany(compiled.sql, values)
            else:
                cursor.execute(compiled.sql, values)
        except self._dialect.loaded_dbapi.Error as exc:
            cursor.close()
            # the same exception SQLAlchemy would raise, so callers (the writer's retry) need not know the driver
            error = self._dialect.loaded_dbapi.Error
            raise DBAPIError.instance(compiled.sql, values, exc, error, dialect=self._dialect) from exc
        return cursor

    def _values(self, compiled: _Compiled, row: dict[str, Any]) -> Any:
        """A row's parameters in the driver's form, each converted by its type."""
        values = [row[name] for name in compiled.names]
        last = self._last
        for index, name, convert in compiled.conversions:
            value = values[index]
            seen = last.get(name)
            if seen is not None and seen[0] is value:
                values[index] = seen[1]
                continue
            values[index] = convert(value)
            # a container may change between calls, so only plain values are remembered
            if not isinstance(value, dict | list):
                last[name] = (value, values[index])
        return tuple(values) if compiled.positional else dict(zip(compiled.names, values, strict=True))


def _converted(results: tuple[Callable[[Any], Any] | None, ...], row: Row) -> Row:
    """A row with each column through its result conversion (Prepared(converted=True))."""
    return tuple(value if fn is None else fn(value) for fn, value in zip(results, row, strict=True))
