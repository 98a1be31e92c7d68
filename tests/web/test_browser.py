"""The pages in headless Chromium (Debian's `chromium`, driven by Playwright) against a real service with
real workers: sign in with the keyboard, launch a job from the form and watch its output arrive live,
see a validation message, cancel a job and clear its environment. The job page's screenshot is left in
tests/artifacts/ (or $ACSIBLE_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.web.conftest import ROOT, RunningService, local_environment, new_service, settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("ACSIBLE_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[RunningService]:
    """A real `serve` with 2 workers; `hold` is the environment the cancel test may leave needing attention."""
    workdir = tmp_path_factory.mktemp("browser") / "service"
    markers = workdir / "markers"
    config = settings(workdir, environments={"local": local_environment(markers),
                                             "hold": local_environment(markers)}, markers=markers)
    running = new_service(workdir, config, workers=2).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium; Playwright gives it a fresh user-data-dir of its own (and removes it)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, service) -> Iterator[Page]:
    """A new browser context (no cookies) per test, with every console error and failed request kept."""
    context = browser.new_context(base_url=service.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    yield opened
    context.close()
    assert not [p for p in problems if "Failed to load resource" not in p], problems  # no script errors, no CSP


def sign_in(page: Page, service: RunningService, role: str) -> None:
    """With the keyboard only: the token field has the focus, Enter sends the form; on the next page the
    first Tab reaches the skip link, which leads to the content."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin\?next=/$"))
    expect(page.get_by_label("API token")).to_be_focused()
    page.keyboard.type(service.tokens[role])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/jobs$"))
    expect(page.get_by_text(f"Signed in as {role} ({role})")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_launch_a_job_from_the_form_and_watch_its_output_arrive(page, service):
    sign_in(page, service, "operator")
    page.get_by_role("link", name="Launch").click()
    page.get_by_role("link", name="sleep", exact=True).click()
    page.get_by_label("Environment").select_option("local")
    page.get_by_label("seconds").fill("3")
    page.get_by_role("button", name="Launch").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again
    output = page.locator("#output")
    expect(output).to_contain_text("TASK [Sleep for a while]")
    expect(page.locator("#live-status")).to_contain_text("Task: Sleep for a while")
    assert "Mark the end" not in output.inner_text()
    expect(output).to_contain_text("TASK [Mark the end]")  # arrived through the stream, not a reload
    assert page.evaluate("window.notReloaded === true")
    # Once the job ends the page loads again, with the recap and the timeline.
    expect(page.locator("#job-status")).to_have_text("successful")
    expect(page.get_by_role("table").filter(has_text="From the play recap")).to_contain_text("localhost")
    expect(page.locator("table.tasks tr.slow").filter(has_text="Sleep for a while")).to_have_count(1)
    expect(page.locator("svg.timeline rect.bar-slow").first).to_be_attached()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "job-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.locator("table.jobs tbody tr").first).to_contain_text("successful")


def test_a_bad_input_shows_its_message_and_launches_nothing(page, service):
    sign_in(page, service, "requester")
    page.goto("/launch/ok")
    page.get_by_label("count").fill("99")
    page.get_by_label("message").fill("{{ lookup('pipe', 'id') }}")
    page.get_by_role("button", name="Launch").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The job was not launched")
    expect(alert).to_contain_text("count: 99 is greater than the maximum of 10")
    count = page.get_by_label("count")
    expect(count).to_have_attribute("aria-invalid", "true")
    expect(count).to_have_value("99")
    expect(page.locator(f"#{count.get_attribute('id')}-error")).to_have_text("99 is greater than the maximum of 10")
    expect(page.get_by_label("message")).to_have_attribute("aria-invalid", "true")
    alert.get_by_role("link", name=re.compile("^count:")).click()  # the summary leads to the field
    expect(page).to_have_url(re.compile(r"#input-\d+$"))
    assert service.api().call("GET", "/jobs", role="requester").body["items"] == []


def test_cancel_a_running_job_then_clear_its_environment(page, service):
    api = service.api()
    job_id = api.start("sleep", "hold", {"seconds": 60}, role="operator")
    sign_in(page, service, "operator")
    page.goto(f"/jobs/{job_id}")
    expect(page.locator("#output")).to_contain_text("TASK [Sleep for a while]")
    page.get_by_role("button", name="Cancel this job").click()
    expect(page.get_by_role("status").filter(has_text="is stopping")).to_be_visible()
    expect(page.locator("#job-status")).to_have_text("canceled")
    expect(page.get_by_text("canceled while running: SIGINT sent")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel this job")).to_have_count(0)
    assert api.job(job_id)["canceled_by"] == "operator"
    page.get_by_role("link", name="Environments").click()
    row = page.get_by_role("row").filter(has_text="hold")
    expect(row).to_contain_text("needs attention")
    row.get_by_role("button", name="Clear hold: it is fit for jobs").press("Enter")
    expect(page.get_by_text("Environment hold is fit for jobs again.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="hold")).to_contain_text("ready")
    assert not api.environments()["hold"]["needs_attention"]
