using System.Text;
using System.Text.RegularExpressions;
using Maebashi.Edge.Ingest.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// <c>GET /metrics</c>, unauthenticated: the ingest's meter (<see cref="IngestMetrics"/>) in the Prometheus text
/// format, by OpenTelemetry's Prometheus exporter, configured so the series read exactly as before: no
/// <c>otel_scope_*</c> labels, no <c>target_info</c>, no unit or <c>_total</c> added to the names, no cached scrape.
/// </summary>
public static partial class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>Exports this host's meter only: other ingests in the same process (tests, the demo) have meters of the same name.</summary>
    public static void AddIngestMetrics(this IServiceCollection services, IngestMetrics metrics)
    {
        services.AddSingleton(metrics);
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(IngestMetrics.MeterName)
            .AddView(instrument => ReferenceEquals(instrument.Meter, metrics.Meter) ? null : MetricStreamConfiguration.Drop)
            .AddPrometheusExporter(o =>
            {
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;
                o.DisableTotalNameSuffixForCounters = true;
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
    }

    public static void MapIngestMetrics(this IEndpointRouteBuilder app) =>
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: b =>
        {
            b.Use(WithStoredMetricsAsync);
            b.Use(WithoutEmptyLabelSetsAsync);
        }, optionsName: null);

    /// <summary>
    /// The series that count the store's state (the quarantine, devices' progress) are read from it before each scrape,
    /// so that every worker reports what all of them wrote. A store that cannot answer leaves them as last read: the
    /// worker's own series still come.
    /// </summary>
    private static Task WithStoredMetricsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            context.RequestServices.GetRequiredService<IngestPipeline>().RefreshStoredMetrics();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MetricsEndpoint).FullName!)
                .LogWarning("Metrics of the store not read for this scrape: {Error}", e.Message);
        }

        return next(context);
    }

    /// <summary>
    /// The exporter writes a series without labels as <c>name{} value</c>; Prometheus reads that as <c>name value</c>,
    /// which is how the ingest has always written it and what operators' scripts grep for.
    /// </summary>
    private static async Task WithoutEmptyLabelSetsAsync(HttpContext context, RequestDelegate next)
    {
        Stream body = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = body;
        }

        byte[] text = Encoding.UTF8.GetBytes(EmptyLabelSet().Replace(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), "$1 "));
        context.Response.ContentLength = text.Length;
        await body.WriteAsync(text, context.RequestAborted);
    }

    [GeneratedRegex(@"^([A-Za-z_:][A-Za-z0-9_:]*)\{\} ", RegexOptions.Multiline)]
    private static partial Regex EmptyLabelSet();
}
