using System.Text;

namespace Maebashi.Edge.Emulation.Gps;

/// <summary>A fix as the emulated receiver reports it: WGS84 degrees with the noise in them, speed over ground, course.</summary>
public readonly record struct EmulatedFix(double Lat, double Lon, double SpeedMetresPerSecond, double Bearing);

/// <summary>
/// The noise model of the emulated receiver (docs/gps.md), fixed so that accuracy figures can be compared:
/// each fix at 1 Hz carries an independent Gaussian error of <see cref="Sigma"/> metres on each axis (east,
/// north); every <see cref="DropoutEvery"/> of the drive the receiver loses its fix for <see cref="DropoutLength"/>,
/// starting at a second drawn uniformly within that period; inside the route's tunnel there is no fix. Speed and
/// course are the true ones (a receiver's Doppler speed is far better than its position). The same seed gives
/// the same fixes.
/// </summary>
public sealed record GpsNoise(double Sigma, int Seed)
{
    public static readonly TimeSpan DropoutLength = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DropoutEvery = TimeSpan.FromMinutes(5);

    /// <summary>No noise, no dropouts (the tunnel stays: it is part of the route).</summary>
    public static GpsNoise None { get; } = new(0, 0) { Dropouts = false };

    public bool Dropouts { get; init; } = true;
}

/// <summary>
/// A GNSS receiver on a UART, emulated: it replays a <see cref="GpsDrive"/> as NMEA 0183 (<c>$GPRMC</c> and
/// <c>$GPGGA</c> once a second) with the errors of a <see cref="GpsNoise"/>. Emulated time comes from the
/// injected clock: the drive starts at the clock's time when the receiver is made, and <see cref="Output"/>
/// gives the sentences of the second the clock shows now. Nothing sleeps: a test advances a
/// FakeTimeProvider; <see cref="RunAsync"/> waits on the clock it is given.
/// </summary>
public sealed class EmulatedGpsReceiver
{
    private readonly TimeProvider _time;
    private readonly EmulatedFix?[] _fixes;
    private readonly bool[] _dropped;

    public EmulatedGpsReceiver(GpsDrive drive, GpsNoise noise, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(drive);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(time);
        Drive = drive;
        Noise = noise;
        _time = time;
        Start = time.GetUtcNow();
        Start = new DateTimeOffset(Start.UtcTicks - Start.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        int n = drive.Seconds.Count;
        _dropped = new bool[n];
        _fixes = new EmulatedFix?[n];
        var random = new Random(noise.Seed);
        if (noise.Dropouts)
        {
            int every = (int)GpsNoise.DropoutEvery.TotalSeconds, length = (int)GpsNoise.DropoutLength.TotalSeconds;
            for (int period = 0; period < n; period += every)
            {
                int from = period + random.Next(every - length + 1);
                for (int s = from; s < Math.Min(n, from + length); s++)
                {
                    _dropped[s] = true;
                }
            }
        }

        for (int s = 0; s < n; s++)
        {
            DriveSecond d = drive.Seconds[s];
            // Drawn for every second, fix or not: a dropout does not shift the noise of the seconds after it.
            double east = d.East + Gaussian(random) * noise.Sigma, north = d.North + Gaussian(random) * noise.Sigma;
            if (_dropped[s] || d.InTunnel)
            {
                continue;
            }

            (double lat, double lon) = drive.Frame.ToWgs84(east, north);
            _fixes[s] = new EmulatedFix(lat, lon, d.SpeedMetresPerSecond, d.Bearing);
        }
    }

    public GpsDrive Drive { get; }
    public GpsNoise Noise { get; }

    /// <summary>The UTC second of the drive's first second.</summary>
    public DateTimeOffset Start { get; }

    public int Length => _fixes.Length;

    /// <summary>The reported fix at a second of the drive, null in a tunnel or a dropout.</summary>
    public EmulatedFix? FixAt(int second) => _fixes[second];

    /// <summary>The drive's second the clock shows now, or -1 before the start or after the end.</summary>
    public int SecondNow
    {
        get
        {
            long s = (long)Math.Floor((_time.GetUtcNow() - Start).TotalSeconds);
            return s >= 0 && s < _fixes.Length ? (int)s : -1;
        }
    }

    /// <summary>The bytes the receiver writes for a second of the drive: RMC then GGA.</summary>
    public byte[] SentencesAt(int second) => Encoding.ASCII.GetBytes(NmeaSentenceWriter.Sentences(Start.AddSeconds(second), _fixes[second]));

    /// <summary>The bytes of the second the clock shows now; empty before the start and after the end.</summary>
    public byte[] Output() => SecondNow is >= 0 and int s ? SentencesAt(s) : [];

    /// <summary>Writes each second's sentences to <paramref name="line"/> as the clock reaches it, to the end of the drive.</summary>
    public async Task RunAsync(Stream line, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(line);
        for (int s = 0; s < _fixes.Length; s++)
        {
            TimeSpan wait = Start.AddSeconds(s) - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, ct).ConfigureAwait(false);
            }

            byte[] bytes = SentencesAt(s);
            await line.WriteAsync(bytes, ct).ConfigureAwait(false);
            await line.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
