"""Integration tests: real ansible-playbook runs of the collection against a running simulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, start_simulator

TARGETS = Path(__file__).parent / "targets"

PLAYBOOK = """\
- name: Run the {target} target against the simulator
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/acsible.cloudstack.cloudstack:
      poll_interval: 0.1
      job_timeout: 30
  tasks:
    - name: Run the {target} tasks
      ansible.builtin.include_tasks: {tasks}
"""


@pytest.fixture(scope="session")
def module_simulator(tmp_path_factory):
    """A simulator of the integration suite's own, so its request log holds only module calls."""
    sim = start_simulator(tmp_path_factory.mktemp("integration"), job_delay=0.2, host_up_delay=0.2,
                          systemvm_delay=0.3)
    yield sim
    sim.stop()


def ansible_env(sim) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "CLOUDSTACK_ENDPOINT": sim.url, "CLOUDSTACK_KEY": sim.apikey, "CLOUDSTACK_SECRET": sim.secretkey,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    })
    return env


def run_target(sim, target: str, tmp_path: Path, extra_args: list[str] | None = None) -> subprocess.CompletedProcess:
    """ansible-playbook over one target's tasks; the run's output is the assertion record."""
    playbook = tmp_path / f"{target}.yml"
    playbook.write_text(PLAYBOOK.format(target=target, tasks=TARGETS / target / "tasks" / "main.yml"))
    return subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local",
                           "-e", f"ansible_python_interpreter={sys.executable}", *(extra_args or []), str(playbook)],
                          cwd=ROOT, env=ansible_env(sim), capture_output=True, text=True, timeout=600)


TASKS_PLAYBOOK = """\
- name: Run tasks against the simulator
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/acsible.cloudstack.cloudstack:
      poll_interval: 0.1
      job_timeout: 30
  tasks:
{tasks}
"""


def run_tasks(sim, tmp_path: Path, tasks: str) -> subprocess.CompletedProcess:
    """ansible-playbook over a few tasks given inline (YAML, as in a task file)."""
    (tmp_path / "tasks.yml").write_text(tasks)
    playbook = tmp_path / "inline.yml"
    playbook.write_text(TASKS_PLAYBOOK.format(tasks="    - name: Run the tasks\n"
                                                     f"      ansible.builtin.include_tasks: {tmp_path / 'tasks.yml'}"))
    return subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local",
                           "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
                          cwd=ROOT, env=ansible_env(sim), capture_output=True, text=True, timeout=600)
