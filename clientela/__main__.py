"""The `clientela` command: Django's management commands with Clientela's settings."""

import ctypes
import gc
import os
import sys

# glibc's mallopt parameters (malloc.h), and the values the offline analysis runs with:
# one heap for every thread, arrays of up to 64 MB taken from it and up to 256 MB of
# freed memory kept in it.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_FREED_MEMORY_KEPT = {_M_ARENA_MAX: 1, _M_MMAP_THRESHOLD: 64 << 20, _M_TRIM_THRESHOLD: 256 << 20}


def _analyses_a_file(arguments: list[str]) -> bool:
    """Whether the command is `clientela analyze --transactions FILE …`."""
    return arguments[:1] == ["analyze"] and any(
        argument == "--transactions" or argument.startswith("--transactions=")
        for argument in arguments[1:]
    )


def _reuse_freed_memory() -> None:
    """Have glibc keep the arrays a process frees for its next ones. By default it gives
    every array over 32 MB back to the system as soon as it is freed, and each thread
    allocates from a heap of its own, so most of the offline analysis's arrays are fresh
    memory that the kernel must clear first: over a second of a million customers' run on
    a machine that clears it slowly. It must be set before any thread starts (numpy's
    and Arrow's start as they are imported). Elsewhere than glibc, nothing changes."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return
    for parameter, value in _FREED_MEMORY_KEPT.items():
        mallopt(parameter, value)


def main() -> None:
    """Run a management command (`clientela serve`, `clientela demo`, `clientela migrate`...)."""
    if _analyses_a_file(sys.argv[1:]):
        _reuse_freed_memory()
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
