#!/usr/bin/env python
import os
import sys


def main():
    from clubsite.localenv import local_env_load

    # var/local.env, written by the first `make run`: read only while DEBUG is on (README).
    local_env_load()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
