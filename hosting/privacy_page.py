"""The privacy policy (PRIVACY.md at the repository root) as the webservice serves it at ``GET /privacy``.

HTML by default (what the Alexa Skills Store's reviewers and users open in a browser), the Markdown itself when the
client prefers ``text/markdown``. The HTML is built from a small, safe subset of Markdown — headings, paragraphs,
nested ``-`` lists, ``**bold**`` and ``code`` — and every character of the source is escaped first, so nothing in the
file can become markup or script. No links, images or raw HTML are interpreted.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from flask import Response
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import NotFound

POLICY_PATH = Path(__file__).resolve().parents[1] / "PRIVACY.md"
HTML_TYPE = "text/html"
MARKDOWN_TYPE = "text/markdown"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=300",
}
_HEADING = re.compile(r"(#{1,6})\s+(.*)")
_ITEM = re.compile(r"(\s*)[-*]\s+(.*)")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")
_STYLE = "body{max-width:44rem;margin:2rem auto;padding:0 1rem;font:1.05rem/1.55 system-ui,sans-serif}"


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=True)
    return _CODE.sub(r"<code>\1</code>", _STRONG.sub(r"<strong>\1</strong>", escaped))


def _list_html(items: list[tuple[int, str]]) -> str:
    out: list[str] = []
    open_levels: list[int] = []
    for level, text in items:
        while open_levels and open_levels[-1] > level:
            out.append("</li></ul>")
            open_levels.pop()
        if open_levels and open_levels[-1] == level:
            out.append("</li><li>" + _inline(text))
        else:
            out.append("<ul><li>" + _inline(text))
            open_levels.append(level)
    out.extend("</li></ul>" for _ in open_levels)
    return "".join(out)


def render_html(markdown: str) -> str:
    """A complete, self-contained HTML page for the Markdown subset described in the module docstring."""
    body: list[str] = []
    paragraph: list[str] = []
    items: list[tuple[int, str]] = []
    title = "Privacy policy"

    def flush() -> None:
        if paragraph:
            body.append("<p>" + _inline(" ".join(paragraph)) + "</p>")
            paragraph.clear()
        if items:
            body.append(_list_html(items))
            items.clear()

    for line in markdown.splitlines():
        if not line.strip():
            flush()
            continue
        heading = _HEADING.fullmatch(line.strip())
        item = _ITEM.fullmatch(line)
        if heading and not line[0].isspace():
            flush()
            level = len(heading.group(1))
            if level == 1 and title == "Privacy policy":
                title = heading.group(2)
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif item:
            if paragraph:
                flush()
            items.append((len(item.group(1).expandtabs(4)) // 2, item.group(2)))
        elif items:
            level, text = items[-1]
            items[-1] = (level, f"{text} {line.strip()}")
        else:
            paragraph.append(line.strip())
    flush()
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def response(accept: MIMEAccept, path: Path | None = None) -> Response:
    """The policy for ``GET /privacy``: HTML, or the Markdown if the client prefers it; 404 if the file is missing."""
    try:
        markdown = (path or POLICY_PATH).read_text(encoding="utf-8")
    except OSError:
        raise NotFound("no privacy policy here") from None
    if accept.best_match([HTML_TYPE, MARKDOWN_TYPE], default=HTML_TYPE) == MARKDOWN_TYPE:
        resp = Response(markdown, mimetype=MARKDOWN_TYPE)
    else:
        resp = Response(render_html(markdown), mimetype=HTML_TYPE)
    resp.headers.update(SECURITY_HEADERS)
    return resp
