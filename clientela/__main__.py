"""The `clientela` command: Django's management commands with Clientela's settings."""

import os
import sys


def main() -> None:
    """Run a management command (`clientela serve`, `clientela demo`, `clientela migrate`...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
