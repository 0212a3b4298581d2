using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>Counters behind <c>/metrics</c> (Prometheus text exposition format 0.0.4).</summary>
public sealed class IngestMetrics(TimeProvider time)
{
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);

    private readonly Lock _rateLock = new();
    private readonly Queue<(long Ticks, int Events)> _recent = new();
    private readonly ConcurrentDictionary<string, ulong> _deviceSeq = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _deviceBacklog = new(StringComparer.Ordinal);
    private long _applied;
    private long _duplicate;
    private long _rejected;
    private long _batches;
    private long _quarantine;
    private long _lastBatchMicros;
    private long _lagMillis;

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
            _recent.Enqueue((time.GetUtcNow().UtcTicks, results.Count));
            Trim();
        }
    }

    public void AddQuarantined(int n) => Interlocked.Add(ref _quarantine, n);

    public void SetQuarantineCount(long n) => Interlocked.Exchange(ref _quarantine, n);

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
        long cutoff = time.GetUtcNow().UtcTicks - RateWindow.Ticks;
        while (_recent.Count > 0 && _recent.Peek().Ticks < cutoff)
        {
            _recent.Dequeue();
        }
    }

    public string Render()
    {
        var sb = new StringBuilder();
        Metric(sb, "maebashi_ingest_events_total", "counter", "Events settled, by status.");
        Line(sb, "maebashi_ingest_events_total{status=\"applied\"}", Interlocked.Read(ref _applied));
        Line(sb, "maebashi_ingest_events_total{status=\"duplicate\"}", Interlocked.Read(ref _duplicate));
        Line(sb, "maebashi_ingest_events_total{status=\"rejected\"}", Interlocked.Read(ref _rejected));
        Metric(sb, "maebashi_ingest_batches_total", "counter", "Batches processed and acknowledged.");
        Line(sb, "maebashi_ingest_batches_total", Interlocked.Read(ref _batches));
        Metric(sb, "maebashi_ingest_events_per_second", "gauge", "Events settled per second over the last 10 s.");
        Line(sb, "maebashi_ingest_events_per_second", EventsPerSecond());
        Metric(sb, "maebashi_ingest_processing_lag_seconds", "gauge", "Age of the newest event of the last batch when it was committed (event time to commit).");
        Line(sb, "maebashi_ingest_processing_lag_seconds", Interlocked.Read(ref _lagMillis) / 1000.0);
        Metric(sb, "maebashi_ingest_batch_duration_seconds", "gauge", "Time the last batch took from receipt to durable commit.");
        Line(sb, "maebashi_ingest_batch_duration_seconds", Interlocked.Read(ref _lastBatchMicros) / 1_000_000.0);
        Metric(sb, "maebashi_ingest_quarantine", "gauge", "Quarantined batches and events held for operators.");
        Line(sb, "maebashi_ingest_quarantine", Interlocked.Read(ref _quarantine));
        Metric(sb, "maebashi_ingest_device_last_seq", "gauge", "Highest seq settled per device (the ack's upTo).");
        foreach ((string d, ulong s) in _deviceSeq.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Line(sb, $"maebashi_ingest_device_last_seq{{device=\"{Escape(d)}\"}}", s);
        }

        Metric(sb, "maebashi_ingest_device_backlog", "gauge", "Events waiting in the device's ledger, as its last status reported.");
        foreach ((string d, long b) in _deviceBacklog.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Line(sb, $"maebashi_ingest_device_backlog{{device=\"{Escape(d)}\"}}", b);
        }

        return sb.ToString();
    }

    private static void Metric(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder sb, string series, double value) =>
        sb.Append(series).Append(' ').Append(value.ToString("0.######", CultureInfo.InvariantCulture)).Append('\n');

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
