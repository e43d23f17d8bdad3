"""Key epochs (public CKKS contexts), encrypted metrics and their encrypted rollups."""

from django.conf import settings
from django.db import models

from analytics.formats.base import KeyFormat
from analytics.formats.codec import Codec
from analytics.periods import Level


class PublicContextQuerySet(models.QuerySet["PublicContext"]):
    def metadata(self) -> "PublicContextQuerySet":
        """Epochs without their key bytes: ids, format and parameters are all most paths need.

        A context with relinearization keys is 1.86 MB; fetching it took 40 ms per row
        against 1.2 ms without it (PostgreSQL, measured).
        """
        return self.defer("context_bytes")


class MetricSeriesQuerySet(models.QuerySet["MetricSeries"]):
    def with_epoch(self) -> "MetricSeriesQuerySet":
        """Series joined to their key epoch's metadata, never its key bytes (38 -> 2 ms)."""
        return self.select_related("epoch").defer("epoch__context_bytes")

    def version_bump(self) -> int:
        """Mark the series changed: cached sums keyed by the old version are never read again."""
        return self.update(version=models.F("version") + 1)


class PublicContext(models.Model):
    """One key epoch: a public CKKS context a user uploaded. Holds no secret key.

    ``key_id`` is the lowercase hex sha256 of the exact uploaded bytes. At most one epoch
    per user is current; metrics record the epoch they were encrypted under, and sums
    never mix epochs.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="public_contexts"
    )
    key_id = models.CharField(max_length=64)
    context_bytes = models.BinaryField()
    size_bytes = models.PositiveIntegerField()
    format = models.CharField(max_length=16, choices=KeyFormat.choices)
    # "major.minor" of the SEAL that wrote a raw SEAL key; answers are stamped with it.
    seal_version = models.CharField(max_length=8, blank=True, default="")
    poly_modulus_degree = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    is_current = models.BooleanField(default=True)

    objects = PublicContextQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key_id"], name="publiccontext_user_key_unique"
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_current=True),
                name="publiccontext_one_current_per_user",
            ),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"key epoch {self.key_id[:12]}"

    def codec(self) -> Codec:
        return Codec(self.format, self.poly_modulus_degree, self.seal_version)


class MetricSeries(models.Model):
    """The values of one metric type under one key epoch.

    Its row is the lock that serializes rollup updates of the series, and it fixes what
    every value must look like (how many slots a ciphertext packs) and which zone's
    calendar the rollups follow (the user's zone when the series started).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="metric_series"
    )
    epoch = models.ForeignKey(PublicContext, on_delete=models.CASCADE, related_name="series")
    metric_type = models.CharField(max_length=64)
    vector_size = models.PositiveIntegerField()
    rollup_timezone = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped in the transaction of every change to the series' metrics, rollups or keys;
    # part of the key of a cached sum, so a cached sum is always that of this version.
    version = models.PositiveBigIntegerField(default=0)

    objects = MetricSeriesQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["epoch", "metric_type"], name="series_epoch_type_unique"
            )
        ]
        indexes = [models.Index(fields=["user", "metric_type"], name="series_user_type_idx")]
        verbose_name_plural = "metric series"

    def __str__(self) -> str:
        return self.metric_type


class EncryptedMetric(models.Model):
    """One uploaded CKKS ciphertext, stored exactly as uploaded."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="encrypted_metrics"
    )
    series = models.ForeignKey(MetricSeries, on_delete=models.CASCADE, related_name="metrics")
    timestamp = models.DateTimeField()
    # NULL means "not tied to a journal entry", which the per-series uniqueness ignores.
    log_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    ciphertext = models.BinaryField()
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "log_id"],
                condition=models.Q(log_id__isnull=False),
                name="metric_series_log_unique",
            )
        ]
        indexes = [
            models.Index(fields=["series", "timestamp"], name="metric_series_time_idx"),
            models.Index(fields=["user", "created_at"], name="metric_user_created_idx"),
        ]

    def __str__(self) -> str:
        return f"metric {self.pk}"


class MetricRollup(models.Model):
    """The encrypted sum and count of a series over one local calendar period.

    Kept in the same transaction as every upload and deletion of the series' metrics, so
    it always equals the sum of the metrics whose timestamps fall in [start, end).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="metric_rollups"
    )
    series = models.ForeignKey(MetricSeries, on_delete=models.CASCADE, related_name="rollups")
    level = models.CharField(max_length=8, choices=[(level.value, level.value) for level in Level])
    period_start = models.DateField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    count = models.PositiveIntegerField()
    ciphertext = models.BinaryField()
    size_bytes = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "level", "period_start"], name="rollup_series_period_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.period_start}"
