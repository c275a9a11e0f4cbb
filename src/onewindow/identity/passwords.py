"""Passwords for the portal, stored as argon2id hashes (argon2-cffi, its recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from onewindow.kernel.errors import FieldError, InvalidInput

__all__ = ["MIN_LENGTH", "check_strength", "hash_password", "verify_password"]

MIN_LENGTH = 10
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps an unknown user as slow as a wrong password.
_DUMMY = _hasher.hash("not a password of anyone's")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH or password.isdigit() or password.isalpha():
        raise InvalidInput(
            [
                FieldError(
                    "password",
                    "too_weak",
                    f"Use at least {MIN_LENGTH} characters, mixing letters with digits or signs.",
                    f"密码至少 {MIN_LENGTH} 位，须同时包含字母和数字或符号。",
                )
            ]
        )


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; always takes one full argon2 verification."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
