namespace Maebashi.Edge.Hardware;

/// <summary>Kinds of wiring mistake the checker refuses.</summary>
public enum PinProblemKind
{
    UnknownBoard,
    NoSuchPin,
    PinUsedTwice,
    FlashPin,
    StrappingPin,
    InputOnlyPinAsOutput,
    BusPinNotRoutable,
    ReservedPin,
    BadField,
}

public sealed record PinProblem(PinProblemKind Kind, int Gpio, string Message)
{
    public override string ToString() => Message;
}

/// <summary>
/// Refuses wiring a board cannot live with. ESP32 (ESP32-WROOM-32E datasheet §2.2 "Pin description", §3.3 "Strapping
/// pins"): GPIO 6–11 are the module's SPI flash; strapping pins 0, 2, 5, 12, 15 must sit at their boot level while the
/// chip resets; 34–39 are input only; UART0 (1, 3) is the USB console nanoff flashes through. Raspberry Pi 4/5 (BCM2711 /
/// RP1 alternate functions): SPI0 is GPIO 8–11 (and CE1 on 7), I2C1 is GPIO 2/3, UART0 is GPIO 14/15; GPIO 0/1 are
/// the HAT ID EEPROM bus.
/// </summary>
public static class PinMapChecker
{
    private static readonly Dictionary<int, (string Level, string Why)> Esp32Straps = new()
    {
        [0] = ("high", "low at reset enters the ROM download mode"),
        [2] = ("low", "must be low or floating at reset for serial download to work"),
        [5] = ("high", "sets SDIO slave timing; must be high at reset"),
        [12] = ("low", "MTDI selects the flash voltage: high at reset makes 3.3 V flash run at 1.8 V and the board does not boot"),
        [15] = ("high", "MTDO: low at reset silences the boot log and changes SDIO timing"),
    };

    private static readonly Dictionary<string, int> PiFixedFunctions = new(StringComparer.Ordinal)
    {
        ["spi0.sclk"] = 11,
        ["spi0.mosi"] = 10,
        ["spi0.miso"] = 9,
        ["spi0.ce0"] = 8,
        ["spi0.ce1"] = 7,
        ["i2c1.sda"] = 2,
        ["i2c1.scl"] = 3,
        ["uart0.tx"] = 14,
        ["uart0.rx"] = 15,
        ["uart3.tx"] = 4,
        ["uart3.rx"] = 5,
        ["uart5.tx"] = 12,
        ["uart5.rx"] = 13,
        ["pwm0"] = 12,
        ["pwm1"] = 13,
    };

    public static IReadOnlyList<PinProblem> Check(PinMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var problems = new List<PinProblem>();
        bool esp32 = map.Kind == "esp32";
        bool pi = map.Kind == "raspberrypi";
        if (!esp32 && !pi)
        {
            problems.Add(new PinProblem(PinProblemKind.UnknownBoard, -1, $"kind: '{map.Kind}' is not a known board kind (esp32, raspberrypi)"));
            return problems;
        }

        foreach (IGrouping<int, PinSignal> twice in map.Signals.GroupBy(s => s.Gpio).Where(g => g.Count() > 1))
        {
            problems.Add(new PinProblem(PinProblemKind.PinUsedTwice, twice.Key,
                $"GPIO {twice.Key} is used twice: {string.Join(" and ", twice.Select(Describe))}"));
        }

        foreach (PinSignal s in map.Signals)
        {
            if (s.Direction is not ("in" or "out" or "bidir"))
            {
                problems.Add(new PinProblem(PinProblemKind.BadField, s.Gpio, $"{Describe(s)}: direction '{s.Direction}' (expected in, out or bidir)"));
            }

            if (s.BootLevel is not (null or "high" or "low" or "float"))
            {
                problems.Add(new PinProblem(PinProblemKind.BadField, s.Gpio, $"{Describe(s)}: bootLevel '{s.BootLevel}' (expected high, low or float)"));
            }

            if (esp32)
            {
                CheckEsp32(s, problems);
            }
            else
            {
                CheckPi(s, problems);
            }
        }

        return problems;
    }

    private static void CheckEsp32(PinSignal s, List<PinProblem> problems)
    {
        int g = s.Gpio;
        if (g is < 0 or > 39 || g is 20 or 24 or (>= 28 and <= 31))
        {
            problems.Add(new PinProblem(PinProblemKind.NoSuchPin, g, $"{Describe(s)}: the ESP32 has no GPIO {g}"));
            return;
        }

        if (g is >= 6 and <= 11)
        {
            problems.Add(new PinProblem(PinProblemKind.FlashPin, g, $"{Describe(s)}: GPIO {g} is wired to the module's SPI flash (GPIO 6–11); using it crashes the board"));
        }

        if (g is >= 34 and <= 39 && s.IsOutput)
        {
            problems.Add(new PinProblem(PinProblemKind.InputOnlyPinAsOutput, g, $"{Describe(s)}: GPIO {g} is input-only (34–39) and cannot drive an output"));
        }

        if (g is 1 or 3)
        {
            problems.Add(new PinProblem(PinProblemKind.ReservedPin, g, $"{Describe(s)}: GPIO {g} is UART0, the USB console nanoff flashes through"));
        }

        if (Esp32Straps.TryGetValue(g, out (string Level, string Why) strap))
        {
            if (s.BootLevel is null)
            {
                problems.Add(new PinProblem(PinProblemKind.StrappingPin, g, $"{Describe(s)}: GPIO {g} is a strapping pin ({strap.Why}); state its bootLevel"));
            }
            else if (s.BootLevel != strap.Level && !(strap.Level == "low" && s.BootLevel == "float"))
            {
                problems.Add(new PinProblem(PinProblemKind.StrappingPin, g, $"{Describe(s)}: GPIO {g} is a strapping pin held {s.BootLevel} at reset, but it {strap.Why}"));
            }
        }

        // SPI, UART and PWM go through the GPIO matrix: any pin that can drive outputs can carry them.
    }

    private static void CheckPi(PinSignal s, List<PinProblem> problems)
    {
        int g = s.Gpio;
        if (g is < 0 or > 27)
        {
            problems.Add(new PinProblem(PinProblemKind.NoSuchPin, g, $"{Describe(s)}: the 40-pin header has GPIO 0–27, not {g}"));
            return;
        }

        if (g is 0 or 1)
        {
            problems.Add(new PinProblem(PinProblemKind.ReservedPin, g, $"{Describe(s)}: GPIO {g} is ID_SD/ID_SC, reserved for the HAT ID EEPROM"));
        }

        if (s.Function == "gpio")
        {
            return;
        }

        if (!PiFixedFunctions.TryGetValue(s.Function, out int expected))
        {
            problems.Add(new PinProblem(PinProblemKind.BusPinNotRoutable, g, $"{Describe(s)}: function '{s.Function}' is not one the Pi can route (e.g. spi0.sclk, i2c1.sda, uart0.tx, pwm1)"));
        }
        else if (expected != g && !(s.Function == "pwm0" && g == 18) && !(s.Function == "pwm1" && g == 19))
        {
            problems.Add(new PinProblem(PinProblemKind.BusPinNotRoutable, g, $"{Describe(s)}: {s.Function} is only on GPIO {expected}, not GPIO {g}"));
        }
    }

    private static string Describe(PinSignal s) => $"{s.Device} {s.DevicePin} (GPIO {s.Gpio}, {s.Function})";
}
