"""A small same-origin crawler for the security tests: from the home page (and so the
menu) of a signed-in client, every page reachable through links, parsed as HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

# Never followed: they change state, leave the HTML world, or sign out.
SKIP_PREFIXES = ("/static/", "/logout", "/api/")


@dataclass
class ParsedPage:
    scripts: list[dict] = field(default_factory=list)  # attributes of every <script>
    inline_scripts: list[str] = field(default_factory=list)  # bodies of <script> without src
    handlers: list[tuple[str, str]] = field(default_factory=list)  # (tag, on* attribute)
    links: list[str] = field(default_factory=list)  # href values of <a>
    javascript_urls: list[tuple[str, str]] = field(default_factory=list)  # (tag, url)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self._in_script: dict | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.page.handlers.append((tag, name))
            if name in ("href", "src", "action", "formaction", "hx-get", "hx-post") and value \
                    and value.strip().lower().replace("\t", "").startswith(("javascript:", "data:text")):
                self.page.javascript_urls.append((tag, value))
        if tag == "a" and attributes.get("href"):
            self.page.links.append(attributes["href"])
        if tag == "script":
            self.page.scripts.append(attributes)
            self._in_script = attributes
            self._script_text = []

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            if not self._in_script.get("src"):
                self.page.inline_scripts.append("".join(self._script_text))
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self._script_text.append(data)


def parse(html: str) -> ParsedPage:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def crawl(client, start: str = "/", limit: int = 300, headers: dict | None = None):
    """Yield (url, response, parsed page or None) for every same-origin page reachable
    from ``start`` with GET links."""
    seen, queue = set(), [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, headers=headers or {})
        response.close()
        parsed = None
        if response.mimetype == "text/html":
            parsed = parse(response.get_data(as_text=True))
            for href in parsed.links:
                href = urldefrag(href)[0]
                parts = urlsplit(href)
                if parts.scheme or parts.netloc or not href.startswith("/"):
                    continue
                if href.startswith(SKIP_PREFIXES) or href in seen:
                    continue
                queue.append(href)
        yield url, response, parsed
