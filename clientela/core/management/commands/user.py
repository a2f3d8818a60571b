"""`clientela user create|list|unlock`: manage staff accounts from the command line."""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.management.database import require_migrated_database
from clientela.core.management.tables import table
from clientela.core.models import Role, User
from clientela.core.services import user_create
from clientela.core.signin import sign_in_unlock


def read_password(stdin, prompt: str) -> str:
    """The first line of standard input when it is not a terminal, else asked twice."""
    if stdin is not None and not stdin.isatty():
        password = stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(_("No password on standard input: give it on the first line."))
        return password
    password = getpass.getpass(prompt)
    again = getpass.getpass(_("The same password again: "))
    if password != again:
        raise CommandError(_("The two passwords differ; nothing was changed."))
    if not password:
        raise CommandError(_("The password cannot be empty."))
    return password


def validation_message(error: ValidationError) -> str:
    """A ValidationError as lines a person can read, each field named."""
    if hasattr(error, "error_dict"):
        lines = []
        for field, messages in error.message_dict.items():
            label = str(User._meta.get_field(field).verbose_name) if field != "__all__" else ""
            lines.extend(f"  {label}: {m}" if label else f"  {m}" for m in messages)
        return "\n".join(lines)
    return "\n".join(f"  {message}" for message in error.messages)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _("Create and list the people who sign in to Clientela.")

    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="create|list|unlock")
        create = actions.add_parser(
            "create",
            help=_("Create a user; the password is read from standard input."),
            description=_(
                "Create a user. The password is the first line of standard input when it is "
                'not a terminal (`echo "$PASSWORD" | clientela user create ana --role sales`), '
                "else it is asked twice."
            ),
        )
        create.add_argument("username", help=_("The name to sign in with."))
        create.add_argument(
            "--role",
            required=True,
            choices=Role.values,
            help=_(
                "owner: everything, users included; sales: creates and edits customers; "
                "support: looks after customers; readonly: only looks."
            ),
        )
        create.add_argument("--email", default="", help=_("E-mail address."))
        create.add_argument("--first-name", default="", help=_("First name."))
        create.add_argument("--last-name", default="", help=_("Last name."))
        actions.add_parser("list", help=_("List the users and their roles."))
        unlock = actions.add_parser(
            "unlock",
            help=_("Let a user locked out by failed sign-ins sign in again at once."),
        )
        unlock.add_argument("username", help=_("The name they sign in with."))

    def handle(self, *args, action: str, **options) -> None:
        require_migrated_database()
        if action == "create":
            self.create(options)
        elif action == "unlock":
            self.unlock(options["username"])
        else:
            self.list()

    def create(self, options: dict) -> None:
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(_("A user named %(name)s already exists.") % {"name": username})
        password = read_password(
            options.get("stdin", sys.stdin),
            _("Password for %(name)s: ") % {"name": username},
        )
        try:
            user = user_create(
                username=username,
                password=password,
                role=options["role"],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ValidationError as error:
            raise CommandError(
                _("User %(name)s was not created:\n%(reasons)s")
                % {"name": username, "reasons": validation_message(error)}
            ) from error
        self.stdout.write(
            _("Created user %(name)s with the role %(role)s.")
            % {"name": user.username, "role": user.get_role_display()}
        )

    def unlock(self, username: str) -> None:
        if not User.objects.filter(username=username).exists():
            raise CommandError(_("There is no user named %(name)s.") % {"name": username})
        forgotten = sign_in_unlock(username)
        self.stdout.write(
            ngettext(
                "%(name)s may sign in again (%(count)d record of failed sign-ins forgotten).",
                "%(name)s may sign in again (%(count)d records of failed sign-ins forgotten).",
                forgotten,
            )
            % {"name": username, "count": forgotten}
        )

    def list(self) -> None:
        users = User.objects.order_by("username")
        if not users.exists():
            self.stdout.write(_("No users yet. Create one with `clientela user create`."))
            return
        headers = (_("user"), _("role"), _("name"), _("e-mail"), _("active"), _("last sign-in"))
        rows = [
            (
                user.username,
                user.get_role_display(),
                user.get_full_name(),
                user.email,
                _("yes") if user.is_active else _("no"),
                user.last_login.strftime("%Y-%m-%d %H:%M") if user.last_login else "—",
            )
            for user in users
        ]
        self.stdout.write(table([headers, *rows]))
