"""One new row inserted without the unit of work.

The ORM's flush of a single new object (its dependency sort, its events, its bookkeeping before and after) costs
several times the ``INSERT`` it sends. Where the evaluators' forms insert a row on every submission (an
evaluation, a security assessment), ``insert_object`` sends the ``INSERT`` itself, with ``RETURNING`` every column,
and then makes the object the session's own as if a query had loaded it: persistent, clean, its relationships not
loaded (read from the database, or the identity map, when first asked for).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached


def insert_object(session: Session, obj: Any) -> None:
    """Insert ``obj``, a new object whose columns are set (or have a default in its table), with one statement and
    add it to ``session`` as the persistent object for that row; what the database returned (its generated key, the
    defaults) is in its attributes."""
    mapper = cast(Mapper[Any], inspect(type(obj)))
    table = cast(Table, mapper.local_table)
    given = {prop.columns[0].key: obj.__dict__[prop.key] for prop in mapper.column_attrs if prop.key in obj.__dict__}
    row = session.execute(insert(table).values(given).returning(*table.c)).one()._mapping
    for prop in mapper.column_attrs:
        setattr(obj, prop.key, row[prop.columns[0]])
    make_transient_to_detached(obj)  # its attributes as loaded, no history: nothing for the next flush to do
    session.add(obj)
