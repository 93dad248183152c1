"""`matcalc serve`: the JSON API over HTTP, and the page in a real headless Chromium.

The API tests need nothing but the standard library. The browser tests need Debian's
chromium and chromium-driver (`make browser` installs them where the user may) and
Selenium; without them they are skipped with the reason. The screenshot the browser test
takes is copied to docs/web.png, which the README shows, when MATCALC_UPDATE_SCREENSHOT=1
(`make screenshot`).
"""

import http.client
import io
import json
import os
import shutil
import threading
import urllib.parse
from pathlib import Path

import pytest

from matcalc import cli
from matcalc.server import MAX_BODY, make_server

LOSS = "(X*w - y)'*(X*w - y)"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server():
    srv = make_server(port=0, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    srv.RequestHandlerClass.worker.stop()


def request(server, method, path, body=None, raw=None):
    connection = http.client.HTTPConnection(*server.server_address, timeout=60)
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    connection.request(method, path, body=data,
                       headers={"Content-Type": "application/json"} if data else {})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type"), payload


def post(server, path, body=None, raw=None):
    status, kind, payload = request(server, "POST", path, body, raw)
    assert kind == "application/json"
    return status, json.loads(payload)


def test_listens_on_this_machine_only_by_default(server):
    assert server.server_address[0] == "127.0.0.1"


def test_api_diff_answers_what_the_command_line_prints(server):
    status, answer = post(server, "/api/diff", {"expr": LOSS, "wrt": "w"})
    assert status == 200
    out = io.StringIO()
    assert cli.main(["diff", LOSS, "--wrt", "w", "--json", "--steps"], out=out) == 0
    assert answer == json.loads(out.getvalue())
    assert answer["result"] == {"factored": "2*X'*(X*w - y)", "expanded": "2*X'*X*w - 2*X'*y"}
    assert answer["verification"]["passed"] is True and len(answer["steps"]) == 5


def test_api_takes_shapes_and_symmetric_names(server):
    status, answer = post(server, "/api/diff", {
        "expr": "x'*A*x", "wrt": "x", "shapes": {"A": "n x n", "x": "n"},
        "symmetric": ["A"]})
    assert status == 200 and answer["result"]["factored"] == "2*A*x"
    status, answer = post(server, "/api/diff", {
        "expr": "x'*S*x", "wrt": "x", "shapes": {"S": "symmetric n x n"}})
    assert answer["result"]["factored"] == "2*S*x"
    status, answer = post(server, "/api/diff", {"expr": "inv(X)", "wrt": "X"})
    assert answer["result"]["factored"] == "-kron(inv(X), inv(X'))"


def test_api_solve_and_check(server):
    status, answer = post(server, "/api/solve", {"expr": LOSS, "wrt": "w"})
    assert status == 200 and answer["solution"] == "inv(X'*X)*X'*y"
    assert answer["kind"] == "minimum"
    status, answer = post(server, "/api/check", {"lhs": "(A*B)'", "rhs": "A'*B'"})
    assert status == 200 and answer["holds"] is False
    assert set(answer["counterexample"]["values"]) == {"A", "B"}


@pytest.mark.parametrize("body, fragment", [
    ({"expr": "X*", "wrt": "w"}, "an operand is missing"),
    ({"expr": "x'*x", "wrt": "q"}, "does not occur"),
    ({"expr": "x'*x"}, "'wrt' must be"),
    ({"expr": "A*B", "wrt": "A", "shapes": {"A": "n x d", "B": "n x d"}}, "cannot multiply"),
    ({"expr": "x'*x", "wrt": "x", "shapes": ["x"]}, "shapes must map"),
    ({"expr": "x" * 6000, "wrt": "x"}, "the limit is"),
    ([1, 2], "JSON object"),
])
def test_api_errors_are_400_with_the_message(server, body, fragment):
    status, answer = post(server, "/api/diff", body)
    assert status == 400 and fragment in answer["error"]
    assert "Traceback" not in json.dumps(answer)


def test_api_error_carries_the_caret(server):
    status, answer = post(server, "/api/diff", {"expr": "(X*w - y", "wrt": "w"})
    assert status == 400 and answer["line"] == 1 and answer["column"] == 9
    assert answer["context"].splitlines()[1].endswith("^")


def test_api_limits_size_and_rejects_what_is_not_json(server):
    status, answer = post(server, "/api/diff", raw=b"x" * (MAX_BODY + 1))
    assert status == 413
    status, answer = post(server, "/api/diff", raw=b"{not json")
    assert status == 400 and "not JSON" in answer["error"]
    status, answer = post(server, "/api/nothing", {"expr": "x"})
    assert status == 404
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    connection.request("GET", "/api/diff")           # the API takes POST: 405, not 404
    response = connection.getresponse()
    assert response.status == 405 and response.getheader("Allow") == "POST"
    connection.close()


def test_api_stops_work_past_its_time_limit():
    srv = make_server(port=0, time_limit=0.05, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        status, answer = post(srv, "/api/diff", {"expr": LOSS, "wrt": "w"})
        assert status == 504 and "stopped after" in answer["error"]
        srv.RequestHandlerClass.worker.time_limit = 60.0      # a fresh worker answers again
        status, answer = post(srv, "/api/diff", {"expr": LOSS, "wrt": "w"})
        assert status == 200
    finally:
        srv.shutdown()
        srv.server_close()
        srv.RequestHandlerClass.worker.stop()


def test_the_page_and_its_files(server):
    status, kind, page = request(server, "GET", "/")
    assert status == 200 and kind.startswith("text/html") and b"/static/app.js" in page
    assert b"cdn" not in page.lower() and b"https://" not in page
    status, kind, script = request(server, "GET", "/static/katex/katex.min.js")
    assert status == 200 and kind.startswith("text/javascript") and len(script) > 100_000
    status, kind, _ = request(server, "GET", "/static/katex/fonts/KaTeX_Main-Regular.woff2")
    assert status == 200 and kind == "font/woff2"
    for path in ("/static/../server.py", "/static/%2e%2e/server.py", "/static/nothing.js"):
        assert request(server, "GET", path)[0] == 404


# ---------------------------------------------------------------- a real browser

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.skip("no headless browser: install Debian's chromium and chromium-driver "
                    "(make browser)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1100,1200"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def _wait(driver, css, timeout=60):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, css))[0]


def test_typing_the_loss_shows_the_derivative_typeset(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    host, port = server.server_address
    browser.get(f"http://{host}:{port}/")
    browser.find_element(By.ID, "expr").send_keys(LOSS)
    browser.find_element(By.ID, "wrt").send_keys("w")
    result = _wait(browser, "#result .katex")
    text = result.text.replace("\n", "")
    assert text == "2X⊤(Xw−y)", text                           # KaTeX's rendering
    assert browser.find_element(By.ID, "result-text").text == "2*X'*(X*w - y)"
    assert browser.find_element(By.ID, "shapes-used").text == \
        "shapes: X n x d, w d-vector, y n-vector"
    solution = _wait(browser, "#solution .katex").text.replace("\n", "")
    assert solution.startswith("w=") and "X⊤X" in solution
    assert "passed" in browser.find_element(By.ID, "verification").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#steps li")) == 5
    # the URL now carries the inputs
    query = urllib.parse.parse_qs(urllib.parse.urlparse(browser.current_url).query)
    assert query["expr"] == [LOSS] and query["wrt"] == ["w"]
    shot = tmp_path / "web.png"
    assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("MATCALC_UPDATE_SCREENSHOT") == "1":
        shutil.copy(shot, ROOT / "docs" / "web.png")


def test_a_link_opens_the_page_filled_in(server, browser):
    from selenium.webdriver.common.by import By
    host, port = server.server_address
    query = urllib.parse.urlencode({"expr": "inv(X)", "wrt": "X", "form": "expanded"})
    browser.get(f"http://{host}:{port}/?{query}")
    _wait(browser, "#result .katex")
    assert browser.find_element(By.ID, "expr").get_attribute("value") == "inv(X)"
    assert browser.find_element(By.ID, "result-text").text == "-kron(inv(X), inv(X'))"


def test_errors_show_under_the_input_with_the_caret(server, browser):
    host, port = server.server_address
    query = urllib.parse.urlencode({"expr": "(X*w - y", "wrt": "w"})
    browser.get(f"http://{host}:{port}/?{query}")
    error = _wait(browser, "#expr-error:not([hidden])")
    assert "unbalanced '('" in error.text and error.text.rstrip().endswith("^")
    assert "Traceback" not in browser.page_source
