# -*- coding: utf-8 -*-
# Copyright: acsible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one CloudStack API client of the collection.

Laid out like the `cs` library's client: constants, pure helpers (encode, flatten, sign,
unwrap), exceptions, then the client class. It needs nothing beyond ansible-core: requests go
through ansible.module_utils.urls. What it does that `cs` does not: Java's value encoding
(`~` -> %7E, so such values verify on a real server), several endpoints with failover,
bounded polling that names the jobid on timeout, and retries for reads only.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import hashlib
import hmac
import json
import os
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode

from ansible.module_utils.urls import open_url

PAGE_SIZE = 500                 # default.page.size, also the server's maximum
POLL_INTERVAL = 2.0             # seconds between queryAsyncJobResult calls
JOB_TIMEOUT = 600.0             # seconds an async job may take before we give up on it
REQUEST_TIMEOUT = 10.0          # seconds for one HTTP request
RETRIES = 3                     # extra tries of a read after a transient failure
RETRY_BACKOFF = 1.0             # first wait between tries, doubled each time ...
RETRY_BACKOFF_MAX = 30.0        # ... up to this
EXPIRES_IN = timedelta(minutes=10)
TRANSIENT_HTTP = (429, 502, 503, 504)  # load balancer or rate limit answers, worth another try
READ_PREFIXES = ("list", "get", "query", "search", "find")
PENDING, SUCCEEDED, FAILED = 0, 1, 2


# -- pure helpers ---------------------------------------------------------------------------


def java_encode(value):
    """URLEncoder.encode(value, "UTF-8") with "+" as %20: what the server signs values with."""
    return quote(value, safe="*").replace("~", "%7E")


def flatten(params):
    """Python values as CloudStack parameters, without touching the caller's dict.

    >>> flatten({"a": True, "b": ["x", "y"], "c": None, "tags": [{"key": "k", "value": "v"}]})
    {'a': 'true', 'b': 'x,y', 'tags[0].key': 'k', 'tags[0].value': 'v'}
    """
    flat = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, dict):
            for index, (key, item) in enumerate(sorted(value.items())):
                flat["%s[%d].key" % (name, index)] = str(key)
                flat["%s[%d].value" % (name, index)] = str(item)
        elif isinstance(value, (list, tuple, set)):
            items = sorted(value) if isinstance(value, set) else list(value)
            if items and all(isinstance(item, dict) for item in items):
                for index, entry in enumerate(items):
                    for key, item in entry.items():
                        flat["%s[%d].%s" % (name, index, key)] = str(item)
            elif items:
                flat[name] = ",".join(str(item) for item in items)
        else:
            flat[name] = str(value)
    return flat


def string_to_sign(params):
    names = sorted(name for name in params if name.lower() != "signature")
    return "&".join("%s=%s" % (name, java_encode(params[name])) for name in names).lower()


