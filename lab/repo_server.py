"""A static file server for the lab's apt repository, run by the lab as a script (standard library only).

    python3 lab/repo_server.py --bind 198.18.0.1 --port 8090 --root DIR --pid-file FILE

It records its pid (the lab stops it by that pid, as it does the apt proxy) and logs one line per request
on stderr, which the lab sends to the repository's server.log.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import signal
import sys


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Files under --root, with requests logged and flushed at once (the log is a file)."""

    def log_message(self, format: str, *args) -> None:
        sys.stderr.write(f"{self.client_address[0]} [{self.log_date_time_string()}] {format % args}\n")
        sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True, help="the directory served")
    parser.add_argument("--pid-file", required=True)
    args = parser.parse_args(argv)
    handler = functools.partial(QuietHandler, directory=args.root)
    server = http.server.ThreadingHTTPServer((args.bind, args.port), handler)
    with open(args.pid_file, "w") as out:
        out.write(f"{os.getpid()}\n")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving {args.root} at http://{args.bind}:{args.port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
