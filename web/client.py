"""python -m web client submit|status|logs|cancel|list: the job service from a shell or a CI pipeline.

`submit ENTRY --env ENV --vars FILE --follow` queues a job, shows its output and progress (the
current play and task, hosts ok/changed/failed) while it runs, and exits with the job's result.
The service's URL and token come from --url/--token (or --token-file), else ACSIBLE_URL and
ACSIBLE_TOKEN (or ACSIBLE_TOKEN_FILE). `--json` prints what the API returns, for machines.

Exit codes: 0 successful (or done as asked), 1 the job failed, 2 usage, 3 the job was canceled,
4 the job could not run (error), 5 the service refused the request or could not be reached,
6 `status`: the job is still queued or running, 130 interrupted (the job goes on).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import requests
import yaml

from .progress import Progress

DEFAULT_URL = "http://127.0.0.1:8200"
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0  # above the stream's heartbeat (STREAM_HEARTBEAT, 15 s)
POLL_INTERVAL = 0.5
RECONNECTS = 5

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELED, EXIT_ERROR, EXIT_SERVICE, EXIT_UNFINISHED = 0, 1, 2, 3, 4, 5, 6
EXIT_INTERRUPTED = 130
STATUS_EXIT = {"successful": EXIT_OK, "failed": EXIT_FAILED, "canceled": EXIT_CANCELED, "error": EXIT_ERROR}
STATUSES = ("queued", "running", "successful", "failed", "canceled", "error")


class ClientError(Exception):
    """The service refused a request (or could not be reached): the message says why."""

    def __init__(self, message: str, status: int | None = None, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.errors = errors or {}


class UsageError(Exception):
    pass


# -- the API ------------------------------------------------------------------------------------
class Api:
    """Calls of /api/v1 with a bearer token."""

    def __init__(self, url: str, token: str, session: requests.Session | None = None):
        self.base = url.rstrip("/").removesuffix("/api/v1")
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["User-Agent"] = "acsible-client"

    def call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None, stream: bool = False) -> requests.Response:
        try:
            response = self.session.request(method, f"{self.base}/api/v1{path}", json=body, params=params,
                                            headers=headers, stream=stream, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        except requests.RequestException as exc:
            raise ClientError(f"cannot reach the job service at {self.base}: {exc}") from exc
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    def json(self, method: str, path: str, **kw: Any) -> Any:
        response = self.call(method, path, **kw)
        try:
            return response.json()
        except ValueError as exc:
            raise ClientError(f"the service answered {method} {path} with something that is not JSON") from exc

    def job(self, job_id: str) -> dict[str, Any]:
        return self.json("GET", f"/jobs/{job_id}")

    def events(self, job_id: str, after: int) -> Iterator[dict[str, Any]]:
        """The job's events after `after`, as they come, until it ended: the stream (resumed after a
        dropped connection with Last-Event-ID), or polling when the service has no stream slot free."""
        reconnects = 0
        while True:
            try:
                for event in self._stream(job_id, after):
                    if event is None:
                        return
                    after = event["counter"]
                    reconnects = 0
                    yield event
            except ClientError as exc:
                if exc.status != 503:
                    raise
                yield from self._poll(job_id, after)
                return
            except (requests.RequestException, ValueError) as exc:
                reconnects += 1
                if reconnects > RECONNECTS:
                    raise ClientError(f"the job's event stream keeps failing: {exc}") from exc
                time.sleep(min(2.0, 0.2 * 2**reconnects))
            else:
                return

    def _stream(self, job_id: str, after: int) -> Iterator[dict[str, Any] | None]:
        response = self.call("GET", f"/jobs/{job_id}/stream", headers={"Last-Event-ID": str(after)}, stream=True)
        with response:
            kind, data = "message", []
            for line in response.iter_lines(decode_unicode=True):
                if line is None:
                    continue
                if line == "":
                    if data and kind == "end":
                        yield None
                        return
                    if data:
                        yield json.loads("\n".join(data))
                    kind, data = "message", []
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
        raise requests.ConnectionError("the stream ended before the job did")

    def _poll(self, job_id: str, after: int) -> Iterator[dict[str, Any]]:
        while True:
            page = self.json("GET", f"/jobs/{job_id}/events", params={"after": after, "limit": 500})
            yield from page["items"]
            after = page["next_after"]
            if page["complete"]:
                return
            if not page["items"]:
                time.sleep(POLL_INTERVAL)


def _refusal(response: requests.Response) -> ClientError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "description" in body:
        errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
        return ClientError(f"{response.status_code} {body.get('message', '')}: {body['description']}",
                           response.status_code, errors)
    return ClientError(f"{response.status_code} {response.reason}", response.status_code)


# -- following a job ------------------------------------------------------------------------------
class Display:
    """Output lines on stdout, progress on stderr: one status line rewritten in place on a terminal,
    a line at each task elsewhere (CI logs)."""

    def __init__(self, out: TextIO, err: TextIO, show_output: bool):
        self.out, self.err, self.show_output = out, err, show_output
        self.live = err.isatty()
        self.shown = ""

    def output(self, text: str) -> None:
        if not self.show_output or not text:
            return
        self._clear()
        self.out.write(text + "\n")
        self.out.flush()
        self._draw()

    def progress(self, progress: Progress, job_number: Any, new_task: bool) -> None:
        totals = progress.totals()
        parts = [f"job #{job_number}"]
        if progress.play:
            parts.append(f"play: {progress.play}")
        if progress.task:
            parts.append(f"task: {progress.task}")
        parts.append(f"hosts ok={totals['ok']} changed={totals['changed']} failed={totals['failures']} "
                     f"unreachable={totals['unreachable']}")
        line = " | ".join(parts)
        if self.live:
            self._clear()
            self.shown = line[: max(20, _columns() - 1)]
            self._draw()
        elif new_task:
            self.err.write(f"-- {line}\n")
            self.err.flush()

    def note(self, text: str) -> None:
        self._clear()
        self.shown = ""
        self.err.write(text + "\n")
        self.err.flush()

    def _clear(self) -> None:
        if self.live and self.shown:
            self.err.write("\r\033[K")
            self.err.flush()

    def _draw(self) -> None:
        if self.live and self.shown:
            self.err.write(self.shown)
            self.err.flush()


def _columns() -> int:
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except OSError:
        columns = 0
    return columns or 100  # 0: a terminal that does not say its size


def follow(api: Api, job: dict[str, Any], display: Display) -> dict[str, Any]:
    """Show the job's output and progress until it ends; returns the finished job."""
    progress = Progress()
    display.note(f"following job #{job['number']} ({job['id']}): {job['entry']} on {job['environment']}")
    for event in api.events(job["id"], 0):
        task_before = (progress.play, progress.task)
        progress.add(event)
        display.output(event.get("stdout") or "")
        display.progress(progress, job["number"], (progress.play, progress.task) != task_before)
    final = api.job(job["id"])
    display.note(summary_line(final))
    return final


