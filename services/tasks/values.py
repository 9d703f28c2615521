"""ValueService: samples of task values and of Ux strings, and PNG plots.

Samples of a Reference-core value are the ones the run produced (stored by
the worker, paged with a continuation token); a distributional value (a Ux
string) is sampled on request the way the `signaloid` package's sample
generator does (engine/ux.py). Plots are drawn with the package's plotting
code (matplotlib, Agg) and kept as blobs, served by GetPlot.
"""
from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from google.api import httpbody_pb2

from engine import ux as uxfmt
from penumbra.v1 import tasks_pb2, tasks_pb2_grpc
from services.common import errors, identity, ids
from services.common.blobs import BlobNotFound
from services.common.urltokens import signed_url

from .context import Ctx, log_event, plot_key, samples_key
from .models import Plot, TaskValue

DEFAULT_COUNT = 1000
MAX_COUNT = 100_000
# Bins of a plot unless fullResolution (then: twice the Diracs, at most 1024, as
# the package chooses); a power of two, as the package requires.
DEFAULT_PLOT_BINS = 64
_plot_lock = threading.Lock()   # pyplot keeps global state


def _count(request) -> int:
    count = request.count if request.HasField("count") else DEFAULT_COUNT
    if count > MAX_COUNT:
        raise errors.InvalidArgument(f"count={count} is above the limit of {MAX_COUNT}: ask for fewer and "
                                     f"page with ContinuationToken", field="count")
    return count


def _parse_ux(text: str) -> uxfmt.UxValue:
    text = text.strip()
    if not text:
        raise errors.InvalidArgument("send the Ux string in the body as {\"payload\": \"<Ux string>\"}",
                                     field="payload")
    try:
        return uxfmt.decode(text)
    except (uxfmt.UxFormatError, ValueError) as exc:
        raise errors.InvalidArgument(f"payload is not a Ux string ({exc}): send a value as the task printed "
                                     f"it, e.g. 1.5Ux0400…", field="payload") from None


class ValueService(tasks_pb2_grpc.ValueServiceServicer):
    def __init__(self, ctx: Ctx):
        self.ctx = ctx

    def _own_value(self, user: str, task_id: str, value_id: str) -> TaskValue:
        with self.ctx.db.session() as s:
            self.ctx.own_task(s, task_id, user)
            value = s.get(TaskValue, value_id) if ids.is_id("value", value_id) else None
            if value is None or value.task_id != task_id or value.owner != user:
                raise errors.NotFound(f"value {value_id!r} not found in task {task_id}", ValueID=value_id)
            return value

    # ---------------------------------------------------------------- samples
    def GetValueSamples(self, request, context):
        user = identity.require_user()
        count = _count(request)
        value = self._own_value(user, request.task_id, request.value_id)
        if not value.sample_count:
            if not value.ux:
                raise errors.Conflict(f"value {value.id} has no distribution to sample")
            return self._from_ux(uxfmt.decode(value.ux), count)
        token = request.continuation_token or "0"
        if not token.isdigit() or int(token) >= value.sample_count:
            raise errors.InvalidArgument(f"continuationToken {request.continuation_token!r} is not one this "
                                         f"value handed out", field="continuationToken")
        offset = int(token)
        take = min(count, value.sample_count - offset)
        try:
            with self.ctx.blobs.open(samples_key(value.task_id, value.id)) as f:
                f.seek(offset * 8)
                samples = np.frombuffer(f.read(take * 8), dtype="<f8")
        except BlobNotFound:
            raise errors.NotFound(f"the samples of value {value.id} are gone") from None
        reply = tasks_pb2.SamplesResponse(samples=samples.tolist(), count=len(samples))
        if offset + take < value.sample_count and count:
            reply.continuation_token = str(offset + take)
        return reply

    def SamplesFromUx(self, request, context):
        identity.require_user()
        count = _count(request)
        return self._from_ux(_parse_ux(request.payload or request.ux_value), count)

    @staticmethod
    def _from_ux(value: uxfmt.UxValue, count: int):
        samples = value.sample(count) if count else np.empty(0)
        return tasks_pb2.SamplesResponse(samples=samples.tolist(), count=len(samples))

    # ------------------------------------------------------------------ plots
    def PlotValue(self, request, context):
        user = identity.require_user()
        return self._plot_task_value(context, user, request.task_id, request.value_id, request)

    def PlotTaskValue(self, request, context):
        user = identity.require_user()
        return self._plot_task_value(context, user, request.task_id, request.value_id, request)

    def PlotUx(self, request, context):
        user = identity.require_user()
        text = request.payload or request.ux_value
        if not text and (request.task_id or request.value_id):
            return self._plot_task_value(context, user, request.task_id, request.value_id, request)
        return self._save_plot(context, user, _plot_data_ux(_parse_ux(text)), request)

    def _plot_task_value(self, context, user, task_id, value_id, options):
        if not task_id or not value_id:
            raise errors.InvalidArgument("give both taskID and valueID of the value to plot", field="valueID")
        value = self._own_value(user, task_id, value_id)
        if value.sample_count:
            try:
                raw = self.ctx.blobs.get(samples_key(value.task_id, value.id))
            except BlobNotFound:
                raise errors.NotFound(f"the samples of value {value.id} are gone") from None
            data = _plot_data_samples(np.frombuffer(raw, dtype="<f8"))
        elif value.ux:
            data = _plot_data_ux(uxfmt.decode(value.ux))
        else:
            raise errors.Conflict(f"value {value.id} has no distribution to plot")
        return self._save_plot(context, user, data, options, task_id=task_id, value_id=value_id)

    def _save_plot(self, context, user, plot_data, options, task_id: str = "", value_id: str = ""):
        png = _render(plot_data, options)
        plot_id = ids.new_id("plot")
        self.ctx.blobs.put(plot_key(plot_id), png)
        with self.ctx.db.session() as s:
            s.add(Plot(id=plot_id, owner=user, created_at=int(time.time()), task_id=task_id, value_id=value_id))
        log_event("plot made", plot_id=plot_id, task_id=task_id, value_id=value_id, bytes=len(png))
        return tasks_pb2.PlotResponse(plot_id=plot_id, plot_id_text=plot_id,
                                      presigned_url=signed_url(self.ctx.settings, f"/plots/{plot_id}", user))

    def GetPlot(self, request, context):
        user = identity.require_user()
        with self.ctx.db.session() as s:
            plot = s.get(Plot, request.plot_id) if ids.is_id("plot", request.plot_id) else None
            if plot is None or plot.owner != user:
                raise errors.NotFound(f"plot {request.plot_id!r} not found", PlotID=request.plot_id)
        try:
            png = self.ctx.blobs.get(plot_key(plot.id))
        except BlobNotFound:
            raise errors.NotFound(f"plot {plot.id} not found") from None
        return httpbody_pb2.HttpBody(content_type="image/png", data=png)


