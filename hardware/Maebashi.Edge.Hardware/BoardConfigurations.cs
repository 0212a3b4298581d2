using System.Globalization;
using System.Text;

namespace Maebashi.Edge.Hardware;

/// <summary>The terminal host's wiring, taken from its pin map (what its reader and link configuration use).</summary>
public sealed record HostWiring(
    int Mfrc522SpiBus,
    int Mfrc522ChipSelect,
    int Mfrc522ResetGpio,
    int Pn532I2cBus,
    int Pn532Address,
    int Pn532ResetGpio,
    string Rs485Device,
    int Rs485DriverEnableGpio,
    int GreenLedGpio,
    int RedLedGpio,
    int BuzzerGpio)
{
    /// <summary>Builds the host wiring from a checked Raspberry Pi pin map; throws <see cref="PinMapException"/> naming what is missing.</summary>
    public static HostWiring FromPinMap(PinMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        RefuseProblems(map);
        int Need(string device, string pin) => map.Gpio(device, pin) ?? throw new PinMapException($"{map.Board}: no GPIO for {device} {pin}");
        int cs = Need("MFRC522", "SDA");
        return new HostWiring(
            0,
            cs == 8 ? 0 : 1,
            Need("MFRC522", "RST"),
            1,
            0x24,
            Need("PN532", "RSTPDN"),
            map.Signals.Any(s => s.Function == "uart0.tx") ? "/dev/serial0" : "/dev/ttyAMA1",
            Need("MAX3485", "DE"),
            Need("LED green", ""),
            Need("LED red", ""),
            Need("Buzzer", ""));
    }

    internal static void RefuseProblems(PinMap map)
    {
        IReadOnlyList<PinProblem> problems = PinMapChecker.Check(map);
        if (problems.Count > 0)
        {
            throw new PinMapException($"{map.Board}: {string.Join("; ", problems)}");
        }
    }
}

/// <summary>The ESP32 validator's pins as C# constants for the nanoFramework board glue (firmware/Validator/BoardPins.cs).</summary>
public static class ValidatorBoardPins
{
    public static string GenerateCSharp(PinMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        HostWiring.RefuseProblems(map);
        int Need(string device, string pin) => map.Gpio(device, pin) ?? throw new PinMapException($"{map.Board}: no GPIO for {device} {pin}");
        var lines = new (string Name, int Gpio, string Comment)[]
        {
            ("SpiClock", Need("MFRC522", "SCK"), "MFRC522 SCK"),
            ("SpiMosi", Need("MFRC522", "MOSI"), "MFRC522 MOSI"),
            ("SpiMiso", Need("MFRC522", "MISO"), "MFRC522 MISO"),
            ("ReaderChipSelect", Need("MFRC522", "SDA"), "MFRC522 SDA (NSS)"),
            ("ReaderReset", Need("MFRC522", "RST"), "MFRC522 NRSTPD"),
            ("Rs485Tx", Need("MAX3485", "DI"), "MAX3485 DI"),
            ("Rs485Rx", Need("MAX3485", "RO"), "MAX3485 RO"),
            ("Rs485DriverEnable", Need("MAX3485", "DE"), "MAX3485 DE + /RE (UART RTS in RS-485 mode)"),
            ("LedGreen", Need("LED green", ""), "green LED"),
            ("LedRed", Need("LED red", ""), "red LED"),
            ("Buzzer", Need("Buzzer", ""), "buzzer transistor"),
        };
        var cs = new StringBuilder();
        cs.Append("// Generated from hardware/pinmaps/").Append(map.Board).Append("-validator.json by `./maebashi-edge validator pinmap render`.\n");
        cs.Append("// Edit the pin map, then regenerate; a test fails while this file and the map disagree.\n");
        cs.Append("namespace Maebashi.Edge.Validator\n{\n    /// <summary>GPIO numbers of the validator board (").Append(map.Board).Append(").</summary>\n");
        cs.Append("    internal static class BoardPins\n    {\n");
        foreach ((string name, int gpio, string comment) in lines)
        {
            cs.Append(CultureInfo.InvariantCulture, $"        /// <summary>{comment}</summary>\n        public const int {name} = {gpio};\n\n");
        }

        cs.Length -= 1;
        cs.Append("    }\n}\n");
        return cs.ToString();
    }
}

/// <summary>Files generated from the shipped pin maps: the wiring diagrams and the validator's <c>BoardPins.cs</c>.</summary>
public static class GeneratedFiles
{
    /// <summary>(path, content) of every generated file under <paramref name="repositoryRoot"/>.</summary>
    public static IEnumerable<(string Path, string Content)> From(string repositoryRoot)
    {
        foreach (string file in PinMapLoader.ShippedFiles(repositoryRoot))
        {
            PinMap map = PinMapLoader.Load(file);
            yield return (Path.Combine(repositoryRoot, "hardware", "wiring", Path.GetFileNameWithoutExtension(file) + ".svg"), WiringDiagram.Render(map));
            if (map.Kind == "esp32")
            {
                yield return (Path.Combine(repositoryRoot, "firmware", "Validator", "BoardPins.cs"), ValidatorBoardPins.GenerateCSharp(map));
            }
        }
    }
}
