"""The `clientela` command: Django's management commands with Clientela's settings."""

import os
import sys


def main() -> None:
    """Run a management command (`clientela serve`, `clientela demo`, `clientela migrate`...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    from clientela.core.management.utility import ClientelaUtility

    ClientelaUtility(sys.argv).execute()


if __name__ == "__main__":
    main()
