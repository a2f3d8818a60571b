"""`clientela token create|list|revoke`: API tokens for scripts and other programs."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientela.core.management.database import require_migrated_database
from clientela.core.management.tables import table
from clientela.core.models import ApiToken, User, token_digest
from clientela.core.services import api_token_create, api_token_revoke


def _user(username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(_("There is no user named %(name)s.") % {"name": username}) from None


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _("Issue, list and revoke API tokens.")

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="create|list|revoke")
        create = actions.add_parser(
            "create",
            help=_("Issue a token; only the token is printed, and only this once."),
            description=_(
                "Issue an API token that acts as the user, with the user's role. Only the "
                "token is printed, so that a script can keep it: "
                "TOKEN=$(clientela token create ana --label backup)."
            ),
        )
        create.add_argument("username", help=_("The user the token acts as."))
        create.add_argument(
            "--label",
            default="",
            help=_("What the token is for, to tell tokens apart (default: command line)."),
        )
        listing = actions.add_parser("list", help=_("List a user's tokens."))
        listing.add_argument("username", help=_("Whose tokens to list."))
        revoke = actions.add_parser(
            "revoke", help=_("Revoke a token, given its prefix (as listed) or itself.")
        )
        revoke.add_argument("prefix", help=_("The token's first characters, or all of it."))

    def handle(self, *args, action: str, **options) -> None:
        require_migrated_database()
        getattr(self, action)(options)

    def create(self, options: dict) -> None:
        user = _user(options["username"])
        if not user.is_active:
            raise CommandError(
                _("User %(name)s is deactivated; tokens are issued to active users only.")
                % {"name": user.username}
            )
        label = options["label"].strip() or _("command line")
        try:
            token, raw = api_token_create(user=user, name=label)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        self.stdout.write(raw)
        self.stderr.write(
            _(
                "Token %(prefix)s… for %(name)s. Keep it now: it is stored only as a digest "
                "and cannot be shown again."
            )
            % {"prefix": token.prefix, "name": user.username}
        )

    def list(self, options: dict) -> None:
        user = _user(options["username"])
        tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
        if not tokens:
            self.stdout.write(_("%(name)s has no API tokens.") % {"name": user.username})
            return
        headers = (_("prefix"), _("label"), _("created"), _("last used"), _("state"))
        rows = [
            (
                token.prefix,
                token.name,
                token.created_at.strftime("%Y-%m-%d %H:%M"),
                token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "—",
                _("revoked") if token.revoked_at else _("active"),
            )
            for token in tokens
        ]
        self.stdout.write(table([headers, *rows]))

    def revoke(self, options: dict) -> None:
        value = options["prefix"].strip()
        tokens = ApiToken.objects.filter(revoked_at__isnull=True)
        if len(value) > ApiToken._meta.get_field("prefix").max_length:  # the whole token
            matches = list(tokens.filter(digest=token_digest(value)))
        else:
            matches = list(tokens.filter(prefix__startswith=value)) if value else []
        if not matches:
            raise CommandError(
                _("No active token starts with %(prefix)s.") % {"prefix": value or "''"}
            )
        if len(matches) > 1:
            raise CommandError(
                _("%(count)d tokens start with %(prefix)s; give more of it.")
                % {"count": len(matches), "prefix": value}
            )
        token = matches[0]
        api_token_revoke(token=token)
        self.stdout.write(
            _("Revoked token %(prefix)s… (%(label)s) of %(name)s.")
            % {"prefix": token.prefix, "label": token.name, "name": token.user.username}
        )
