"""The Jinja2 environment of the hot pages (the household page): Django's meaning for every value and filter
they use, so the HTML is the same as the Django templates gave.

Why Jinja2 there: Django's template engine took a third of the household page's CPU time (docs/web.md);
Jinja2 compiles templates to Python. What a value prints is Django's: `finalize` localises it as Django's
`render_value_in_context` does (numbers and dates in the active language's formats, aware times in local
time), and the filters named as Django's are Django's own functions. Texts go through Django's gettext with
jinja2's i18n extension (`{{ _("...") }}`, which `makemessages` extracts like `{% translate %}`); the old-style
callables keep a translation an ordinary string, escaped on output as `{% translate %}` escapes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.template import defaultfilters
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment

from jingzhun.web.templatetags.jingzhun import lang


def local(value: Any) -> Any:
    """An aware time in the current time zone, as Django's templates show it (`template_localtime`)."""
    if isinstance(value, dt.datetime) and settings.USE_TZ and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def finalize(value: Any) -> Any:
    """What `{{ value }}` prints, as in a Django template: local time, then the active language's format."""
    if isinstance(value, str):
        return value
    return formats.localize(local(value))


def date(value: Any, arg: str | None = None) -> str:
    """Django's `date` filter, with its local-time conversion (`expects_localtime`)."""
    return defaultfilters.date(local(value), arg)


# Django-template pages wrote `|yesno:_("yes,no")`; here the filter's default, marked in Python so that
# makemessages, which reads `_()` only at the start of a `{{ }}`, still finds it.
YES_NO = translation.gettext_lazy("yes,no")


def yesno(value: Any, arg: str | None = None) -> str:
    return str(defaultfilters.yesno(value, str(YES_NO) if arg is None else arg))


def url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


def django_include(template_name: str, **context: Any) -> SafeString:
    """A part still shared with Django-template pages, rendered by Django (the plan's change history)."""
    return mark_safe(render_to_string(template_name, context))  # noqa: S308 (Django escaped it)


def environment(**options: Any) -> Environment:
    env = Environment(extensions=["jinja2.ext.i18n"], finalize=finalize, keep_trailing_newline=True, **options)
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.globals.update(url=url, static=static, get_language=translation.get_language, django_include=django_include)
    env.filters.update(date=date, yesno=yesno, truncatechars=defaultfilters.truncatechars,
                       json_script=json_script, lang=lang)
    return env
