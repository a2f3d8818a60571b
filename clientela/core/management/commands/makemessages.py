"""`makemessages` without fuzzy matching: a new string starts untranslated, never guessed."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
