"""What makes the pages an installable app: the web app manifest and the service worker, served under /m/
so the worker's scope is the app's pages (a worker controls only what sits below its own address)."""

from __future__ import annotations

import json
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

WORKER = Path(__file__).resolve().parent / "static" / "mobile" / "sw.js"


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    home = reverse("mobile:home")
    body = {
        "name": "精准扶贫 · 帮扶工作", "short_name": "精准帮扶", "lang": "zh-Hans", "dir": "ltr",
        "description": "帮扶责任人和驻村工作队的手机应用：我的帮扶户、入户走访、驻村签到、农户申报，离线可用",
        "start_url": home, "scope": home, "display": "standalone", "orientation": "portrait",
        "background_color": "#ffffff", "theme_color": "#9b1c1c",
        "icons": [{"src": static(f"mobile/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png",
                   "purpose": "any maskable"} for n in (192, 512)],
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/manifest+json")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker's script, never cached by the browser's HTTP cache (a new version must reach the phone)."""
    response = HttpResponse(WORKER.read_bytes(), content_type="text/javascript; charset=utf-8")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = reverse("mobile:home")
    return response