def summary_line(job: dict[str, Any]) -> str:
    hosts = job.get("summary") or {}
    names = sorted({host for table in hosts.values() if isinstance(table, dict) for host in table})
    parts = [f"job #{job['number']} {job['status']}" + (f" (rc {job['rc']})" if job.get("rc") is not None else "")]
    if job.get("explanation"):
        parts.append(job["explanation"])
    for host in names:
        counts = " ".join(f"{label}={(hosts.get(key) or {}).get(host, 0)}" for key, label in (
            ("ok", "ok"), ("changed", "changed"), ("failures", "failed"), ("unreachable", "unreachable"),
            ("skipped", "skipped")))
        parts.append(f"  {host}: {counts}")
    return "\n".join(parts)


def exit_code(job: dict[str, Any]) -> int:
    return STATUS_EXIT.get(job["status"], EXIT_UNFINISHED)


# -- commands ---------------------------------------------------------------------------------
def read_vars(path: str | None) -> dict[str, Any]:
    """The vars file: a JSON or YAML mapping (`-` reads standard input)."""
    if path is None:
        return {}
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
        data = yaml.safe_load(text) if text.strip() else {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"--vars {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"--vars {path}: must hold a mapping of variables (JSON or YAML)")
    return data


def cmd_submit(api: Api, args: argparse.Namespace) -> int:
    body = {"entry": args.entry, "environment": args.env, "vars": read_vars(args.vars)}
    key = args.idempotency_key or f"cli-{uuid.uuid4()}"  # a retried request never makes a second job
    job = api.json("POST", "/jobs", body=body, headers={"Idempotency-Key": key})
    if not args.follow:
        if args.json:
            print(json.dumps(job, indent=2))
        else:
            print(job["id"])
            print(f"job #{job['number']} {job['status']}: {job['entry']} on {job['environment']}", file=sys.stderr)
        return EXIT_OK
    return _follow_and_report(api, job, args)


def _follow_and_report(api: Api, job: dict[str, Any], args: argparse.Namespace) -> int:
    display = Display(sys.stdout, sys.stderr, show_output=not args.json)
    try:
        final = follow(api, job, display)
    except KeyboardInterrupt:
        display.note(f"stopped following; job {job['id']} goes on (`python -m web client logs --follow {job['id']}`)")
        return EXIT_INTERRUPTED
    if args.json:
        print(json.dumps(final, indent=2))
    return exit_code(final)


def cmd_status(api: Api, args: argparse.Namespace) -> int:
    job = api.job(args.job)
    if args.json:
        print(json.dumps(job, indent=2))
    else:
        started = job["started_at"] or "not yet"
        stopping = " (stopping)" if job["cancel_requested"] and not job["finished"] else ""
        print(f"job #{job['number']} {job['id']}\n"
              f"  status:      {job['status']}{stopping}\n"
              f"  entry:       {job['entry']} on {job['environment']}\n"
              f"  submitted:   {job['created_at']} by {job['submitted_by']}\n"
              f"  started:     {started}\n"
              f"  finished:    {job['finished_at'] or '-'}\n"
              f"  rc:          {job['rc'] if job['rc'] is not None else '-'}")
        if job.get("explanation"):
            print(f"  explanation: {job['explanation']}")
        if job.get("summary"):
            print("\n".join(summary_line(job).splitlines()[1 + bool(job.get("explanation")):]))
    return exit_code(job)


def cmd_logs(api: Api, args: argparse.Namespace) -> int:
    if args.follow:
        return _follow_and_report(api, api.job(args.job), args)
    if args.json:
        for event in _all_events(api, args.job):
            print(json.dumps(event))
        return EXIT_OK
    sys.stdout.write(api.call("GET", f"/jobs/{args.job}/stdout").text)
    return EXIT_OK


def _all_events(api: Api, job_id: str) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        page = api.json("GET", f"/jobs/{job_id}/events", params={"after": after, "limit": 500})
        yield from page["items"]
        if not page["items"]:
            return
        after = page["next_after"]


def cmd_cancel(api: Api, args: argparse.Namespace) -> int:
    job = api.json("POST", f"/jobs/{args.job}/cancel")
    if args.wait and not job["finished"]:
        deadline = time.monotonic() + args.wait_timeout
        while not job["finished"] and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
            job = api.job(args.job)
    if args.json:
        print(json.dumps(job, indent=2))
    else:
        state = job["status"] if job["finished"] else f"{job['status']}, stopping"
        print(f"job #{job['number']} {job['id']}: cancel asked ({state})")
    if args.wait:
        return exit_code(job) if job["finished"] else EXIT_UNFINISHED
    return EXIT_OK


def cmd_list(api: Api, args: argparse.Namespace) -> int:
    params = {key: value for key, value in (("status", args.status), ("entry", args.entry),
                                            ("environment", args.env), ("submitted_by", args.by),
                                            ("limit", args.limit)) if value is not None}
    page = api.json("GET", "/jobs", params=params)
    if args.json:
        print(json.dumps(page, indent=2))
        return EXIT_OK
    rows = [("#", "ID", "STATUS", "ENTRY", "ENVIRONMENT", "BY", "SUBMITTED")]
    rows += [(str(job["number"]), job["id"], job["status"], job["entry"], job["environment"], job["submitted_by"],
              job["created_at"]) for job in page["items"]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return EXIT_OK


COMMANDS = {"submit": cmd_submit, "status": cmd_status, "logs": cmd_logs, "cancel": cmd_cancel, "list": cmd_list}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m web client", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help=f"the service (default: ACSIBLE_URL, else {DEFAULT_URL})")
    common.add_argument("--token", help="an API token (default: ACSIBLE_TOKEN; prefer the variable or a file: "
                                        "a command line is visible to other users)")
    common.add_argument("--token-file", help="a file holding the token (default: ACSIBLE_TOKEN_FILE)")
    common.add_argument("--json", action="store_true", help="print the API's JSON (for machines)")
    sub = parser.add_subparsers(dest="command", required=True)

    submit = sub.add_parser("submit", parents=[common], help="queue a job (and follow it)")
    submit.add_argument("entry", help="a catalog entry")
    submit.add_argument("--env", required=True, help="the environment to run on")
    submit.add_argument("--vars", metavar="FILE", help="the entry's inputs: a JSON or YAML file (- for stdin)")
    submit.add_argument("--follow", action="store_true", help="show output and progress; exit with the result")
    submit.add_argument("--idempotency-key", help="the same key and request return the first job")

    status = sub.add_parser("status", parents=[common], help="a job's state (exit code: its result)")
    status.add_argument("job", help="the job's id")

    logs = sub.add_parser("logs", parents=[common], help="a job's output (events with --json)")
    logs.add_argument("job", help="the job's id")
    logs.add_argument("--follow", action="store_true", help="follow until the job ends; exit with its result")

    cancel = sub.add_parser("cancel", parents=[common], help="cancel a job")
    cancel.add_argument("job", help="the job's id")
    cancel.add_argument("--wait", action="store_true", help="wait until it stopped; exit with its result")
    cancel.add_argument("--wait-timeout", type=float, default=120.0, help="seconds (120)")

    listing = sub.add_parser("list", parents=[common], help="jobs, newest first")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--entry")
    listing.add_argument("--env")
    listing.add_argument("--by", help="submitted by (a token name)")
    listing.add_argument("--limit", type=int)
    return parser


def credentials(args: argparse.Namespace) -> tuple[str, str]:
    url = args.url or os.environ.get("ACSIBLE_URL") or DEFAULT_URL
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"the service URL must start with http:// or https://, not {url!r}")
    token = args.token or os.environ.get("ACSIBLE_TOKEN")
    token_file = args.token_file or os.environ.get("ACSIBLE_TOKEN_FILE")
    if not token and token_file:
        try:
            token = Path(token_file).read_text().strip()
        except OSError as exc:
            raise UsageError(f"cannot read the token file: {exc}") from exc
    if not token:
        raise UsageError("no API token: give --token-file FILE or set ACSIBLE_TOKEN (or ACSIBLE_TOKEN_FILE)")
    return url, token


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        url, token = credentials(args)
        return COMMANDS[args.command](Api(url, token), args)
    except UsageError as exc:
        print(f"client: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ClientError as exc:
        print(f"client: {exc}", file=sys.stderr)
        for field, problem in exc.errors.items():
            print(f"  {field}: {problem}", file=sys.stderr)
        return EXIT_SERVICE
