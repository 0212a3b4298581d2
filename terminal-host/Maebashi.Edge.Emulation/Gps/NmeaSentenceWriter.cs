using System.Globalization;
using System.Text;

namespace Maebashi.Edge.Emulation.Gps;

/// <summary>
/// NMEA 0183 sentences as a GNSS receiver writes them on its UART: <c>$GPRMC</c> and <c>$GPGGA</c>, each with
/// its checksum (XOR of the characters between <c>$</c> and <c>*</c>) and CR LF. Written by hand, not by the
/// binding the terminal parses them with, so that the parser is tested against bytes of another origin.
/// </summary>
public static class NmeaSentenceWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One fix (or, with <paramref name="fix"/> null, the receiver's "no fix" pair) at a UTC second.</summary>
    public static string Sentences(DateTimeOffset at, EmulatedFix? fix)
    {
        DateTimeOffset utc = at.ToUniversalTime();
        string time = utc.ToString("HHmmss.ff", Inv);
        string date = utc.ToString("ddMMyy", Inv);
        if (fix is not { } f)
        {
            return Sentence($"GPRMC,{time},V,,,,,,,{date},,,N") + Sentence($"GPGGA,{time},,,,,0,00,99.99,,,,,,");
        }

        string lat = Coordinate(f.Lat, 2, 'N', 'S');
        string lon = Coordinate(f.Lon, 3, 'E', 'W');
        double knots = f.SpeedMetresPerSecond * 3600 / 1852;
        string rmc = string.Create(Inv, $"GPRMC,{time},A,{lat},{lon},{knots:0.00},{f.Bearing:0.0},{date},,,A");
        string gga = string.Create(Inv, $"GPGGA,{time},{lat},{lon},1,08,1.0,120.0,M,39.0,M,,");
        return Sentence(rmc) + Sentence(gga);
    }

    /// <summary><c>$BODY*CS\r\n</c>.</summary>
    public static string Sentence(string body)
    {
        byte sum = 0;
        foreach (char c in body)
        {
            sum ^= (byte)c;
        }

        return string.Create(Inv, $"${body}*{sum:X2}\r\n");
    }

    /// <summary>Degrees and decimal minutes, <c>ddmm.mmmmm,N</c> (latitude) or <c>dddmm.mmmmm,E</c> (longitude).</summary>
    private static string Coordinate(double degrees, int width, char positive, char negative)
    {
        double a = Math.Abs(degrees);
        int whole = (int)a;
        double minutes = Math.Round((a - whole) * 60, 5);
        if (minutes >= 60)
        {
            whole++;
            minutes -= 60;
        }

        var s = new StringBuilder();
        s.Append(whole.ToString(new string('0', width), Inv));
        s.Append(minutes.ToString("00.00000", Inv));
        s.Append(',').Append(degrees < 0 ? negative : positive);
        return s.ToString();
    }
}
