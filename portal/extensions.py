"""Flask extensions, created unbound and initialised in `create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, event

from portal.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite behave like a real transactional database for the embedded mode.

    pysqlite defers BEGIN and breaks SAVEPOINT handling; SQLAlchemy's documented recipe takes over
    transaction control. Foreign keys are enforced and WAL lets readers proceed during a write.

    Transactions begin IMMEDIATE (take the write lock at once, waiting up to busy_timeout for it), as
    Django's and Rails' SQLite settings do: a deferred transaction that has read and then writes fails
    at once with "database is locked" if another connection committed in between, which the busy
    timeout does not cover. The print job thread's progress commits made that happen to the job page.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
