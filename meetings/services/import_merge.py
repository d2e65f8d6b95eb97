"""Three-way merge of imported fields: the last import, the new document, and the site.

A row an import wrote keeps a snapshot (``import_base``) of the values the import gave it. On
the next import, for each field: the document unchanged since then leaves the site's value
alone (a tick, a drop, an edited title stay); the site unchanged takes the document's; both
changed to different values is a clash, and the site's value is kept unless the organiser
chose the document's.
"""

from dataclasses import dataclass


@dataclass
class Clash:
    field: str
    site: object
    document: object
    kept: str  # "site" or "document"


def fields_merge(
    *, base: dict, document: dict, site: dict, prefer_document: bool = False
) -> tuple[dict, list[Clash]]:
    """(the fields to set, the clashes); a row with no snapshot takes the document's values."""
    changes, clashes = {}, []
    for name, wanted in document.items():
        current = site[name]
        if wanted == current:
            continue
        if name not in base:
            changes[name] = wanted  # imported before snapshots were kept: the document wins, as it did
            continue
        if wanted == base[name]:
            continue  # the document did not change this: the site's edit stands
        if current == base[name]:
            changes[name] = wanted
            continue
        clashes.append(Clash(name, current, wanted, "document" if prefer_document else "site"))
        if prefer_document:
            changes[name] = wanted
    return changes, clashes
