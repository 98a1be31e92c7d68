"""The session path of the collection's client (user_keys): login, cookies plus sessionkey, failover."""

from __future__ import annotations

import pytest
from ansible_collections.acsible.cloudstack.plugins.module_utils.api import ApiError, SessionClient

from tests.conftest import free_port, unique


def session_for(urls, **options):
    return SessionClient(urls, **{"poll_interval": 0.05, "job_timeout": 5, "sleep": lambda _: None, **options})


def test_login_then_calls_carry_the_session(simulator):
    client = session_for([simulator.url])
    reply = client.login("admin", "password", "/")
    assert reply["username"] == "admin" and client.sessionkey == reply["sessionkey"]
    assert set(client.cookies) == {"JSESSIONID", "sessionkey"}
    assert client.call("getUserKeys", {"id": reply["userid"]})["userkeys"]["apikey"] == simulator.apikey
    assert client.calls == {"login": 1, "getUserKeys": 1}
    client.logout()
    assert client.sessionkey is None and client.cookies == {}


def test_the_sessionkey_parameter_is_needed_besides_the_cookie(simulator):
    client = session_for([simulator.url])
    client.login("admin", "password", "/")
    client.sessionkey = "forged"  # the cookie alone no longer matches (CookieAndParameter)
    with pytest.raises(ApiError) as failure:
        client.call("listZones")
    assert failure.value.errorcode == 401


def test_a_wrong_password_fails_with_the_server_text(simulator):
    with pytest.raises(ApiError) as failure:
        session_for([simulator.url]).login("admin", "not-it", "/")
    assert failure.value.errorcode == 531
    assert "Failed to authenticate user admin" in failure.value.errortext


def test_login_fails_over_and_keeps_to_the_server_that_answered(simulator):
    dead = f"http://127.0.0.1:{free_port()}/client/api"
    client = session_for([dead, simulator.url], retries=0)
    client.login("admin", "password", "/")
    assert client.endpoints == [simulator.url]
    assert client.call("listZones", {"name": unique("none")}) == {}
