"""A tiny HTML tree for tests: find elements by tag and attributes, read their text."""

from html.parser import HTMLParser

VOID = set("area base br col embed hr img input link meta source track wbr".split())


class Element:
    def __init__(self, tag, attrs, parent=None, document=None):
        self.tag, self.parent, self.children = tag, parent, []
        # A bare attribute (<input required>) reads as "", as in the DOM.
        self.attrs = {name: value or "" for name, value in attrs}
        # Every element of the document in document order; this element and those
        # under it are document[start:end] (end is set when the element closes).
        self.document = document if document is not None else []
        self.start = len(self.document)
        self.end = None
        self.document.append(self)

    def iter(self):
        """This element and every element under it, in document order."""
        return self.document[self.start : self.end]

    def find_all(self, tag=None, **attrs):
        """Elements with this tag and these attributes; class_ matches one class."""
        wanted_class = attrs.pop("class_", None)
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and (wanted_class is None or e.has_class(wanted_class))
            and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]

    def find(self, tag=None, **attrs):
        """The first such element; the test fails when there is none."""
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'} {attrs}> in the page"
        return found[0]

    def by_id(self, element_id):
        return [e for e in self.iter() if e.attrs.get("id") == element_id]

    def has_class(self, name):
        return name in self.attrs.get("class", "").split()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    @property
    def text(self):
        """The visible words, whitespace collapsed as a browser does."""
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
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", [])

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current, self.root.document)
        self.current.children.append(element)
        if tag in VOID:
            element.end = element.start + 1
        else:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        element = Element(tag, attrs, self.current, self.root.document)
        element.end = element.start + 1
        self.current.children.append(element)

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            # Closes it and every element left open inside it.
            closing = self.current
            while closing is not node.parent:
                closing.end = len(self.root.document)
                closing = closing.parent
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(html):
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    for element in builder.root.document:
        if element.end is None:  # never closed: it runs to the end of the document
            element.end = len(builder.root.document)
    return builder.root


def parse_response(response):
    """The tree of a test client response's HTML."""
    return parse_html(response.content.decode())
