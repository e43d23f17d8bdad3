"""Operators see key ids, metric types, times, counts and sizes; never key or ciphertext bytes."""

from django.contrib import admin

from analytics.models import EncryptedMetric, MetricRollup, MetricSeries, PublicContext
from reflective.lib.admin import ReadOnlyAdmin

# Each admin names its fields explicitly, so the binary columns (context_bytes, ciphertext)
# are never rendered, and nothing is editable.


@admin.register(PublicContext)
class PublicContextAdmin(ReadOnlyAdmin):
    list_display = ("key_id", "user", "format", "poly_modulus_degree", "size_bytes", "is_current")
    list_filter = ("format", "poly_modulus_degree", "is_current")
    search_fields = ("key_id", "user__email")
    list_select_related = ("user",)
    fields = ("user", "key_id", "format", "poly_modulus_degree", "size_bytes", "is_current")
    readonly_fields = fields


@admin.register(MetricSeries)
class MetricSeriesAdmin(ReadOnlyAdmin):
    list_display = ("metric_type", "user", "epoch", "vector_size", "rollup_timezone")
    search_fields = ("metric_type", "user__email")
    list_select_related = ("user", "epoch")
    fields = ("user", "epoch", "metric_type", "vector_size", "rollup_timezone", "created_at")
    readonly_fields = fields


@admin.register(EncryptedMetric)
class EncryptedMetricAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "series", "timestamp", "log_id", "size_bytes")
    search_fields = ("user__email", "series__metric_type", "log_id")
    list_select_related = ("user", "series")
    fields = ("user", "series", "timestamp", "log_id", "size_bytes", "created_at")
    readonly_fields = fields


@admin.register(MetricRollup)
class MetricRollupAdmin(ReadOnlyAdmin):
    list_display = ("series", "user", "level", "period_start", "count", "size_bytes")
    list_filter = ("level",)
    search_fields = ("user__email", "series__metric_type")
    list_select_related = ("user", "series")
    fields = ("user", "series", "level", "period_start", "start", "end", "count", "size_bytes")
    readonly_fields = fields
