"""Offline stand-in for pip's get-pip.py, used by ansible-test's pip bootstrap (see scripts/sanity.sh).

ansible-test downloads https://ci-files.testing.ansible.com/ansible-test/get-pip-<version>.py, a host
this machine cannot reach, unless ~/.ansible/test/cache/get_pip_<version_with_underscores>.py exists.
scripts/sanity.sh copies this file there. It is run as `python get-pip.py [pip options] [requirements]
[--no-setuptools] [--no-wheel]` inside an empty virtual environment and does what get-pip.py does:

* `pip install --upgrade --force-reinstall` exactly the given requirements (ansible-test passes
  `pip==24.2`), with the pip wheel bundled in Python's ensurepip as the installer;
* adds setuptools and wheel only when not told `--no-setuptools` / `--no-wheel`
  (ansible-test always passes both), so no setuptools, no distutils-precedence.pth is left behind.

The installer runs in a child process started from the wheel, so nothing on the caller's sys.path
(ansible-test runs its pip wrapper from the temporary directory) can shadow the modules pip imports.
"""

import glob
import os
import subprocess
import sys
import sysconfig


def bundled_pip_wheel():
    """Return the path of the pip wheel that ships with this Python (ensurepip)."""
    candidates = []
    stdlib = sysconfig.get_paths()["stdlib"]
    candidates += glob.glob(os.path.join(stdlib, "ensurepip", "_bundled", "pip-*.whl"))
    # Debian/Ubuntu's python3-venv keep ensurepip's wheels here instead
    candidates += glob.glob("/usr/share/python-wheels/pip-*.whl")
    if not candidates:
        sys.exit(f"get-pip stand-in: no pip wheel bundled with {sys.executable} (install python3-venv / ensurepip)")
    return sorted(candidates)[-1]


def main():
    args = sys.argv[1:]
    flags = {"--no-setuptools", "--no-wheel"}
    no_setuptools = "--no-setuptools" in args or bool(os.environ.get("PIP_NO_SETUPTOOLS"))
    no_wheel = "--no-wheel" in args or bool(os.environ.get("PIP_NO_WHEEL"))
    args = [arg for arg in args if arg not in flags]

    implicit = []
    if not no_setuptools:
        implicit.append("setuptools")
    if not no_wheel:
        implicit.append("wheel")

    wheel = bundled_pip_wheel()
    command = [sys.executable, os.path.join(wheel, "pip"), "install", "--upgrade", "--force-reinstall"]
    command += args + implicit
    env = dict(os.environ)
    env.pop("GET_PIP", None)  # only meaningful to ansible-test's wrapper, never to pip itself
    sys.exit(subprocess.call(command, env=env))


if __name__ == "__main__":
    main()
