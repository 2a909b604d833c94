"""Statements a burst runs thousands of times, compiled once per dialect and run on the driver's own cursor."""

# SQLAlchemy's execution path (execution context, events, result wrapping) costs several times what SQLite needs
# to run a small insert; for the answer path of a 2,000-phone burst that was most of the writer's CPU. A Prepared
# statement keeps SQLAlchemy's compiler and type conversions and skips the per-call bookkeeping. It runs in the
# session's own transaction, so savepoints, the commit and the rollback stay the writer's (app/db.py).

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # each parameter with its type's conversion, in the driver's order where it takes positional parameters
    params: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    positional: bool


class Prepared:
    """A Core statement (or one per dialect name) and its parameter names; compiled on first use per dialect."""

    def __init__(self, statement: ClauseElement | Mapping[str, ClauseElement], columns: Sequence[str] = ()) -> None:
        # one per dialect name where the dialect's own construct is needed (an insert's ON CONFLICT)
        self.statement = statement
        # for an insert: the columns it fills, in the order the rows name them
        self.columns = list(columns)
        self._compiled: dict[tuple[str, bool], _Compiled] = {}

    def _for(self, dialect: Dialect, many: bool) -> _Compiled:
        key = (dialect.name, many)
        compiled = self._compiled.get(key)
        if compiled is None:
            statement = self.statement[dialect.name] if isinstance(self.statement, Mapping) else self.statement
            done = statement.compile(dialect=dialect, column_keys=self.columns or None, for_executemany=many)
            names = done.positiontup if dialect.positional else list(done.binds)
            params = tuple(
                (name, done.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names or ()
            )
            compiled = self._compiled[key] = _Compiled(done.string, params, dialect.positional)
        return compiled

    def one(self, db: Session, params: dict[str, Any]) -> Row | None:
        """Run once; the first row, if any."""
        cursor = self._run(db, params, many=False)
        try:
            return cursor.fetchone()  # type: ignore[no-any-return]
        finally:
            cursor.close()

    def many(self, db: Session, rows: list[dict[str, Any]]) -> None:
        """Run once per row, as the driver's executemany."""
        if rows:
            self._run(db, rows, many=True).close()

    def _run(self, db: Session, params: dict[str, Any] | list[dict[str, Any]], *, many: bool) -> Any:
        if db.autoflush:
            # as Session.execute would: what a change holds in the session is written before this reads
            db.flush()
        # the connection is asked for once per transaction: in a savepoint (Session.begin_nested) asking is what
        # starts the savepoint, so a rollback to it also undoes what ran here
        transaction = db.get_nested_transaction() or db.get_transaction()
        cached = db.info.get("driver_connection")
        if cached is None or cached[0] is not transaction:
            connection = db.connection()
            cached = db.info["driver_connection"] = (
                transaction,
                connection.connection.dbapi_connection,
                connection.dialect,
            )
        _, driver, dialect = cached
        compiled = self._for(dialect, many)
        values = self._rows(compiled, params) if many else self._row(compiled, params)  # type: ignore[arg-type]
        cursor = driver.cursor()
        try:
            if many:
                cursor.executemany(compiled.sql, values)
            else:
                cursor.execute(compiled.sql, values)
        except dialect.loaded_dbapi.Error as exc:
            # the same exception SQLAlchemy would raise, so callers (the writer's retry) need not know the driver
            raise DBAPIError.instance(compiled.sql, values, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc
        return cursor

    @staticmethod
    def _row(compiled: _Compiled, row: dict[str, Any]) -> Any:
        values = [(name, row[name] if convert is None else convert(row[name])) for name, convert in compiled.params]
        return tuple(value for _, value in values) if compiled.positional else dict(values)

    @staticmethod
    def _rows(compiled: _Compiled, rows: list[dict[str, Any]]) -> list[Any]:
        """Each row's parameters; a value the row before had too (the batch's one timestamp) is converted once."""
        last: dict[str, tuple[Any, Any]] = {}
        converted = []
        for row in rows:
            values = []
            for name, convert in compiled.params:
                value = row[name]
                if convert is not None:
                    seen = last.get(name)
                    if seen is not None and seen[0] is value:
                        value = seen[1]
                    else:
                        last[name] = (value, value := convert(value))
                values.append((name, value))
            converted.append(tuple(v for _, v in values) if compiled.positional else dict(values))
        return converted