def sign(params, secret):
    digest = hmac.new(secret.encode(), string_to_sign(params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def unwrap(command, body):
    """The object under the single `<command>response` key."""
    if not isinstance(body, dict) or len(body) != 1:
        raise CloudStackError("%s: unexpected reply from CloudStack: %.200r" % (command, body))
    return next(iter(body.values()))


def is_read(command):
    return command.startswith(READ_PREFIXES)


def list_key(inner):
    """The key holding the objects of a list reply (the one key besides `count`)."""
    keys = [key for key in inner if key != "count"]
    return keys[0] if keys else None


def read_ini(path, region):
    """The [region] section of a cs-style cloudstack.ini, or {} when there is none."""
    parser = configparser.ConfigParser()
    if not path or not parser.read(path):
        return {}
    return dict(parser[region]) if parser.has_section(region) else {}


def default_ini_path():
    """Where the `cs` tools look: $CLOUDSTACK_CONFIG, ./cloudstack.ini, ~/.cloudstack.ini."""
    for path in (os.environ.get("CLOUDSTACK_CONFIG"), os.path.join(os.getcwd(), "cloudstack.ini"),
                 os.path.expanduser("~/.cloudstack.ini")):
        if path and os.path.isfile(path):
            return path
    return None


# -- exceptions -----------------------------------------------------------------------------


class CloudStackError(Exception):
    """Anything that kept a call from giving an answer."""


class TransportError(CloudStackError):
    """No management server answered (every endpoint tried)."""


class ApiError(CloudStackError):
    """CloudStack answered with an error envelope (or a failed async job)."""

    def __init__(self, command, errorcode, errortext, cserrorcode=None, jobid=None):
        self.command = command
        self.errorcode = errorcode
        self.errortext = errortext
        self.cserrorcode = cserrorcode
        self.jobid = jobid
        where = " (job %s)" % jobid if jobid else ""
        super().__init__("%s failed%s: %s (errorcode %s, cserrorcode %s)" % (
            command, where, errortext, errorcode, cserrorcode))

    def details(self):
        return {"command": self.command, "errorcode": self.errorcode, "cserrorcode": self.cserrorcode,
                "errortext": self.errortext, "jobid": self.jobid}


class JobTimeout(CloudStackError):
    """An async job still pending at its deadline; it may still finish on the server."""

    def __init__(self, command, jobid, timeout):
        self.command = command
        self.jobid = jobid
        self.timeout = timeout
        super().__init__("%s: job %s still running after %ss; it was not cancelled, a re-run waits for it"
                         % (command, jobid, timeout))


class WaitTimeout(CloudStackError):
    """A condition still unmet at its deadline (a host not Up, a template not ready)."""

    def __init__(self, what, timeout, last=None):
        self.what = what
        self.timeout = timeout
        self.last = last
        super().__init__("still waiting after %ss for %s" % (timeout, what))


# -- the client -----------------------------------------------------------------------------


class CloudStackClient:
    """Signed calls to one cloud, through the first management server that answers."""

    def __init__(self, endpoints, api_key, api_secret, timeout=REQUEST_TIMEOUT, validate_certs=True,
                 poll_interval=POLL_INTERVAL, job_timeout=JOB_TIMEOUT, retries=RETRIES, sleep=time.sleep):
        if not endpoints:
            raise CloudStackError("api_url: no endpoint given")
        self.endpoints = list(endpoints)
        self.api_key = api_key
        self.api_secret = api_secret
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.poll_interval = poll_interval
        self.job_timeout = job_timeout
        self.retries = retries
        self.sleep = sleep
        self.calls = Counter()      # API calls made, by command: modules report them
        self._preferred = 0         # the endpoint that answered last

    # -- one request --------------------------------------------------------------------

    def signed(self, command, params):
        payload = dict(flatten(params or {}), command=command, response="json", apiKey=self.api_key,
                       signatureVersion="3")
        expires = datetime.now(timezone.utc) + EXPIRES_IN
        payload["expires"] = expires.strftime("%Y-%m-%dT%H:%M:%S+0000")
        payload["signature"] = sign(payload, self.api_secret)
        return payload

    def call(self, command, params=None):
        """One command; returns what is under its wrapper. Reads are retried, writes never."""
        attempts = 1 + (self.retries if is_read(command) else 0)
        delay = RETRY_BACKOFF
        for attempt in range(attempts):
            try:
                return self._send(command, params)
            except TransportError:
                if attempt + 1 == attempts:
                    raise
            except ApiError as exc:
                if exc.errorcode not in TRANSIENT_HTTP or attempt + 1 == attempts:
                    raise
            self.sleep(delay)
            delay = min(delay * 2, RETRY_BACKOFF_MAX)
        raise CloudStackError("%s: no attempt made" % command)  # unreachable: attempts >= 1

    def payload(self, command, params):
        """What one request sends: the signed parameters (a SessionClient sends its session instead)."""
        return self.signed(command, params)

    def request_headers(self):
        """Extra HTTP headers of every request (a SessionClient's cookies)."""
        return {}

    def answered(self, index, headers):
        """A hook: endpoint `index` answered with these HTTP headers (a SessionClient reads its cookies)."""

    def _send(self, command, params):
        """Try the endpoints in turn, from the last one that answered; fail over only when unreached."""
        payload = self.payload(command, params)
        body = urlencode(payload)
        failures = []
        count = len(self.endpoints)
        for offset in range(count):
            index = (self._preferred + offset) % count
            endpoint = self.endpoints[index]
            try:
                status, text, headers = self._http(endpoint, command, body)
            except _Unreached as exc:
                failures.append("%s: %s" % (endpoint, exc))
                continue
            self._preferred = index
            self.answered(index, headers)
            self.calls[command] += 1
            return self._parse(command, status, text)
        raise TransportError("%s: no management server answered (%s)" % (command, "; ".join(failures)))

    def _http(self, endpoint, command, body):
        headers = self.request_headers()
        try:
            if is_read(command):
                response = open_url(endpoint + "?" + body, method="GET", timeout=self.timeout,
                                    validate_certs=self.validate_certs, use_proxy=False, headers=headers)
            else:  # state-changing commands go by POST, as 4.21's enforce.post.requests requires
                response = open_url(endpoint, data=body, method="POST", timeout=self.timeout,
                                    validate_certs=self.validate_certs, use_proxy=False,
                                    headers=dict(headers, **{"Content-Type": "application/x-www-form-urlencoded"}))
            return response.getcode(), response.read().decode("utf-8", "replace"), response.headers
        except HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace"), exc.headers
        except (URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            # A timeout after sending may have changed state: only a write that never reached
            # the server may go to the next one.
            if not is_read(command) and "timed out" in str(reason):
                raise TransportError("%s: %s did not answer in %ss; the command may have run"
                                     % (command, endpoint, self.timeout)) from exc
            raise _Unreached(str(reason)) from exc

    def _parse(self, command, status, text):
        try:
            body = json.loads(text)
        except ValueError:
            raise ApiError(command, status, "not a JSON reply: %.200s" % text) from None
        inner = unwrap(command, body)
        if status != 200:
            inner = inner if isinstance(inner, dict) else {}
            raise ApiError(command, inner.get("errorcode", status), inner.get("errortext", text[:200]),
                           inner.get("cserrorcode"))
        return inner

    # -- lists, jobs --------------------------------------------------------------------

    def list_all(self, command, params=None):
        """Every object of a list command, page by page until `count` is reached."""
        params = dict(params or {})
        objects, page = [], 1
        while True:
            inner = self.call(command, dict(params, page=page, pagesize=PAGE_SIZE))
            key = list_key(inner)
            batch = inner.get(key, []) if key else []
            if isinstance(batch, dict):  # listCapabilities-style single objects
                return [batch]
            objects.extend(batch)
            if not batch or len(objects) >= inner.get("count", 0):
                return objects
            page += 1

    def wait_for_job(self, command, jobid, timeout=None):
        """Poll until the job ends; its jobresult on success, ApiError on failure, JobTimeout at the deadline."""
        timeout = self.job_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            job = self.call("queryAsyncJobResult", {"jobid": jobid})
            status = job.get("jobstatus", PENDING)
            if status == SUCCEEDED:
                return job.get("jobresult") or {}
            if status != PENDING:
                result = job.get("jobresult") or {}
                raise ApiError(command, result.get("errorcode", job.get("jobresultcode")),
                               result.get("errortext", "the job failed"), job.get("cserrorcode"), jobid=jobid)
            if time.monotonic() + self.poll_interval > deadline:
                raise JobTimeout(command, jobid, timeout)
            self.sleep(self.poll_interval)

    def wait_until(self, probe, what, timeout=None):
        """Call probe() every poll_interval until it answers (True, seen); returns `seen`.

        `what` names what is awaited in the WaitTimeout raised at the deadline: a string, or a
        function of the last `seen` (so the message can say what is still missing).
        """
        timeout = self.job_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            done, seen = probe()
            if done:
                return seen
            if time.monotonic() + self.poll_interval > deadline:
                raise WaitTimeout(what(seen) if callable(what) else what, timeout, seen)
            self.sleep(self.poll_interval)

    def pending_job(self, command_class, instance_id):
        """A job of this command on this object still running (from an earlier, timed-out run)."""
        for job in self.list_all("listAsyncJobs", {"listall": True}):
            if (job.get("jobstatus") == PENDING and job.get("jobinstanceid") == instance_id
                    and job.get("cmd", "").rsplit(".", 1)[-1] == command_class):
                return job
        return None


class SessionClient(CloudStackClient):
    """Calls in a login session (username and password), for a cloud whose user has no API keys yet.

    `login()` posts the credentials to the first management server that answers (failover as for
    signed calls) and then keeps to that server, since a session lives where it was made. Every
    later call carries the JSESSIONID and sessionkey cookies and the `sessionkey` parameter, which
    is what 4.19.2+ checks by default (api.sessionkey.check.locations=CookieAndParameter), and
    older servers accept too. Nothing is signed.
    """

    def __init__(self, endpoints, timeout=REQUEST_TIMEOUT, validate_certs=True, poll_interval=POLL_INTERVAL,
                 job_timeout=JOB_TIMEOUT, retries=RETRIES, sleep=time.sleep):
        super().__init__(endpoints, None, None, timeout=timeout, validate_certs=validate_certs,
                         poll_interval=poll_interval, job_timeout=job_timeout, retries=retries, sleep=sleep)
        self.cookies = {}
        self.sessionkey = None
        self.login_reply = None     # userid, username, account, domainid, type ... of the session's user

    def payload(self, command, params):
        payload = dict(flatten(params or {}), command=command, response="json")
        if self.sessionkey and command != "login":
            payload["sessionkey"] = self.sessionkey
        return payload

    def request_headers(self):
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join("%s=%s" % item for item in sorted(self.cookies.items()))}

    def answered(self, index, headers):
        get_all = getattr(headers, "get_all", None)
        for cookie in (get_all("Set-Cookie") or []) if get_all else []:
            name, _sep, value = cookie.split(";", 1)[0].partition("=")
            if name.strip():
                self.cookies[name.strip()] = value.strip()

    def login(self, username, password, domain="/"):
        """Open the session (POST, as the server demands); the login reply (userid, account, type ...)."""
        self.cookies, self.sessionkey = {}, None
        reply = self.call("login", {"username": username, "password": password, "domain": domain})
        self.sessionkey = reply.get("sessionkey") or self.cookies.get("sessionkey")
        if not self.sessionkey:
            raise CloudStackError("login: the reply carries no sessionkey")
        self.endpoints, self._preferred = [self.endpoints[self._preferred]], 0
        self.login_reply = reply
        return reply

    def logout(self):
        """End the session; a failure here changes nothing for the caller."""
        if self.sessionkey is None:
            return
        with contextlib.suppress(CloudStackError):
            self.call("logout")
        self.cookies, self.sessionkey = {}, None


class _Unreached(Exception):
    """This endpoint could not be reached; the next one may be."""
