"""login / logout and session keys (ground truth section 4)."""

from __future__ import annotations

import requests

from tests.conftest import start_simulator


def login(simulator, password="password", **extra):
    session = requests.Session()
    response = session.post(simulator.url, data={"command": "login", "username": "admin", "password": password,
                                                 "response": "json", **extra}, timeout=10)
    return session, response


def test_login_with_get_is_405_plain_text(simulator):
    response = requests.get(simulator.url, params={"command": "login", "username": "admin", "password": "password",
                                                   "response": "json"}, timeout=10)
    assert response.status_code == 405
    assert response.text == "Please use HTTP POST to authenticate using this API"


def test_login_returns_the_flat_loginresponse_and_both_cookies(simulator):
    session, response = login(simulator)
    assert response.status_code == 200
    body = response.json()["loginresponse"]
    assert body["username"] == "admin" and body["account"] == "admin" and body["type"] == "1"
    assert body["timeout"] == 1800 and body["registered"] == "false"
    assert session.cookies.get("sessionkey") == body["sessionkey"]
    assert session.cookies.get("JSESSIONID")
    assert "managementserverid" in body


def test_wrong_password_is_531_in_the_loginresponse_wrapper(simulator):
    _, response = login(simulator, password="wrong")
    assert response.status_code == 531
    body = response.json()["loginresponse"]
    assert body["errorcode"] == 531
    assert body["errortext"].startswith("Failed to authenticate user admin in domain ")
    assert body["errortext"].endswith("; please provide valid credentials")


def test_session_calls_need_cookie_and_parameter_from_4_19_2(simulator):
    session, response = login(simulator)
    key = response.json()["loginresponse"]["sessionkey"]
    ok = session.get(simulator.url, params={"command": "listZones", "response": "json", "sessionkey": key}, timeout=10)
    assert ok.status_code == 200
    cookie_only = session.get(simulator.url, params={"command": "listZones", "response": "json"}, timeout=10)
    assert cookie_only.status_code == 401
    assert cookie_only.json()["listzonesresponse"]["errortext"] == "unable to verify user credentials"
    # the mismatch invalidated the session: even the right key is refused now
    again = session.get(simulator.url, params={"command": "listZones", "response": "json", "sessionkey": key},
                        timeout=10)
    assert again.status_code == 401


def test_cookie_or_parameter_on_4_19_0(tmp_path):
    sim = start_simulator(tmp_path, extra=["--version", "4.19.0.0"])
    try:
        session, _ = login(sim)
        assert session.get(sim.url, params={"command": "listZones", "response": "json"}, timeout=10).status_code == 200
    finally:
        sim.stop()


def test_logout_ends_the_session_and_a_second_logout_has_none(simulator):
    session, response = login(simulator)
    key = response.json()["loginresponse"]["sessionkey"]
    out = session.get(simulator.url, params={"command": "logout", "response": "json", "sessionkey": key}, timeout=10)
    assert out.status_code == 200
    assert out.json() == {"logoutresponse": {"description": "success"}}
    after = session.get(simulator.url, params={"command": "listZones", "response": "json", "sessionkey": key},
                        timeout=10)
    assert after.status_code == 401
    again = requests.get(simulator.url, params={"command": "logout", "response": "json"}, timeout=10)
    assert again.status_code == 431
    assert again.json()["errorresponse" if "errorresponse" in again.json() else "logoutresponse"]["errortext"] == (
        "Session not found for the logout process.")
