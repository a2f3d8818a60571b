"""Writes shared by every app: optimistic version claims, users and API tokens."""

import secrets
from collections.abc import Iterable
from typing import Any, Protocol

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.db.models.options import Options
from django.utils import timezone

from clientela.core.access import AccessDenied, limited_to_own_customers, require
from clientela.core.errors import ConflictError
from clientela.core.models import ApiToken, Role, User, token_digest


class Owned(Protocol):
    """A record a salesperson may own: a customer (``core`` names no domain model)."""

    @property
    def owner_id(self) -> int | None: ...


class Versioned(Protocol):
    """A record with a ``version`` column that every change bumps (``version_claim``)."""

    pk: Any
    version: int

    @property
    def _meta(self) -> Options[Any]: ...


def actor_check(actor: User | None, capability: str, customer: Owned | None = None) -> None:
    """Raise AccessDenied unless ``actor`` may do it (to ``customer``, when given).

    ``actor=None`` is the system itself (the demo, a command-line job) and may do all.
    """
    if actor is None:
        return
    require(actor, capability)
    if customer is not None and limited_to_own_customers(actor) and customer.owner_id != actor.pk:
        raise AccessDenied(capability)


def history_as(obj: models.Model, actor: User | None, reason: str = "") -> None:
    """Record the next save or delete of ``obj`` in its history as made by ``actor``, for ``reason``."""
    # django-simple-history reads these two attributes of the instance; it ships no types.
    obj._history_user = actor  # type: ignore[attr-defined]
    obj._change_reason = reason or None  # type: ignore[attr-defined]


def full_clean_collecting(
    instance: models.Model, errors: dict, exclude: Iterable[str] = (), constraints: bool = True
) -> None:
    """Run ``full_clean`` and raise one ValidationError holding its errors and ``errors``.

    Fields that already have an error in ``errors`` are not checked again.
    ``constraints=False`` leaves out the model's database constraints (each check is a
    query) for a service that checks their rules itself, with its own messages.
    """
    try:
        instance.full_clean(
            exclude=[*exclude, *errors.keys()],
            validate_unique=False,
            validate_constraints=constraints,
        )
    except ValidationError as error:
        for field, field_errors in error.error_dict.items():
            errors.setdefault(field, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)


def version_claim(*, instance: Versioned, version: int) -> None:
    """Bump ``instance``'s version if it is still ``version``; else raise ConflictError.

    The check and the bump are one UPDATE, so of two writers holding the same version
    exactly one wins; the row stays locked by the caller's transaction until it commits.
    """
    model = instance._meta.model
    claimed = model._default_manager.filter(pk=instance.pk, version=version).update(
        version=F("version") + 1
    )
    if not claimed:
        current = (
            model._default_manager.filter(pk=instance.pk).values_list("version", flat=True).first()
        )
        raise ConflictError(current)
    instance.version = version + 1


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a member of staff with a role; the password must pass Django's validators."""
    user = User(
        username=username, role=Role(role), email=email, first_name=first_name, last_name=last_name
    )
    user.full_clean(exclude=["password"])
    validate_password(password, user)
    user.set_password(password)
    user.is_staff = role == Role.OWNER
    user.is_superuser = role == Role.OWNER
    user.save()
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns the record and the raw token, shown only once."""
    raw = f"clt_{secrets.token_urlsafe(32)}"
    token = ApiToken(user=user, name=name, prefix=raw[:10], digest=token_digest(raw))
    token.full_clean()
    token.save()
    return token, raw


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a token at once; requests that present it get 401 from then on."""
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
