#!/usr/bin/env python
"""Django's command-line utility; `clientela` is the same thing installed as a command."""

from clientela.__main__ import main

if __name__ == "__main__":
    main()
