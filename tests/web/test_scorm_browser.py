"""A SCORM package's runtime in Debian's Chromium (docs/integrations.md, "SCORM"): a fake LMS on one loopback
port serves the unzipped package in a frame with a recording ``window.API`` (1.2) or ``API_1484_11`` (2004);
the launch page opens Sparring (a real server on another port) in a new window, the learner signs in there, plays
a short rep and ends it; the scorecard posts the score back and the fake LMS records it."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sparring.integrations import scorm
from sparring.testing.processes import free_port
from sparring.testing.web import PASSWORD, served_org

CHROMIUM = "/usr/bin/chromium"
SCENARIO = "cs-renewal-discount"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

#: the fake LMS: records every call of the SCORM API the package makes, answers like a real one
LMS_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Fake LMS</title><script>
window.lmsCalls = [];
var store = {"cmi.core.lesson_status": "not attempted", "cmi.completion_status": "not attempted"};
function rec(name, result) { return function (k, v) { window.lmsCalls.push([name, k === undefined ? "" : k,
  v === undefined ? "" : String(v)]); if (name.indexOf("SetValue") >= 0) { store[k] = String(v); }
  if (name.indexOf("GetValue") >= 0) { return store[k] || ""; } return result; }; }
window.API = {LMSInitialize: rec("LMSInitialize", "true"), LMSFinish: rec("LMSFinish", "true"),
  LMSGetValue: rec("LMSGetValue"), LMSSetValue: rec("LMSSetValue", "true"), LMSCommit: rec("LMSCommit", "true"),
  LMSGetLastError: function () { return "0"; }, LMSGetErrorString: function () { return ""; },
  LMSGetDiagnostic: function () { return ""; }};
window.API_1484_11 = {Initialize: rec("Initialize", "true"), Terminate: rec("Terminate", "true"),
  GetValue: rec("GetValue"), SetValue: rec("SetValue", "true"), Commit: rec("Commit", "true"),
  GetLastError: function () { return "0"; }, GetErrorString: function () { return ""; },
  GetDiagnostic: function () { return ""; }};
</script></head><body><iframe id="sco" src="PKG/index.html" width="800" height="500"></iframe></body></html>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def lms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("lms")
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", root
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def sparring(tmp_path_factory: pytest.TempPathFactory, lms: tuple[str, Path]) -> Iterator[str]:
    with served_org(tmp_path_factory.mktemp("scorm-data"), "Course Org", [
        ("lena@course.test", "learner", "Lena Learner"),
    ], settings={"scorm_origins": lms[0]}) as base:
        yield base


def _install(lms_root: Path, version: scorm.ScormVersion, base: str) -> str:
    """Unzip a package as an LMS does and write the fake LMS page that launches it; its path."""
    folder = f"pkg{version.replace('.', '')}"
    data = scorm.build_package(scorm.PackageSpec(SCENARIO, "Renewal", "easy", version, base))
    zipfile.ZipFile(io.BytesIO(data)).extractall(lms_root / folder)
    (lms_root / f"{folder}.html").write_text(LMS_PAGE.replace("PKG", folder), encoding="utf-8")
    return f"/{folder}.html"


@pytest.mark.parametrize("version", scorm.VERSIONS)
def test_the_lms_receives_the_score(version: scorm.ScormVersion, lms: tuple[str, Path], sparring: str,
                                    browser: Any) -> None:
    lms_base, lms_root = lms
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(lms_base + _install(lms_root, version, sparring))
    sco = page.frame_locator("#sco")
    sco.locator("#sparring-status").filter(has_text="Ready").wait_for(timeout=10000)
    calls = page.evaluate("window.lmsCalls")
    if version == "1.2":
        assert calls[0][0] == "LMSInitialize" and ["LMSSetValue", "cmi.core.lesson_status", "incomplete"] in calls
    else:
        assert calls[0][0] == "Initialize" and ["SetValue", "cmi.completion_status", "incomplete"] in calls

    # a message from any other origin (or of another scenario) is ignored
    frame = next(f for f in page.frames if f.url.endswith("/index.html"))
    frame.evaluate("""([scenario, sparring]) => {
      const forged = {type: "sparring:scored", rep: 1, score: 100, passed: true, scenario: scenario};
      window.dispatchEvent(new MessageEvent("message", {data: forged, origin: "https://evil.example.net"}));
      window.dispatchEvent(new MessageEvent("message", {data: {...forged, scenario: "other"}, origin: sparring}));
    }""", [SCENARIO, sparring])
    assert not [c for c in page.evaluate("window.lmsCalls") if "score" in c[1]]

    with page.expect_popup() as opened:
        sco.locator("#sparring-open").click()
    popup = opened.value
    popup.on("pageerror", lambda e: errors.append(str(e)))
    popup.wait_for_url("**/login**")  # not signed in yet: the login page, then back to the start
    popup.fill("#email", "lena@course.test")
    popup.fill("#password", PASSWORD)
    popup.click("button[type=submit]")
    popup.click("#scorm-start")  # the launch page: a GET starts nothing, the learner's Start does
    popup.wait_for_selector("#practice")
    popup.fill("#say", "Thanks for making the time. What would a good outcome look like for you this year?")
    popup.keyboard.press("Enter")
    popup.locator(".turn.counterpart:not(.pending)").nth(1).wait_for(timeout=15000)
    if popup.locator("#ended").is_visible():
        popup.locator("#ended a").click()
    else:
        popup.get_by_role("button", name="End and score").click()
    popup.wait_for_url("**/scorecard")
    popup.locator("#scorm-report").filter(has_text="sent to your course").wait_for(timeout=10000)
    score = float(popup.locator("#scorm-report").get_attribute("data-score") or "nan")
    passed = popup.locator("#scorm-report").get_attribute("data-passed") == "true"

    sco.locator("#sparring-status").filter(has_text="recorded in your course").wait_for(timeout=10000)
    calls = page.evaluate("window.lmsCalls")
    sets = {c[1]: c[2] for c in calls if c[0] in ("LMSSetValue", "SetValue")}
    names = [c[0] for c in calls]
    if version == "1.2":
        assert float(sets["cmi.core.score.raw"]) == pytest.approx(score, abs=0.01)
        assert (sets["cmi.core.score.min"], sets["cmi.core.score.max"]) == ("0", "100")
        assert sets["cmi.core.lesson_status"] == ("passed" if passed else "failed")
        assert names[-2:] == ["LMSCommit", "LMSFinish"]
    else:
        assert float(sets["cmi.score.raw"]) == pytest.approx(score, abs=0.01)
        assert float(sets["cmi.score.scaled"]) == pytest.approx(score / 100, abs=0.0001)
        assert sets["cmi.success_status"] == ("passed" if passed else "failed")
        assert sets["cmi.completion_status"] == "completed"
        assert names[-2:] == ["Commit", "Terminate"]
    assert errors == []
    context.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_launch_page_without_an_lms_says_so_and_fits(width: int, lms: tuple[str, Path], browser: Any) -> None:
    lms_base, lms_root = lms
    _install(lms_root, "1.2", "https://sparring.example.com")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{lms_base}/pkg12/index.html")  # opened on its own: no SCORM API anywhere
    assert "No SCORM 1.2 course connection" in page.locator("#sparring-status").inner_text()
    assert page.locator("#sparring-open").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert errors == []
    context.close()
