"""Area boundaries for the map (一张图): one geometry per area, with where it came from and under which licence.

The product ships no real boundaries of its own: a published map of China needs a map review number (审图号),
so a deployment loads its own official boundaries (docs/map.md); the demo loads synthetic ones."""

from __future__ import annotations

from django.db import models

from jingzhun.areas.models import Area

CRS = (("WGS-84", "WGS-84"), ("GCJ-02", "GCJ-02（国测局坐标）"))


class Boundary(models.Model):
    area = models.OneToOneField(Area, verbose_name="区划", primary_key=True, on_delete=models.CASCADE,
                                related_name="boundary")
    geometry = models.TextField("边界（GeoJSON）")  # a Polygon or MultiPolygon, as loaded (validated)
    crs = models.CharField("坐标系", max_length=8, choices=CRS, default="WGS-84")
    west = models.FloatField("最西经度")
    south = models.FloatField("最南纬度")
    east = models.FloatField("最东经度")
    north = models.FloatField("最北纬度")
    source = models.CharField("来源", max_length=200)
    licence = models.CharField("许可", max_length=100)
    loaded_at = models.DateTimeField("导入时间")

    class Meta:
        verbose_name = "区划边界"
        verbose_name_plural = "区划边界"
