"""FastAPI dependencies shared by every area's router: the running app and the principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from onewindow.bootstrap import OneWindow
from onewindow.identity.model import Principal
from onewindow.kernel.errors import NotAuthenticated

__all__ = ["App", "Caller", "get_app", "get_principal"]


def get_app(request: Request) -> OneWindow:
    app: OneWindow = request.app.state.onewindow
    return app


def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated()
    return get_app(request).tokens.resolve(token.strip())


App = Annotated[OneWindow, Depends(get_app)]
Caller = Annotated[Principal, Depends(get_principal)]
