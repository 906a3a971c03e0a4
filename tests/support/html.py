"""HTML as the tests read it: parsed (html.parser) into a small tree of nodes, never compared as text.

Owns the tree (tags, attributes, text, children) and finding nodes by tag, attribute and class; parsing fails the
test on a stray or unclosed end tag. Must not know what netwatch's pages contain: the tests look for that.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "source", "wbr", "area", "base", "embed", "track"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    parent: Node | None = None

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with the tag and attributes; ``class_`` matches one of the node's classes."""
        found = []
        for node in self.walk():
            if tag is not None and node.tag != tag:
                continue
            ok = True
            for name, value in attrs.items():
                if name == "class_":
                    ok &= value in node.attrs.get("class", "").split()
                else:
                    ok &= node.attrs.get(name.replace("_", "-")) == value
            if ok:
                found.append(node)
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} {attrs}>"
        return found[0]

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(n.text) for n in self.walk()).strip()

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()


class TreeBuilder(HTMLParser):
    """Builds the tree while html.parser reads; void elements (``VOID``) never take children."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].text.append(data)


def parse(html: str) -> Node:
    """The tree of ``html``, under a node tagged "#root"."""
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements: " + ", ".join(n.tag for n in builder.stack[1:])
    return builder.root


_PICTURE = re.compile(r'<img class="svg[^"]*" alt="[^"]*" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]*)">')


def pictures_inline(html: str) -> str:
    """A PDF's HTML with each picture its image holds back inline (the PDF's HTML has them as ``data:`` images:
    report/inlinesvg.py), to be read like the screen's."""
    return _PICTURE.sub(lambda m: base64.b64decode(m.group(1)).decode(), html)
