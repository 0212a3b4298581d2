namespace Maebashi.Edge.Terminal.Gps;

/// <summary>
/// The GNSS receiver of a bus terminal (docs/gps.md): NMEA 0183 on a serial port. Without <see cref="Port"/> there is
/// no GPS, and the route and stop come from the control socket alone.
/// </summary>
public sealed class GpsOptions
{
    /// <summary>The serial device, e.g. <c>/dev/serial0</c> (the Pi's UART on GPIO 14/15); absent: no GPS.</summary>
    public string? Port { get; set; }

    /// <summary>The receiver's baud rate: 9600 for most modules (u-blox NEO-6M/M8N, MediaTek), some ship at 4800 or 38400.</summary>
    public int BaudRate { get; set; } = 9600;

    public static readonly IReadOnlyList<int> BaudRates = [4800, 9600, 19200, 38400, 57600, 115200];
}
