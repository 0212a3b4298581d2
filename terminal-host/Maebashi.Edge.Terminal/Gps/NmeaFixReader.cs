using System.Text;
using Iot.Device.Nmea0183;
using Iot.Device.Nmea0183.Sentences;

namespace Maebashi.Edge.Terminal.Gps;

/// <summary>
/// The device-reading layer: NMEA 0183 from a GNSS receiver's serial line (or any stream: an emulated
/// receiver, a recording) parsed with Iot.Device.Bindings' <see cref="TalkerSentence"/>. Each <c>RMC</c>
/// gives one <see cref="GpsFix"/>; <c>GGA</c> gives the fix quality and satellites seen. Sentences with a
/// bad checksum and lines longer than NMEA's 82 characters are dropped and counted, never buffered without
/// bound.
/// </summary>
public sealed class NmeaFixReader
{
    /// <summary>NMEA 0183 allows 82 characters with CR LF; some receivers write a little more.</summary>
    public const int MaxLine = 120;

    private readonly byte[] _line = new byte[MaxLine];
    private int _length;
    private bool _overlong;
    private DateTimeOffset _lastTime;

    public NmeaFixReader(DateTimeOffset start) => _lastTime = start;

    /// <summary>Lines dropped: a bad checksum, not NMEA, or too long.</summary>
    public long Rejected { get; private set; }

    /// <summary>Satellites used in the last <c>GGA</c>; 0 without a fix.</summary>
    public int Satellites { get; private set; }

    /// <summary>Feeds bytes as they come off the line; returns the fixes of the RMC sentences they complete.</summary>
    public List<GpsFix> Feed(ReadOnlySpan<byte> bytes)
    {
        var fixes = new List<GpsFix>();
        foreach (byte b in bytes)
        {
            if (b is (byte)'\r' or (byte)'\n')
            {
                if (_overlong)
                {
                    Rejected++;
                }
                else if (_length > 0 && Parse(Encoding.ASCII.GetString(_line, 0, _length)) is { } fix)
                {
                    fixes.Add(fix);
                }

                _length = 0;
                _overlong = false;
            }
            else if (_length < MaxLine)
            {
                _line[_length++] = b;
            }
            else
            {
                _overlong = true;
            }
        }

        return fixes;
    }

    /// <summary>Reads the stream to its end (or cancellation), handing each fix on as it comes.</summary>
    public async Task ReadAsync(Stream line, Action<GpsFix> onFix, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(onFix);
        byte[] buffer = new byte[256];
        int n;
        while ((n = await line.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            foreach (GpsFix fix in Feed(buffer.AsSpan(0, n)))
            {
                onFix(fix);
            }
        }
    }

    private GpsFix? Parse(string text)
    {
        if (TalkerSentence.FromSentenceString(text, out NmeaError error) is not { } sentence || error != NmeaError.None)
        {
            Rejected++;
            return null;
        }

        switch (sentence.TryGetTypedValue(ref _lastTime))
        {
            case RecommendedMinimumNavigationInformation rmc:
                DateTimeOffset at = rmc.DateTime != default ? rmc.DateTime : _lastTime;
                _lastTime = at;
                return rmc.Valid && rmc.Status == NavigationStatus.Valid
                    ? new GpsFix(at, true, rmc.Position.Latitude, rmc.Position.Longitude, rmc.SpeedOverGround.MetersPerSecond, rmc.TrackMadeGoodInDegreesTrue.Degrees)
                    : GpsFix.None(at);
            case GlobalPositioningSystemFixData gga:
                Satellites = gga.Valid && gga.Status != GpsQuality.NoFix ? gga.NumberOfSatellites : 0;
                return null;
            default:
                return null;
        }
    }
}
