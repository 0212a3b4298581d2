using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.CardAuth;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>
/// The ingest's counters and gauges as a <see cref="System.Diagnostics.Metrics.Meter"/>, exported at <c>/metrics</c>
/// by OpenTelemetry's Prometheus exporter. The instrument names are the Prometheus names operators'
/// dashboards and alerts already use (docs/ingest.md), so they carry their <c>_total</c>/<c>_seconds</c>
/// suffixes themselves and declare no unit the exporter would append again.
/// </summary>
public sealed class IngestMetrics : IDisposable
{
    /// <summary>The meter's name, the one the exporter listens to.</summary>
    public const string MeterName = "Maebashi.Edge.Ingest";

    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;

    private readonly Lock _rateLock = new();
    private readonly Queue<(long Ticks, int Events)> _recent = new();
    private readonly ConcurrentDictionary<string, ulong> _deviceSeq = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _deviceBacklog = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _cardReadsRefused = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Device, string Code), long> _quarantineDropped = new();
    private long _applied;
    private long _duplicate;
    private long _rejected;
    private long _batches;
    private long _quarantine;
    private long _lastBatchMicros;
    private long _lagMillis;
    private long _travelReviews;
    private JpkiTrust? _jpki;

    /// <param name="meters">The host's meter factory; a meter of its own when null (pipeline tests).</param>
    public IngestMetrics(TimeProvider time, IMeterFactory? meters = null)
    {
        _time = time;
        Meter = meters?.Create(MeterName) ?? new Meter(MeterName);

        // Observable instruments read the same fields the pipeline updates, so every series (each status,
        // each device heard from) is present from the first scrape on, as it was before the exporter.
        Meter.CreateObservableCounter("maebashi_ingest_events_total", () => new[]
        {
            new Measurement<long>(Interlocked.Read(ref _applied), new KeyValuePair<string, object?>("status", "applied")),
            new Measurement<long>(Interlocked.Read(ref _duplicate), new KeyValuePair<string, object?>("status", "duplicate")),
            new Measurement<long>(Interlocked.Read(ref _rejected), new KeyValuePair<string, object?>("status", "rejected")),
        }, description: "Events settled, by status.");
        Meter.CreateObservableCounter("maebashi_ingest_batches_total", () => Interlocked.Read(ref _batches),
            description: "Batches processed and acknowledged.");
        Meter.CreateObservableGauge("maebashi_ingest_events_per_second", EventsPerSecond,
            description: "Events settled per second over the last 10 s.");
        Meter.CreateObservableGauge("maebashi_ingest_processing_lag_seconds", () => Interlocked.Read(ref _lagMillis) / 1000.0,
            description: "Age of the newest event of the last batch when it was committed (event time to commit).");
        Meter.CreateObservableGauge("maebashi_ingest_batch_duration_seconds", () => Interlocked.Read(ref _lastBatchMicros) / 1_000_000.0,
            description: "Time the last batch took from receipt to durable commit.");
        Meter.CreateObservableGauge("maebashi_ingest_quarantine", () => Interlocked.Read(ref _quarantine),
            description: "Quarantined batches and events held for operators.");
        Meter.CreateObservableCounter("maebashi_ingest_quarantine_dropped_total",
            () => _quarantineDropped.Select(kv => new Measurement<long>(kv.Value,
                new KeyValuePair<string, object?>("device", kv.Key.Device), new KeyValuePair<string, object?>("code", kv.Key.Code))),
            description: "Refused batches and events past the quarantine's limits, counted but not kept, by device and reason code.");
        Meter.CreateObservableGauge("maebashi_ingest_device_last_seq",
            () => _deviceSeq.Select(kv => new Measurement<long>((long)kv.Value, new KeyValuePair<string, object?>("device", kv.Key))),
            description: "Highest seq settled per device (the ack's upTo).");
        Meter.CreateObservableGauge("maebashi_ingest_device_backlog",
            () => _deviceBacklog.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("device", kv.Key))),
            description: "Events waiting in the device's ledger, as its last status reported.");
        Meter.CreateObservableCounter("maebashi_ingest_travel_reviews_total", () => Interlocked.Read(ref _travelReviews),
            description: "Pairs of one card's taps too far apart for the time between them, flagged for review.");
        Meter.CreateObservableCounter("maebashi_ingest_card_reads_refused_total",
            () => _cardReadsRefused.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("code", kv.Key))),
            description: "Reads of authenticated cards refused at intake, by code (UnauthenticatedRead, Clone, UnknownKeyVersion, and the Jpki* codes of My Number cards).");
        Meter.CreateObservableGauge("maebashi_ingest_jpki_crl_next_update_seconds", JpkiCrlNextUpdate,
            description: "Seconds until the JPKI CRL's next update (negative once past it: My Number cards are refused); absent without --jpki-crl.");
        Meter.CreateObservableGauge("maebashi_ingest_jpki_crl_expiring", JpkiCrlExpiring,
            description: "1 when the JPKI CRL is within a day of its next update or past it (replace the file), else 0; absent without --jpki-crl.");
    }

    /// <summary>Reports the CRL of <paramref name="jpki"/> from now on.</summary>
    public void ObserveJpkiCrl(JpkiTrust jpki) => _jpki = jpki;

    private IEnumerable<Measurement<double>> JpkiCrlNextUpdate()
    {
        if (_jpki?.Crl?.NextUpdate is { } next)
        {
            yield return new Measurement<double>(Math.Round((next - _time.GetUtcNow()).TotalSeconds));
        }
    }

    private IEnumerable<Measurement<int>> JpkiCrlExpiring()
    {
        if (_jpki?.StateAt(_time.GetUtcNow()) is { } state and not JpkiCrlState.NotConfigured)
        {
            yield return new Measurement<int>(state is JpkiCrlState.ExpiresSoon or JpkiCrlState.Outdated ? 1 : 0);
        }
    }

    public Meter Meter { get; }

    public long Applied => Interlocked.Read(ref _applied);

    public void RecordBatch(IReadOnlyList<EventResult> results, TimeSpan processing, TimeSpan? lag)
    {
        int applied = 0, duplicate = 0, rejected = 0;
        foreach (EventResult r in results)
        {
            switch (r.Status)
            {
                case ResultStatus.Applied: applied++; break;
                case ResultStatus.Duplicate: duplicate++; break;
                default: rejected++; break;
            }
        }

        Interlocked.Add(ref _applied, applied);
        Interlocked.Add(ref _duplicate, duplicate);
        Interlocked.Add(ref _rejected, rejected);
        Interlocked.Increment(ref _batches);
        Interlocked.Exchange(ref _lastBatchMicros, (long)processing.TotalMicroseconds);
        if (lag is { } l)
        {
            Interlocked.Exchange(ref _lagMillis, (long)Math.Max(0, l.TotalMilliseconds));
        }

        lock (_rateLock)
        {
            _recent.Enqueue((_time.GetUtcNow().UtcTicks, results.Count));
            Trim();
        }
    }

    public void TravelReviewed(int n) => Interlocked.Add(ref _travelReviews, n);

    public void CardReadRefused(string code) => _cardReadsRefused.AddOrUpdate(code, 1, (_, n) => n + 1);

    /// <summary>The records the store's quarantine holds (every worker's).</summary>
    public void SetQuarantineCount(long n) => Interlocked.Exchange(ref _quarantine, n);

    /// <summary>The refusals of the device and code the store's quarantine only counted (every worker's, across restarts).</summary>
    public void SetQuarantineDropped(string device, string code, long n) => _quarantineDropped[(device, code)] = n;

    public void SetDeviceSeq(string device, ulong seq) => _deviceSeq[device] = seq;

    public void SetDeviceBacklog(string device, long backlog) => _deviceBacklog[device] = backlog;

    /// <summary>Events per second over the last 10 seconds.</summary>
    public double EventsPerSecond()
    {
        lock (_rateLock)
        {
            Trim();
            return _recent.Sum(r => r.Events) / RateWindow.TotalSeconds;
        }
    }

    private void Trim()
    {
        long cutoff = _time.GetUtcNow().UtcTicks - RateWindow.Ticks;
        while (_recent.Count > 0 && _recent.Peek().Ticks < cutoff)
        {
            _recent.Dequeue();
        }
    }

    public void Dispose() => Meter.Dispose();
}
