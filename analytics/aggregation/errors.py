"""What an aggregate answers when nothing is stored to sum."""

from analytics.messages import AnalyticsMessages as Msg
from reflective.errors import ApiError


def no_metrics() -> ApiError:
    return ApiError("no_metrics", Msg.NO_METRICS, status=404)
