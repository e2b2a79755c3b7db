from django.apps import AppConfig


class MapsConfig(AppConfig):
    name = "jingzhun.maps"
    verbose_name = "一张图 / the map"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhun.audit.names import register_actions, register_keys

        register_actions({"maps.import_boundaries": "导入区划边界 / import area boundaries"})
        register_keys({"features": "边界数 / boundaries", "source": "来源 / source", "licence": "许可 / licence",
                       "crs": "坐标系 / coordinate system"})
