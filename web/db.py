"""Opening the job store: from a URL, and once per request on Flask's `g` (as flaskr's `get_db`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
import pymysql
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from .exceptions import StoreError
from .jobs import JobStore
from .mysql_store import MysqlStore, redact

DATABASE_ERRORS = (sqlite3.Error, pymysql.MySQLError, StoreError)


def sqlite_path(url: str) -> str | None:
    """The file of a `sqlite:///PATH` URL (None for other URLs)."""
    prefix = "sqlite:///"
    return url[len(prefix):] if url.startswith(prefix) else None


def absolute_store_url(url: str, base: Path) -> str:
    """Make a relative SQLite path absolute, so every thread and process opens the same file."""
    path = sqlite_path(url)
    if path is None or Path(path).is_absolute():
        return url
    return f"sqlite:///{(base / path).resolve()}"


def open_store(url: str) -> JobStore:
    """A store for `sqlite:///PATH` or `mysql://USER:PASSWORD@HOST:PORT/DATABASE`."""
    path = sqlite_path(url)
    if path is not None:
        from .sqlite_store import SqliteStore

        try:
            return SqliteStore(path)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the job store {path}: {exc}") from exc
    if url.startswith("mysql://"):
        return MysqlStore(url)
    raise StoreError(f"unknown job store URL {redact(url)!r}: use sqlite:///PATH or mysql://...")


def get_db() -> JobStore:
    """The request's store connection, opened on first use."""
    if "db" not in g:
        g.db = open_store(current_app.config["STORE"])
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Bring the job store's schema up to date."""
    store = open_store(current_app.config["STORE"])
    try:
        applied = store.migrate()
        click.echo(f"schema version {store.schema_version()} (applied: {applied or 'nothing'})")
    finally:
        store.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(migrate_command)
