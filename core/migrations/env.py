"""Alembic environment: the application's engine and metadata (see core.migrate)."""

from alembic import context

from core import search
from core.db import db
from core.migrate import VERSION_TABLE

config = context.config
app = config.attributes["flask_app"]
prefix = config.attributes.get("include_prefix")  # `comptoir db revision MODULE`


def include_object(obj, name, type_, reflected, compare_to):
    if search.is_search_object(name):  # made by the migrations themselves (core.search)
        return False
    if not prefix:
        return True
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return bool(table) and table.startswith(prefix)


def render_item(type_, obj, autogen_context):
    """Write our column types as the plain SQL types they store."""
    from core.db import FixedDecimal, UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, FixedDecimal):
        return "sa.BigInteger()"
    return False


with app.app_context():
    engine = db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            version_table=VERSION_TABLE,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
