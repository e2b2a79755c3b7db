from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "jingzhun.web"
    verbose_name = "网页 / Web"

    def ready(self) -> None:
        from jingzhun.audit import names
        from jingzhun.jobs import queue
        from jingzhun.web import receivers  # noqa: F401  (connects the signal receivers)
        from jingzhun.web.views import audit  # noqa: F401  (names the older apps' audit actions in jingzhun.audit.names)

        # A web upload's check and import (`jingzhun.web.uploads`), run by workers in child processes.
        for kind, name in (("upload.check", "check"), ("upload.import", "import")):
            queue.register(kind, queue.Kind(run_path=f"jingzhun.web.uploads.{name}_job",
                                            failed_path=f"jingzhun.web.uploads.{name}_failed",
                                            env_path="jingzhun.web.uploads.child_env"))
        # A phone photo of a visit opened on the web (`web.views.photos`).
        names.register_actions({"visit.photo_shown": "查看走访照片 / a visit's photo viewed"})
