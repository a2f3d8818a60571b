"""The `clientela` command: Django's management commands with Clientela's settings."""

import gc
import os
import sys


def main() -> None:
    """Run a management command (`clientela serve`, `clientela demo`, `clientela migrate`...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    import django

    from clientela.core.management.utility import ClientelaUtility

    # Python's collector walks every object it tracks at each full collection. Loading
    # Django, the apps and their libraries makes tens of thousands of objects that live
    # as long as the process, so it loads without collecting, and what it loaded is set
    # aside from every later collection; what is left at the end is set aside too, so
    # that the collections of Python's exit have nothing to walk (a third of a second).
    gc.disable()
    django.setup()
    gc.freeze()
    gc.enable()
    ClientelaUtility(sys.argv).execute()
    gc.freeze()


if __name__ == "__main__":
    main()
