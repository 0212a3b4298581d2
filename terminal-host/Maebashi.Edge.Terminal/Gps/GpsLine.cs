using System.IO.Ports;
using Maebashi.Edge.Terminal.Hosting;

namespace Maebashi.Edge.Terminal.Gps;

/// <summary>Opens the GNSS receiver's line: one a code opened (<see cref="TerminalParts.GpsLines"/>), else the serial device.</summary>
public static class GpsLine
{
    public static Stream Open(GpsOptions options, TerminalParts parts)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(parts);
        string device = options.Port ?? throw new InvalidOperationException("Gps:Port is not set");
        if (parts.GpsLines.TryGetValue(device, out Func<Stream>? open))
        {
            return open();
        }

        var port = new SerialPort(device, options.BaudRate, Parity.None, 8, StopBits.One) { ReadTimeout = SerialPort.InfiniteTimeout };
        port.Open();
        return port.BaseStream;
    }
}
