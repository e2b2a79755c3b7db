"""`jingzhun upload_job`: a web upload's check or import, in a process of its own (started by `web.uploads`).

Not for people: the web worker starts it and waits for it (check) or follows it (import). A register file
can make a parser abort in native code; here that ends this process only, and the worker records it.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from jingzhun.web import uploads


class Command(BaseCommand):
    help = "网页上传的校验或导入（由网页服务启动）/ A web upload's check or import (started by the web server)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mode", choices=["check", "all", "valid"])
        parser.add_argument("token")
        parser.add_argument("--user", type=int, required=True)
        parser.add_argument("--file-name", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        os.umask(0o077)  # whatever this process writes (the report, progress, scratch) is the service's only
        token = opts["token"]
        if opts["mode"] == "check":
            user = get_user_model().objects.get(pk=opts["user"])
            stored = next(p for p in uploads.job_folder(token).iterdir() if p.name.startswith("upload."))
            outcome = uploads.check(token, stored, opts["file_name"] or stored.name, user)
            uploads._write_private(uploads.check_path(token), json.dumps(outcome, ensure_ascii=False).encode())
            return
        upload = uploads.Upload.objects.get(token=token)
        uploads.run_import(upload.pk, opts["mode"])
