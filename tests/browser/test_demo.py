"""The demo page in headless Chromium against a real factgate server (scripts/browser-test.sh).

Loads the page, checks a contradicted and a supported answer, asserts the highlighted spans,
their statuses and colours, the evidence shown on click and an error shown for a bad request,
and keeps screenshots (target/browser/*.png) as artifacts.
"""

import os
import re
import sys

from playwright.sync_api import sync_playwright

URL = sys.argv[1]
OUT = sys.argv[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network (no background connections) and a root user.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def rgb(css):
    m = re.match(r"rgba?\((\d+), (\d+), (\d+)", css)
    assert m, css
    return tuple(int(x) for x in m.groups())


def check(page, response, prompt="", context="", policy=""):
    page.fill("#response", response)
    page.fill("#prompt", prompt)
    page.fill("#context", context)
    page.fill("#policy", policy)
    page.click("#check")
    page.wait_for_function("document.querySelector('#check').disabled === false")


def claims(page):
    return page.eval_on_selector_all(
        ".claim",
        "els => els.map(e => ({text: e.textContent, status: e.dataset.status,"
        " confidence: Number(e.dataset.confidence), bg: getComputedStyle(e).backgroundColor}))")


def main():
    os.makedirs(OUT, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(URL)
        assert page.title().startswith("factgate"), page.title()

        # A supported claim, then a contradicted one; an emoji first so that the second claim's
        # UTF-16 offsets differ from its byte offsets (the page slices by startUtf16).
        answer = "Paris is in France 🙂. The capital of France is Berlin."
        check(page, answer)
        page.wait_for_selector(".claim")
        got = claims(page)
        assert [c["text"] for c in got] == ["Paris is in France 🙂.", "The capital of France is Berlin."], got
        good, bad = got
        assert bad["status"] == "CLAIM_CONTRADICTED" and bad["confidence"] < 0.5, bad
        assert good["status"] == "CLAIM_SUPPORTED" and good["confidence"] > 0.5, good
        r, g, _ = rgb(bad["bg"])
        assert r > g, f"contradicted claim is red-ish: {bad['bg']}"
        r, g, _ = rgb(good["bg"])
        assert g > r, f"supported claim is green-ish: {good['bg']}"
        assert page.text_content("#text") == answer, "the text is shown whole, in order"
        assert page.text_content("#verdict") == "BLOCK"
        assert "CONTRADICTED_CLAIM" in page.text_content("#reasons")
        assert page.text_content("#audit").strip() not in ("", "(none)")
        # Evidence on click: the graph triple with its named graph.
        page.click(".claim[data-status=CLAIM_CONTRADICTED]")
        row = page.text_content("#details tr[data-source=graph]")
        assert "The capital of France is Paris." in row and "graph " in row, row
        assert page.is_visible("#details .explanation")
        page.screenshot(path=os.path.join(OUT, "demo-contradicted.png"), full_page=True)

        # A supported answer with a context passage.
        check(page, "Paris is in France.", prompt="Where is Paris?",
              context="Paris is the capital and largest city of France.")
        page.wait_for_function("document.querySelector('#verdict').textContent === 'ALLOW'")
        got = claims(page)
        assert len(got) == 1 and got[0]["status"] == "CLAIM_SUPPORTED", got
        r, g, _ = rgb(got[0]["bg"])
        assert g > r, got
        page.screenshot(path=os.path.join(OUT, "demo-supported.png"), full_page=True)

        # A bad request: the API's error is shown, named by its gRPC code.
        check(page, "Paris is in France.", policy="no-such-profile")
        err = page.text_content("#error")
        assert err.startswith("INVALID_ARGUMENT") and "no-such-profile" in err, err
        assert not errors, errors
        browser.close()
    print("browser test: OK (screenshots in", OUT + ")")


if __name__ == "__main__":
    main()
