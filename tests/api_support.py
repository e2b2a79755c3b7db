"""Calling the API in tests: a token for a user, and requests carrying it through Django's test client."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from jingzhun.api import tokens


def token_for(user: object, scopes: tuple[str, ...] = ("read",), days: int = 30) -> str:
    return tokens.create(user, "test", scopes, days)[1]


class Api:
    def __init__(self, token: str):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get("/api/v1" + url, params, headers=self.headers)

    def post(self, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post("/api/v1" + url, json.dumps(body if body is not None else {}),
                                content_type="application/json", headers={**self.headers, **(headers or {})})


def api_for(user: object, *scopes: str) -> Api:
    return Api(token_for(user, scopes or ("read",)))
