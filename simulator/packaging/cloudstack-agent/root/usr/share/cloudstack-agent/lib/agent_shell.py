#!/usr/bin/python3
"""The acsible stand-in's CloudStack agent: it does nothing but stay up.

/etc/init.d/cloudstack-agent runs this. The real agent (AgentShell) connects to host:port of
agent.properties and serves the management server's commands over libvirt; the stand-in says what it
would connect to and waits for SIGTERM. In the simulator, hosts come Up through the API (addHost) alone.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

AGENT_PROPERTIES = "/etc/cloudstack/agent/agent.properties"


def read_properties(path: str) -> dict[str, str]:
    props = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith(("#", "!")) and "=" in line:
                key, _, value = line.partition("=")
                props[key.strip()] = value.strip()
    return props


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--properties", default=AGENT_PROPERTIES)
    args = parser.parse_args(argv)
    props = read_properties(args.properties)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"agent (acsible stand-in) for {props.get('hypervisor.type', 'kvm')} host guid={props.get('guid', '')}: "
          f"would connect to {props.get('host', 'localhost')}:{props.get('port', '8250')} "
          f"(zone {props.get('zone')}, pod {props.get('pod')}, cluster {props.get('cluster')}); idle", flush=True)
    stop.wait()
    print("agent stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
