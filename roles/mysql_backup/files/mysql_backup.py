#!/usr/bin/python3
"""A consistent backup of some databases, with CHECKSUM TABLE of every table at the same moment.

One session holds FLUSH TABLES WITH READ LOCK while each database is dumped (mysqldump or mariadb-dump,
--single-transaction, gzip) and its tables are checksummed, so the dumps and the checksums describe one
point in time. Writes are blocked meanwhile; run it on a replica to spare the primary.

The backup goes to DIRECTORY.partial, which is renamed to DIRECTORY once complete:
  <database>.sql.gz   one dump per database, loadable into a database of any name
  checksums.json      {database: {table: checksum}}
  meta.json           when, from which server, at which GTID position
  SHA256SUMS          sha256sum -c format, for the files above
A JSON summary is printed on stdout. Exit codes: 0 done, 1 failure, 2 bad input (missing databases).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pymysql

CHUNK = 1024 * 1024
DUMP_OPTIONS = ["--single-transaction", "--routines", "--events", "--triggers", "--hex-blob"]


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def table_checksums(cursor, database: str) -> dict[str, int | None]:
    cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                   "AND table_type = 'BASE TABLE' ORDER BY table_name", (database,))
    tables = [row[0] for row in cursor.fetchall()]
    if not tables:
        return {}
    cursor.execute("CHECKSUM TABLE " + ", ".join(f"{quote_name(database)}.{quote_name(t)}" for t in tables))
    return {table.split(".", 1)[1]: checksum for table, checksum in cursor.fetchall()}


def dump(command: list[str], target: str) -> None:
    """Run the dump command into a gzip file; raise if it fails."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process, \
            gzip.open(target, "wb", compresslevel=6) as out:
        shutil.copyfileobj(process.stdout, out, CHUNK)
        errors = process.stderr.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {errors.strip()}")


def write_json(path: str, data) -> None:
    with open(path, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")


def backup(socket: str, directory: str, databases: list[str], dump_binary: str) -> dict:
    partial = directory + ".partial"
    connection = pymysql.connect(unix_socket=socket, user="root", autocommit=True)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT schema_name FROM information_schema.schemata WHERE schema_name IN %s",
                       (databases,))
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in databases if name not in present]
        if missing:
            raise LookupError(f"no such database: {', '.join(missing)}")
        cursor.execute("SELECT VERSION()")
        version = cursor.fetchone()[0]
        mariadb = "mariadb" in version.lower()
        options = DUMP_OPTIONS if mariadb else [*DUMP_OPTIONS, "--set-gtid-purged=OFF"]
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(partial, mode=0o700)
        cursor.execute("FLUSH TABLES WITH READ LOCK")
        try:
            cursor.execute("SELECT @@GLOBAL.gtid_binlog_pos" if mariadb else "SELECT @@GLOBAL.gtid_executed")
            position = (cursor.fetchone()[0] or "").replace("\n", "")
            checksums = {}
            for name in databases:
                checksums[name] = table_checksums(cursor, name)
                dump([dump_binary, f"--socket={socket}", *options, name], os.path.join(partial, f"{name}.sql.gz"))
        finally:
            cursor.execute("UNLOCK TABLES")
    finally:
        connection.close()
    meta = {"name": os.path.basename(directory), "databases": databases, "server_version": version,
            "gtid_position": position,
            # timezone.utc, not datetime.UTC: managed hosts may run Python older than 3.11.
            "finished_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}  # noqa: UP017
    write_json(os.path.join(partial, "checksums.json"), checksums)
    write_json(os.path.join(partial, "meta.json"), meta)
    files = [*sorted(f"{name}.sql.gz" for name in databases), "checksums.json", "meta.json"]
    with open(os.path.join(partial, "SHA256SUMS"), "w") as handle:
        for file_name in files:
            handle.write(f"{sha256(os.path.join(partial, file_name))}  {file_name}\n")
    os.rename(partial, directory)
    return {"directory": directory, "files": [*files, "SHA256SUMS"], "checksums": checksums, **meta}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="the server's unix socket (root logs in through it)")
    parser.add_argument("--directory", required=True, help="the backup's directory (must not exist)")
    parser.add_argument("--database", action="append", required=True, help="a database to back up (repeat)")
    parser.add_argument("--dump", default="mysqldump", help="the dump program (mariadb-dump, mysqldump)")
    options = parser.parse_args(argv)
    if os.path.exists(options.directory):
        print(json.dumps({"failed": True, "msg": f"{options.directory} exists already"}))
        return 2
    try:
        result = backup(options.socket, options.directory, options.database, options.dump)
    except LookupError as exc:
        print(json.dumps({"failed": True, "msg": str(exc)}))
        return 2
    except (OSError, RuntimeError, pymysql.MySQLError) as exc:
        shutil.rmtree(options.directory + ".partial", ignore_errors=True)
        print(json.dumps({"failed": True, "msg": f"backup failed: {exc}"}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
