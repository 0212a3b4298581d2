using System.Globalization;
using System.Security;
using System.Text;

namespace Maebashi.Edge.Hardware;

/// <summary>Draws a pin map as an SVG wiring diagram: the board's GPIOs on the left, each device's pins on the right, one
/// coloured wire per signal (SPI blue, I²C green, UART orange, PWM purple, plain GPIO grey), supply rails listed below.</summary>
public static class WiringDiagram
{
    private const int Row = 26;
    private const int Top = 70;
    private const int BoardX = 30;
    private const int BoardWidth = 250;
    private const int DeviceX = 560;
    private const int DeviceWidth = 300;

    public static string Render(PinMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var devices = map.Signals.Select(s => s.Device).Concat(map.Power.Select(p => p.Device)).Distinct().ToList();

        // Device pin rows: each device a box, its signal pins in file order, a gap between devices.
        var devicePinY = new Dictionary<(string, string), int>();
        var deviceBoxes = new List<(string Name, int Y, int Height)>();
        int y = Top;
        foreach (string device in devices)
        {
            var pins = map.Signals.Where(s => s.Device == device).Select(s => s.DevicePin)
                .Concat(map.Power.Where(p => p.Device == device).Select(p => p.DevicePin)).ToList();
            int start = y;
            y += Row;
            foreach (string pin in pins)
            {
                devicePinY[(device, pin)] = y;
                y += Row;
            }

            deviceBoxes.Add((device, start, y - start));
            y += Row / 2;
        }

        int boardHeight = (map.Signals.Count + 1) * Row;
        int height = Math.Max(y, Top + boardHeight) + 40;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"{height}\" viewBox=\"0 0 900 {height}\" font-family=\"monospace\" font-size=\"12\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"30\" y=\"30\" font-size=\"16\" font-weight=\"bold\">{X(map.Title)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"30\" y=\"50\" fill=\"#555\">generated from hardware/pinmaps ({X(map.Board)}); edit the pin map, not this file</text>\n");

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{BoardX}\" y=\"{Top}\" width=\"{BoardWidth}\" height=\"{boardHeight}\" fill=\"#eef3f8\" stroke=\"black\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{BoardX + 8}\" y=\"{Top + 17}\" font-weight=\"bold\">{X(map.Board)}</text>\n");
        for (int i = 0; i < map.Signals.Count; i++)
        {
            PinSignal s = map.Signals[i];
            int py = Top + ((i + 1) * Row) + 13;
            string colour = Colour(s.Function);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{BoardX + 8}\" y=\"{py + 4}\">GPIO {s.Gpio,-2} {X(s.Function)}{(s.BootLevel is null ? "" : $" (boot {X(s.BootLevel)})")}</text>\n");
            int dy = devicePinY[(s.Device, s.DevicePin)] + 13;
            svg.Append(CultureInfo.InvariantCulture, $"<path d=\"M {BoardX + BoardWidth} {py} C {BoardX + BoardWidth + 140} {py}, {DeviceX - 140} {dy}, {DeviceX} {dy}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{BoardX + BoardWidth}\" cy=\"{py}\" r=\"3\" fill=\"{colour}\"/><circle cx=\"{DeviceX}\" cy=\"{dy}\" r=\"3\" fill=\"{colour}\"/>\n");
        }

        foreach ((string name, int boxY, int boxHeight) in deviceBoxes)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{DeviceX}\" y=\"{boxY}\" width=\"{DeviceWidth}\" height=\"{boxHeight}\" fill=\"#f8f4ea\" stroke=\"black\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{DeviceX + 8}\" y=\"{boxY + 17}\" font-weight=\"bold\">{X(name)}</text>\n");
        }

        foreach (((string device, string pin), int pinY) in devicePinY)
        {
            PowerConnection? power = map.Power.FirstOrDefault(p => p.Device == device && p.DevicePin == pin);
            string label = power is null ? pin : $"{pin} → {power.Rail}";
            string fill = power is null ? "black" : power.Rail == "GND" ? "#333" : "#b00";
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{DeviceX + 12}\" y=\"{pinY + 17}\" fill=\"{fill}\">{X(label)}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"30\" y=\"{height - 14}\" fill=\"#555\">blue SPI · green I²C · orange UART/RS-485 · purple PWM · grey GPIO · red supply rail</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Colour(string function) =>
        function.StartsWith("spi", StringComparison.Ordinal) ? "#1f5fbf"
        : function.StartsWith("i2c", StringComparison.Ordinal) ? "#2e8b3e"
        : function.StartsWith("uart", StringComparison.Ordinal) ? "#d9822b"
        : function.StartsWith("pwm", StringComparison.Ordinal) ? "#7b3fa0"
        : "#777777";

    private static string X(string text) => SecurityElement.Escape(text) ?? "";
}
