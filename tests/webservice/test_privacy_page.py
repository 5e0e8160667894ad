"""GET /privacy: the webservice serves PRIVACY.md — as a self-contained HTML page in which every character of the
file is escaped (nothing in it can become markup or script), or as the Markdown itself when the client prefers
it — without running any skill code, and never with a 500."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from hosting import privacy_page

ROOT = Path(__file__).resolve().parents[2]
POLICY = (ROOT / "PRIVACY.md").read_text(encoding="utf-8")
_TAG = re.compile(r"<[^>]+>")
_INLINE_TAG = re.compile(r"</?(?:strong|code)>")


def visible_words(page: str) -> list[str]:
    body = page.split("<body>", 1)[1]
    return html.unescape(_TAG.sub(" ", _INLINE_TAG.sub("", body))).split()


def markdown_words(markdown: str) -> list[str]:
    words = []
    for line in markdown.splitlines():
        line = re.sub(r"^\s*(#{1,6}|[-*])\s+", "", line)
        words.extend(line.replace("**", "").replace("`", "").split())
    return words


def test_privacy_is_served_as_html_to_a_browser(make_harness):
    h = make_harness()
    resp = h.client.get("/privacy", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.status_code == 200
    assert resp.mimetype == "text/html" and resp.mimetype_params.get("charset") == "utf-8"
    page = resp.get_data(as_text=True)
    assert "<title>Back Numbness Helper — Privacy Policy</title>" in page
    assert "<h1>Back Numbness Helper — Privacy Policy</h1>" in page
    assert "<h2>How to delete it, or stop being remembered</h2>" in page
    assert "<strong>" in page and "<ul><li>" in page
    # every word of the policy reaches the reader, in order, and nothing else does
    assert visible_words(page) == markdown_words(POLICY)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    assert h.spy.seen == []  # no skill code ran


@pytest.mark.parametrize("accept", [None, "*/*"])
def test_html_is_the_default(make_harness, accept):
    headers = {"Accept": accept} if accept else {}
    resp = make_harness().client.get("/privacy", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "text/html"


def test_privacy_is_served_as_markdown_when_preferred(make_harness):
    resp = make_harness(verify=False).client.get("/privacy", headers={"Accept": "text/markdown"})
    assert resp.status_code == 200
    assert resp.mimetype == "text/markdown"
    assert resp.get_data(as_text=True) == POLICY


def test_other_methods_are_refused_and_a_missing_policy_is_a_404(make_harness, monkeypatch, tmp_path):
    h = make_harness()
    assert h.client.post("/privacy", data="{}", content_type="application/json").status_code == 405
    monkeypatch.setattr(privacy_page, "POLICY_PATH", tmp_path / "absent.md")
    resp = h.client.get("/privacy")
    assert resp.status_code == 404
    assert resp.is_json


HOSTILE = """# Policy <script>alert(1)</script>

Contact: <a href="javascript:alert(2)">me</a> & "friends" 'too'

- **<img src=x onerror=alert(3)>** item
  - `<iframe src=//evil>` nested
    continued </ul></li><style>
- back at the top

<!-- a comment --> [link](javascript:alert(4)) ![img](http://evil/x.png)
"""


def test_nothing_in_the_file_becomes_markup():
    page = privacy_page.render_html(HOSTILE)
    body = page.split("<body>", 1)[1]
    tags = set(re.findall(r"</?([a-zA-Z0-9]+)", body))
    assert tags <= {"h1", "h2", "h3", "p", "ul", "li", "strong", "code", "body", "html"}
    assert "<script" not in page and "<img" not in page and "<iframe" not in page and "<a " not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<title>Policy &lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert visible_words(page) == markdown_words(HOSTILE)
    # lists nest and close properly
    assert body.count("<ul>") == body.count("</ul>") == 2
    assert body.count("<li>") == body.count("</li>") == 3


def test_an_empty_or_odd_file_still_makes_a_page():
    for text in ("", "\n\n", "   - lone item", "#not a heading", "plain"):
        page = privacy_page.render_html(text)
        assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
        assert visible_words(page) == markdown_words(text)