# ---------------------------------------------------------------- drawing
def _plot_data_ux(value: uxfmt.UxValue):
    from signaloid.distributional.distributional import DistributionalValue
    return DistributionalValue.parse(value.to_bytes())


def _plot_data_samples(samples: np.ndarray):
    from signaloid.distributional.distributional import DistributionalValue
    if samples.size == 0:
        raise errors.Conflict("the value has no samples to plot")
    return DistributionalValue.from_samples(samples)


def _limits(options, lo: str, hi: str):
    has_lo, has_hi = options.HasField(lo), options.HasField(hi)
    if has_lo != has_hi:
        raise errors.InvalidArgument(f"give both {lo} and {hi}, or neither", field=lo)
    if not has_lo:
        return None
    a, b = getattr(options, lo), getattr(options, hi)
    if not a < b:
        raise errors.InvalidArgument(f"{lo} must be below {hi}", field=lo)
    return (a, b)


def _render(dist, options) -> bytes:
    """The PNG of a distribution, drawn as the signaloid package's plot_wrapper draws it."""
    xlim = _limits(options, "x_lim_min", "x_lim_max")
    ylim = _limits(options, "y_lim_min", "y_lim_max")
    import matplotlib
    matplotlib.use("Agg")
    from signaloid.distributional_information_plotting.plot_histogram_dirac_deltas import PlotData
    from signaloid.distributional_information_plotting.plot_wrapper import plot
    try:
        data = PlotData(dist, plotting_resolution=None if options.full_resolution else DEFAULT_PLOT_BINS)
    except ValueError as exc:
        raise errors.InvalidArgument(f"this distribution cannot be plotted: {exc}") from None
    with _plot_lock, tempfile.TemporaryDirectory(prefix="penumbra-plot-") as tmp:
        path = Path(tmp) / "plot.png"
        plot(data, path=str(path), save=True, xlim=xlim, ylim=ylim, x_label=options.x_axis_label or None)
        return path.read_bytes()


def warm_up() -> None:
    """Imports matplotlib and the plotting code ahead of the first plot request."""
    import matplotlib
    matplotlib.use("Agg")
    import signaloid.distributional_information_plotting.plot_wrapper  # noqa: F401
