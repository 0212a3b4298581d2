using System.Globalization;
using Maebashi.Edge.Ingest;
using Maebashi.Edge.Ingest.Hosting;
using Maebashi.Edge.Ingest.Store.Postgres;

namespace Maebashi.Edge.Demo;

/// <summary>What <c>maebashi-edge demo</c> is given; checked in <see cref="Validate"/>.</summary>
public sealed class DemoOptions
{
    /// <summary>How long the fleet runs; null runs until Ctrl+C.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>How fast the scenario moves: stops, passengers and visits come this many times as often.</summary>
    public double Speed { get; init; } = 1;

    /// <summary><c>embedded</c> (the ingest's MQTTnet broker) or <c>mosquitto</c> (Debian's, started by the demo).</summary>
    public string Broker { get; init; } = "embedded";

    /// <summary>
    /// The ingest's store: <c>litedb</c> in the demo's temporary folder, or a PostgreSQL database as
    /// <c>postgresql://USER[:PASS]@HOST[:PORT]/DB</c> (<c>ingest run --store</c>), which the demo writes into and leaves.
    /// </summary>
    public string Store { get; init; } = IngestStoreOption.LiteDb;

    /// <summary>The HTTP API's port on 127.0.0.1; 0 picks a free one.</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>A registry to derive the demo's from; the built-in sample when null.</summary>
    public string? Registry { get; init; }

    /// <summary>Seconds between live lines.</summary>
    public TimeSpan LiveEvery { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Keep the temporary data folder after the demo (it is deleted otherwise).</summary>
    public bool Keep { get; init; }

    public void Validate()
    {
        if (Duration is { } d && (d < TimeSpan.FromSeconds(10) || d > TimeSpan.FromDays(7)))
        {
            throw new ArgumentException($"--duration: expected 10s to 7d, got {d}");
        }

        if (Speed is < 0.1 or > 20 || double.IsNaN(Speed))
        {
            throw new ArgumentException($"--speed: expected 0.1 to 20, got {Speed.ToString(CultureInfo.InvariantCulture)}");
        }

        if (Broker is not ("embedded" or "mosquitto"))
        {
            throw new ArgumentException($"--broker: expected embedded or mosquitto, got '{Broker}'");
        }

        try
        {
            // The ingest's own rule for --store (its message never names a password); only the store is read.
            IngestStoreOption.PostgresSettings(new IngestOptions { RegistryPath = "", Store = Store }, pgPassFile: null);
        }
        catch (StoreOptionException e)
        {
            throw new ArgumentException($"{e.Option}: {e.Problem}", e);
        }

        if (HttpPort is < 0 or > 65535)
        {
            throw new ArgumentException($"--http-port: expected 0–65535, got {HttpPort}");
        }
    }

    /// <summary>Parses durations like <c>90s</c>, <c>5m</c>, <c>1h</c>, <c>1h30m</c> or <c>00:01:30</c>.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan ts) && text.Contains(':', StringComparison.Ordinal))
        {
            return ts;
        }

        TimeSpan total = TimeSpan.Zero;
        int i = 0;
        bool any = false;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (start == i || i == text.Length)
            {
                throw new FormatException($"--duration: expected e.g. 90s, 5m or 1h30m, got '{text}'");
            }

            int n = int.Parse(text.AsSpan(start, i - start), CultureInfo.InvariantCulture);
            total += text[i++] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => throw new FormatException($"--duration: unknown unit '{text[i - 1]}' in '{text}' (s, m, h, d)"),
            };
            any = true;
        }

        return any ? total : throw new FormatException($"--duration: expected e.g. 90s, 5m or 1h30m, got '{text}'");
    }
}
