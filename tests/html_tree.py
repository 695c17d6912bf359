"""A tiny HTML tree for tests: find elements by tag and attributes, read their text."""

from html.parser import HTMLParser


class Element:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag, **attrs):
        return [
            e
            for e in self.iter()
            if e.tag == tag
            and all(
                v in (e.attrs.get("class") or "").split()
                if k == "class_"
                else e.attrs.get(k) == v
                for k, v in attrs.items()
            )
        ]

    def by_id(self, element_id):
        return [e for e in self.iter() if e.attrs.get("id") == element_id]

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    @property
    def text(self):
        return " ".join(self.raw_text().split())

    def raw_text(self):
        if self.tag in {"script", "style", "head"}:
            return " "
        return "".join(
            c.raw_text() if isinstance(c, Element) else c for c in self.children
        )

    def text_nodes(self):
        """(text, element holding it) in document order."""
        for child in self.children:
            if isinstance(child, Element):
                yield from child.text_nodes()
            else:
                yield child, self


class TreeBuilder(HTMLParser):
    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "wbr",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", [])

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(html):
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root
