from django.apps import AppConfig


class AppraisalConfig(AppConfig):
    name = "jingzhun.appraisal"
    verbose_name = "评议公示 / Appraisal and notice"
