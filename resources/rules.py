"""Who may see and change the library and reading lists (roles as in meetings/rules.py).

Reading is decided by the selectors (resources.selectors.resources_visible_to and
readinglists_visible_to): a page first finds the object among those the user may read (404
otherwise), then asks these rules whether the user may change it.
"""

import rules

from meetings.rules import belongs_to, is_any_organiser, is_member, is_organiser, is_staff


@rules.predicate
def is_public_list(user, reading_list):
    """Anyone reads a public list without a series, or a public list of a public series."""
    if reading_list is None or not reading_list.is_public:
        return False
    return reading_list.series_id is None or reading_list.series.is_public


@rules.predicate
def belongs_to_list_series(user, reading_list):
    """A list of a series is its members'; a list without a series is every account's."""
    if reading_list is None or reading_list.series_id is None:
        return is_member(user)
    return belongs_to(user, reading_list.series)


@rules.predicate
def organises_list_series(user, reading_list):
    if reading_list is None:
        return False
    if reading_list.series_id is None:
        return is_any_organiser(user)
    return is_organiser(user, reading_list.series)


@rules.predicate
def sees_every_holder(user, resource):
    """Every series that holds the resource is one the user may read (so deleting it takes
    nothing from a series hidden from them)."""
    if resource is None:
        return True
    from meetings.selectors import series_visible_to

    held = resource.holders.values("series_id")
    return not held.exclude(series_id__in=series_visible_to(user).values("pk")).exists()


rules.add_perm("resources.add_resource", is_member)
rules.add_perm("resources.change_resource", is_member)
rules.add_perm("resources.delete_resource", is_staff | (is_any_organiser & sees_every_holder))
rules.add_perm("resources.manage_tags", is_staff | is_any_organiser)
rules.add_perm("resources.add_readinglist", is_member)
rules.add_perm("resources.view_readinglist", is_staff | is_public_list | belongs_to_list_series)
rules.add_perm("resources.change_readinglist", is_member & (is_staff | belongs_to_list_series))
rules.add_perm("resources.delete_readinglist", is_staff | organises_list_series)
rules.add_perm("resources.view_link_health", is_staff | is_any_organiser)
rules.add_perm("resources.check_link", is_member)
