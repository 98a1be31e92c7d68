"""python -m lab up|down|status|ssh|prereqs: local test hosts in network namespaces."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from .config import DEFAULT_INVENTORY, LabPaths
from .errors import ConfigurationError, LabError
from .inventory import load_inventory
from .operations import down, ssh_host, status, up
from .prereqs import CONTROLLER_PACKAGES, ensure_prereqs
from .ssh import ssh_argv


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__)
    inventory = argparse.ArgumentParser(add_help=False)
    inventory.add_argument("--inventory", "-i", type=Path, default=DEFAULT_INVENTORY,
                           help="the lab inventory directory or its hosts.yml (default: inventory/lab)")
    sub = parser.add_subparsers(dest="action", required=True)
    start = sub.add_parser("up", parents=[inventory],
                           help="start the hosts (default: all), clearing a crash's leftovers first")
    start.add_argument("hosts", nargs="*", help="host names from the inventory")
    stop = sub.add_parser("down", parents=[inventory],
                          help="remove the hosts (default: the whole lab) and what the lab made for them")
    stop.add_argument("hosts", nargs="*", help="host names from the inventory")
    show = sub.add_parser("status", parents=[inventory], help="show the bridge, the apt proxy, the image and each host")
    show.add_argument("--json", action="store_true", help="print the status as JSON")
    login = sub.add_parser("ssh", parents=[inventory], help="ssh to a lab host as root with the lab key")
    login.add_argument("host")
    login.add_argument("command", nargs=argparse.REMAINDER, help="a command to run instead of a shell")
    sub.add_parser("prereqs", help=f"install the Debian packages the lab needs ({', '.join(CONTROLLER_PACKAGES)})")
    return parser


def say(message: str) -> None:
    print(f"lab: {message}", flush=True)


def print_status(report: dict) -> None:
    bridge, proxy, image, repo = report["bridge"], report["apt_proxy"], report["image"], report["cloudstack_repo"]
    print(f"state dir  {report['state_dir']}")
    print(f"bridge     {bridge['name']} {bridge['address']}: {'up' if bridge['up'] else 'down'}")
    print(f"apt proxy  {proxy['url']}: " + (f"running (pid {proxy['pid']})" if proxy["pid"] else "stopped"))
    built = f"build {repo['build']}" if repo["build"] else "not built"
    print(f"cs repo    {repo['url']}: " + (f"running (pid {repo['pid']})" if repo["pid"] else "stopped") + f", {built}")
    print(f"image      {image['key']}: {'cached' if image['cached'] else 'not built'}")
    for host in report["hosts"]:
        pid = f"pid {host['pid']}" if host["pid"] else ""
        print(f"{host['name']:<10} {host['address']:<15} {host['state']:<7} {pid}".rstrip())
    for name in report["strays"]:
        print(f"{name:<10} {'(not in the inventory)':<15} broken")


def main(args: list[str] | None = None) -> int:
    """Run one lab command; its exit code (0 ok, 1 lab error, 2 bad inventory or usage, else ssh's own)."""
    options = build_parser().parse_args(args)
    try:
        return run(options, LabPaths.from_env())
    except ConfigurationError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 2
    except LabError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `python -m lab status | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


def run(options: argparse.Namespace, paths: LabPaths) -> int:
    if options.action == "prereqs":
        ensure_prereqs(say)
        return 0
    inventory = load_inventory(options.inventory)
    if options.action == "up":
        up(inventory, options.hosts, paths=paths, progress=say)
    elif options.action == "down":
        down(inventory, options.hosts, paths=paths, progress=say)
    elif options.action == "status":
        report = status(inventory, paths=paths)
        if options.json:
            print(json.dumps(report, indent=2))
        else:
            print_status(report)
    else:
        host = ssh_host(inventory, options.host, paths=paths)
        return subprocess.call(ssh_argv(paths, host, options.command))
    return 0
