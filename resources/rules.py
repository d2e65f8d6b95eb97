"""Who may see and change the library and reading lists (roles as in meetings/rules.py)."""

import rules

from meetings.rules import is_any_organiser, is_member, is_staff


@rules.predicate
def is_public_list(user, reading_list):
    if reading_list is None or not reading_list.is_public:
        return False
    return reading_list.series_id is None or reading_list.series.is_public


rules.add_perm("resources.add_resource", is_member)
rules.add_perm("resources.change_resource", is_member)
rules.add_perm("resources.delete_resource", is_staff | is_any_organiser)
rules.add_perm("resources.manage_tags", is_staff | is_any_organiser)
rules.add_perm("resources.add_readinglist", is_member)
rules.add_perm("resources.view_readinglist", is_member | is_public_list)
rules.add_perm("resources.change_readinglist", is_member)
rules.add_perm("resources.delete_readinglist", is_staff | is_any_organiser)
rules.add_perm("resources.view_link_health", is_staff | is_any_organiser)
rules.add_perm("resources.check_link", is_member)
