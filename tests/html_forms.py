"""Reading a rendered form's fields the way a browser would submit them."""

from html.parser import HTMLParser


class FormValues(HTMLParser):
    """What a browser would post from the form with this id, before anyone types."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.values = []
        self.textarea = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name") or ""
        if "__prefix__" in name:  # the inline formsets' templates for "Add another"
            name = ""
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.values.append((name, attrs.get("value") or "on"))
            elif kind not in {"submit", "button", "reset", "image", "file"}:
                self.values.append((name, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]
        elif tag == "select" and name:
            self.select = {
                "name": name,
                "multiple": "multiple" in attrs,
                "options": [],
                "chosen": [],
            }
        elif tag == "option" and self.select is not None:
            self.select["options"].append(attrs.get("value", ""))
            if "selected" in attrs:
                self.select["chosen"].append(attrs.get("value", ""))

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            self.values.append((name, text.removeprefix("\r\n").removeprefix("\n")))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and self.select["options"]:
                chosen = self.select["options"][:1]
            self.values.extend((self.select["name"], value) for value in chosen)
            self.select = None


def form_values(html, form_id=None):
    """{name: value or [values]} for Client.post; no form_id: the form without an id."""
    parser = FormValues(form_id)
    parser.feed(html)
    parser.close()
    data = {}
    for name, value in parser.values:
        if name in data:
            data[name] = (
                [*data[name], value]
                if isinstance(data[name], list)
                else [data[name], value]
            )
        else:
            data[name] = value
    return data
