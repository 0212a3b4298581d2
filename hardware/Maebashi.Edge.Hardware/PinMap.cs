using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maebashi.Edge.Hardware;

/// <summary>One board's wiring: which GPIO goes to which device pin, and the power rails.</summary>
public sealed class PinMap
{
    /// <summary>Board id, e.g. <c>esp32-devkitc</c>, <c>raspberrypi-4-5</c>.</summary>
    public string Board { get; set; } = "";

    /// <summary><c>esp32</c> or <c>raspberrypi</c>: which routing and boot rules apply.</summary>
    public string Kind { get; set; } = "";

    public string Title { get; set; } = "";

    public List<PinSignal> Signals { get; set; } = [];

    public List<PowerConnection> Power { get; set; } = [];

    /// <summary>The GPIO wired to a device pin (first whose device and pin name start as given), or null.</summary>
    public int? Gpio(string device, string devicePinPrefix) =>
        Signals.FirstOrDefault(s => string.Equals(s.Device, device, StringComparison.OrdinalIgnoreCase)
            && s.DevicePin.StartsWith(devicePinPrefix, StringComparison.OrdinalIgnoreCase))?.Gpio;
}

/// <summary>A GPIO and what it is wired to.</summary>
public sealed class PinSignal
{
    public int Gpio { get; set; } = -1;

    /// <summary><c>gpio</c>, <c>pwmN</c>, or a bus function: <c>spi.sclk</c>, <c>spi0.ce0</c>, <c>i2c1.sda</c>, <c>uart2.tx</c>…</summary>
    public string Function { get; set; } = "";

    /// <summary><c>in</c>, <c>out</c> or <c>bidir</c> (seen from the board).</summary>
    public string Direction { get; set; } = "";

    /// <summary>The level the wiring holds the pin at while the board resets: <c>high</c>, <c>low</c> or <c>float</c>.
    /// Required on strapping pins.</summary>
    public string? BootLevel { get; set; }

    public string Device { get; set; } = "";

    public string DevicePin { get; set; } = "";

    public bool IsOutput => Direction is "out" or "bidir";
}

/// <summary>A device's supply pin on a rail (3V3, 5V, GND).</summary>
public sealed class PowerConnection
{
    public string Device { get; set; } = "";

    public string DevicePin { get; set; } = "";

    public string Rail { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, WriteIndented = true)]
[JsonSerializable(typeof(PinMap))]
internal sealed partial class PinMapJson : JsonSerializerContext;

/// <summary>Reads pin-map files.</summary>
public static class PinMapLoader
{
    public static PinMap Load(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    /// <summary>Parses a pin map; a file that is not one throws <see cref="PinMapException"/> naming the file and the problem.</summary>
    public static PinMap Parse(Stream json, string name)
    {
        try
        {
            return JsonSerializer.Deserialize(json, PinMapJson.Default.PinMap) ?? throw new PinMapException($"{name}: empty document");
        }
        catch (JsonException e)
        {
            throw new PinMapException($"{name}: not a pin map: {e.Message}");
        }
    }

    /// <summary>The shipped pin maps: hardware/pinmaps/*.json under <paramref name="repositoryRoot"/>.</summary>
    public static IReadOnlyList<string> ShippedFiles(string repositoryRoot) =>
        [.. Directory.GetFiles(Path.Combine(repositoryRoot, "hardware", "pinmaps"), "*.json").Order(StringComparer.Ordinal)];
}

public sealed class PinMapException(string message) : Exception(message);
