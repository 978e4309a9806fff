"""How every GoodPlay email reads: a greeting, paragraphs and at most one link, as plain text and HTML."""

from __future__ import annotations

from html import escape


def _html(greeting: str, paragraphs: list[str], link: str | None = None, action: str | None = None) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    button = f'<p><a href="{escape(link, quote=True)}">{escape(action or link)}</a></p>' if link else ""
    return f"<!doctype html><html><body><p>{escape(greeting)}</p>{body}{button}<p>GoodPlay</p></body></html>"


def _text(greeting: str, paragraphs: list[str], link: str | None = None) -> str:
    lines = [greeting, "", *[p + "\n" for p in paragraphs]]
    if link:
        lines += [link, ""]
    return "\n".join([*lines, "GoodPlay"])


def compose(subject: str, greeting: str, paragraphs: list[str], link=None, action=None) -> dict:
    """{subject, text, html} of one message."""
    return {
        "subject": subject,
        "text": _text(greeting, paragraphs, link),
        "html": _html(greeting, paragraphs, link, action),
    }
