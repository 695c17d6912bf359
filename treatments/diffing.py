"""A readable line diff of two content snapshots, structured parts included."""

import difflib

from .explore import QUESTIONS


def fit_lines(label, fits):
    """Fit rules as a reviewer reads them: the answers, then what the patient is told."""
    lines = []
    for fit in fits:
        when = " and ".join(said(item) for item in fit["when"])
        unless = " or ".join(said(item) for item in fit.get("unless", []))
        condition = f"if {when}" + (f", unless {unless}" if unless else "")
        lines.append(f"{label} ({condition}): {fit['reason']}")
    return lines


def said(item):
    name, _, value = item.partition("=")
    answer = QUESTIONS[name].answer(value) if name in QUESTIONS else None
    return str(answer.said) if answer else item


def snapshot_lines(snapshot, labels) -> list[str]:
    """Flatten a snapshot into labelled lines a reviewer can read; `labels` names
    the plain fields (the model's `field_labels`)."""
    if not snapshot:
        return []
    lines = []
    for key, label in labels.items():
        if key in snapshot:
            value = snapshot[key]
            shown = ", ".join(value) if isinstance(value, list) else value
            lines.append(f"{label}: {shown}")
    for line in (snapshot.get("body") or "").splitlines():
        if line.strip():
            lines.append(f"Text: {line}")
    for point in snapshot.get("key_points", []):
        lines.append(f"Key point: {point}")
    lines.extend(fit_lines("When it may be used", snapshot.get("fits", [])))
    for item in snapshot.get("procedures", []):
        lines.append(f"Type: {item['name']}: {item['description']}")
        lines.extend(fit_lines(f"{item['name']} may be used", item.get("fits", [])))
    for item in snapshot.get("drugs", []):
        how = f", {item['how_given']}" if item.get("how_given") else ""
        lines.append(
            f"Medicine: {item['brand_name']} ({item['generic_name']}){how}. {item['description']}"
        )
    for item in snapshot.get("side_effects", []):
        lines.append(f"Side effect: {item['name']}")
    for question in snapshot.get("questions", []):
        lines.append(f"Question: {question}")
    return lines


def diff_snapshots(old, new, labels) -> list[tuple[str, str]]:
    """(kind, line) pairs where kind is 'same', 'added' or 'removed'."""
    rows = []
    old_lines, new_lines = snapshot_lines(old, labels), snapshot_lines(new, labels)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(("same", line) for line in old_lines[i1:i2])
            continue
        rows.extend(("removed", line) for line in old_lines[i1:i2])
        rows.extend(("added", line) for line in new_lines[j1:j2])
    return rows
